"""The log viewer following a real job's output.log (real tmux, local host, temp home).

The job is ``tail -n +1 -f feed.txt``: whatever the test appends to feed.txt, the job
prints, so its output.log grows when the test says and the viewer must show it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from console.models import JobSpec
from console.ui.jobs.log_viewer import LogViewerScreen
from console.ui.main_screen import MainScreen
from tests.ui.conftest import notifications, wait_until
from tests.ui.test_jobs_view import app_builder, select, show_jobs

pytestmark = pytest.mark.timeout(120)


class Feed:
    """The job's input: appending here makes the job print it."""

    def __init__(self, home: Path):
        self.path = home / "feed.txt"
        self.path.write_text("", encoding="utf-8")

    def write(self, *lines: str) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))


@pytest.fixture
def build_jobs_app(tmp_path, aws_endpoint, tmux_socket, make_services, local_host):
    return app_builder(tmp_path, aws_endpoint, tmux_socket, make_services, local_host)


@pytest.fixture
def fed_job(local_jobs, local_home):
    feed = Feed(local_home)
    job = local_jobs.start(JobSpec(command=("tail", "-n", "+1", "-f", "feed.txt"), name="fed"))
    return job, feed


async def open_viewer(pilot, job_id: str) -> LogViewerScreen:
    await show_jobs(pilot)
    await select(pilot, job_id)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, LogViewerScreen))
    return pilot.app.screen


def shown(screen: LogViewerScreen) -> list[str]:
    return list(screen.view.shown)


def status(screen: LogViewerScreen) -> str:
    return str(screen.query_one("#log-status").render())


async def type_text(pilot, text: str) -> None:
    for character in text:
        await pilot.press(character)


async def test_shows_lines_as_they_are_written_and_stops_when_closed(build_jobs_app, fed_job):
    job, feed = fed_job
    feed.write("first line")
    app = build_jobs_app()
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_viewer(pilot, job.id)
        await wait_until(pilot, lambda: shown(screen) == ["first line"])
        feed.write("\x1b[31mred line\x1b[0m", "third")
        await wait_until(pilot, lambda: shown(screen)[-1:] == ["third"])
        assert shown(screen) == ["first line", "\x1b[31mred line\x1b[0m", "third"]
        # the colour is rendered, not printed as an escape code
        red = screen.view.rendered(1)
        colours = [seg.style.color.number for seg in red if seg.style and seg.style.color]
        assert red.text.startswith("red line") and colours == [1]  # ANSI red
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert screen.cancel.is_set()  # the follower was told to stop


async def test_search_counts_matches_and_n_moves_between_them(build_jobs_app, fed_job):
    job, feed = fed_job
    lines = [f"filler {i}" for i in range(300)]
    for where, text in [(20, "error: disk"), (150, "ERROR: net"), (280, "an error again")]:
        lines[where] = text
    feed.write(*lines)
    app = build_jobs_app()
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_viewer(pilot, job.id)
        await wait_until(pilot, lambda: len(shown(screen)) == 300)
        await pilot.press("slash")
        await type_text(pilot, "error")
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.pattern == "error")
        assert screen.matches == [20, 150, 280]
        assert "error: 1/3 matches" in status(screen)
        assert screen.view.line_at_top() == 20
        await pilot.press("n")
        assert screen.view.line_at_top() == 150 and "2/3 matches" in status(screen)
        await pilot.press("n")
        # line 280 is near the end: the view scrolls as far as it can
        assert "3/3 matches" in status(screen)
        assert screen.view.scroll_y == screen.view.max_scroll_y > 150
        await pilot.press("N")
        assert screen.view.line_at_top() == 150 and "2/3 matches" in status(screen)
        # a line that arrives later and matches is counted too
        feed.write("late error")
        await wait_until(pilot, lambda: len(screen.matches) == 4)


async def test_filter_shows_only_matching_lines(build_jobs_app, fed_job):
    job, feed = fed_job
    feed.write("epoch 1 loss 0.9", "saving checkpoint", "epoch 2 loss 0.5", "done")
    app = build_jobs_app()
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_viewer(pilot, job.id)
        await wait_until(pilot, lambda: len(shown(screen)) == 4)
        await pilot.press("slash")
        await type_text(pilot, "loss")
        await pilot.press("enter")
        await pilot.press("f")
        await wait_until(pilot, lambda: screen.filtering)
        assert shown(screen) == ["epoch 1 loss 0.9", "epoch 2 loss 0.5"]
        feed.write("epoch 3 loss 0.2", "not this one")
        await wait_until(pilot, lambda: len(screen.buffer) == 6)
        await pilot.press("p")  # follow again after the search jumped
        await wait_until(pilot, lambda: screen.following)
        assert shown(screen) == ["epoch 1 loss 0.9", "epoch 2 loss 0.5", "epoch 3 loss 0.2"]
        await pilot.press("f")
        assert len(shown(screen)) == 6


async def test_pause_stops_following_until_resumed(build_jobs_app, fed_job):
    job, feed = fed_job
    feed.write("before pause")
    app = build_jobs_app()
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_viewer(pilot, job.id)
        await wait_until(pilot, lambda: shown(screen) == ["before pause"])
        await pilot.press("p")
        assert not screen.following
        feed.write("while paused 1", "while paused 2")
        await wait_until(pilot, lambda: len(screen.buffer) == 3)  # read, but not drawn
        assert shown(screen) == ["before pause"]
        assert "paused (2 new lines)" in status(screen)
        await pilot.press("p")
        assert shown(screen) == ["before pause", "while paused 1", "while paused 2"]
        assert "following" in status(screen)


@pytest.mark.slow
async def test_save_writes_the_shown_lines_and_reports_a_bad_path(
    build_jobs_app, fed_job, tmp_path
):
    job, feed = fed_job
    feed.write("\x1b[32mgreen\x1b[0m one", "two", "three")
    target = tmp_path / "saved.log"
    app = build_jobs_app()
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_viewer(pilot, job.id)
        await wait_until(pilot, lambda: len(shown(screen)) == 3)
        await pilot.press("s")
        screen.prompt.value = str(target)
        await pilot.press("enter")
        await wait_until(pilot, lambda: target.exists() and screen.saved_to == str(target))
        assert target.read_text(encoding="utf-8") == "green one\ntwo\nthree\n"

        nowhere = tmp_path / "no such folder" / "x.log"
        await pilot.press("s")
        screen.prompt.value = str(nowhere)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.error is not None)
        assert f"Cannot save the log to {nowhere}" in status(screen)
        assert any(str(nowhere) in n.message for n in notifications(app))
        assert isinstance(app.screen, LogViewerScreen)  # still open, nothing lost
        assert len(shown(screen)) == 3


FLOOD = (
    "import os, sys, time\n"
    "while not os.path.exists('go'):\n"
    "    time.sleep(0.05)\n"
    "for i in range(20000):\n"
    "    sys.stdout.write(f'line {i}\\n')\n"
    "sys.stdout.write('epoch 1:  10%\\repoch 1:  50%\\repoch 1: 100%\\n')\n"
    "sys.stdout.write('x' * 300000 + '\\n')\n"
    "sys.stdout.write('the end\\n')\n"
)


async def test_a_flood_with_progress_bars_and_a_huge_line_stays_bounded(
    build_jobs_app, local_jobs, local_host, local_home
):
    from console.logs.follower import HostLog
    from console.ui.jobs.log_viewer import LogSource

    job = local_jobs.start(JobSpec(command=("python3", "-c", FLOOD), name="flood"))
    app = build_jobs_app()
    async with app.run_test(size=(160, 40)) as pilot:
        screen = LogViewerScreen(LogSource(HostLog(local_host, job.log_path), "flood"), max_lines=500)
        await app.push_screen(screen)
        await wait_until(pilot, lambda: screen.is_open_at_tail)
        (local_home / "go").touch()
        await wait_until(pilot, lambda: shown(screen)[-1:] == ["the end"], within=60)
        assert len(screen.buffer) == 500 and len(shown(screen)) <= 500  # memory bounded
        assert shown(screen)[-3] == "epoch 1: 100%"  # the bar's last state only
        huge = shown(screen)[-2]
        assert huge.startswith("xxxx") and huge.endswith("more characters]")
        assert len(huge) < 20_000
        assert shown(screen)[-4] == "line 19999"
        # older lines load on demand only as far as the bounded buffer has room: none here
        await pilot.press("o")
        await pilot.pause()
        assert len(screen.buffer) == 500


async def test_opens_at_the_tail_and_loads_older_lines_on_demand(build_jobs_app, local_jobs):
    # 2,000 lines of 200 bytes: more than the tail the viewer opens with
    writer = "for i in range(2000):\n    print(f'row {i:05d} ' + '.' * 189)\n"
    job = local_jobs.start(JobSpec(command=("python3", "-c", writer), name="long log"))
    app = build_jobs_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: local_jobs.get(job.id).status.finished)
        screen = await open_viewer(pilot, job.id)
        await wait_until(
            pilot, lambda: shown(screen)[-1:] and shown(screen)[-1].startswith("row 01999")
        )
        first = int(shown(screen)[0].split()[1])
        assert first > 0 and len(shown(screen)) == 2000 - first
        await pilot.press("o")
        await wait_until(pilot, lambda: int(shown(screen)[0].split()[1]) < first)
        earlier = int(shown(screen)[0].split()[1])
        assert [int(line.split()[1]) for line in shown(screen)] == list(range(earlier, 2000))
        rounds = 0
        while int(shown(screen)[0].split()[1]) > 0:  # reaching the top loads older parts
            before = len(shown(screen))
            await pilot.press("g" if rounds % 2 else "home")  # scrolled there, or the key
            rounds += 1
            await wait_until(pilot, lambda b=before: len(shown(screen)) > b)
        assert len(shown(screen)) == 2000


async def test_wrap_toggles_between_clipping_and_wrapping_long_lines(build_jobs_app, fed_job):
    job, feed = fed_job
    long_line = "".join(f"{i:04d}," for i in range(100))  # 500 characters
    feed.write("short", long_line, "after")
    app = build_jobs_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_viewer(pilot, job.id)
        await wait_until(pilot, lambda: shown(screen) == ["short", long_line, "after"])
        view = screen.view
        assert view.virtual_size.height == 3  # clipped: one row per line
        assert view.render_line(1).text.rstrip() == long_line[: view.size.width]
        await pilot.press("w")
        width = view.scrollable_content_region.width
        rows = -(-len(long_line) // width)
        assert view.virtual_size.height == 2 + rows and "wrap" in status(screen)
        view.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        pieces = [view.render_line(1 + row).text.rstrip() for row in range(rows)]
        assert "".join(pieces) == long_line
        assert view.render_line(1 + rows).text.rstrip() == "after"
        await pilot.press("w")
        assert view.virtual_size.height == 3 and "clip" in status(screen)


async def test_follows_a_job_on_an_ssh_host(build_jobs_app, ssh_jobs):
    from console.logs.follower import HostLog
    from console.ui.jobs.log_viewer import LogSource

    script = (
        "import os, time\n"
        "print('over ssh 1', flush=True)\n"
        "go = os.path.join(os.environ['AWSCONSOLE_JOB_DIR'], 'go')\n"
        "while not os.path.exists(go):\n"
        "    time.sleep(0.05)\n"
        "print('over ssh 2', flush=True)\n"
    )
    job = ssh_jobs.start(JobSpec(command=("python3", "-c", script), name="remote"))
    app = build_jobs_app()
    async with app.run_test(size=(160, 40)) as pilot:
        screen = LogViewerScreen(LogSource(HostLog(ssh_jobs.host, job.log_path), "remote"))
        await app.push_screen(screen)
        await wait_until(pilot, lambda: shown(screen) == ["over ssh 1"])
        ssh_jobs.host.write(f"{ssh_jobs.job_dir(job.id)}/go", b"")  # removed with the jobs
        await wait_until(pilot, lambda: shown(screen) == ["over ssh 1", "over ssh 2"])
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LogViewerScreen))
        assert screen.cancel.is_set()
