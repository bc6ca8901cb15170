"""The Jobs view with real jobs in real tmux on a local host with a temporary home.

The app is built like the CLI builds it (services against moto's server), with "local"
registered as the sandboxed host and the jobs on the test's own tmux socket.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from console.app import make_app
from console.models import JobSpec, JobState
from console.settings import Settings
from console.ui.common.confirm import ConfirmScreen
from console.ui.jobs.form import JobFormScreen
from console.ui.jobs.view import JobsView
from console.ui.main_screen import MainScreen
from tests.ui.conftest import notifications, wait_until

pytestmark = pytest.mark.timeout(120)

#: a job that runs until the file "go" appears in its folder, then exits with 3
WAIT_FOR_GO = (
    "sh",
    "-c",
    "echo started; while [ ! -e go ]; do sleep 0.05; done; echo done; exit 3",
)


def jobs_settings(tmp_path: Path, aws_endpoint: str, tmux_socket: str, **overrides) -> Settings:
    """Settings read from a real config file: the jobs' tmux socket and one template."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[jobs]\ntmux_socket = "{tmux_socket}"\n\n'
        '[templates."say hi"]\ncommand = ["sh", "-c", "echo hi from template"]\n'
        'name = "template job"\n',
        encoding="utf-8",
    )
    return Settings.load(config, environ={}).with_overrides(
        endpoint_url=aws_endpoint, region="us-east-1", refresh_interval=0.5, **overrides
    )


def app_builder(tmp_path, aws_endpoint, tmux_socket, make_services, local_host):
    """``build(**settings_overrides)`` -> the app, with "local" = the sandboxed host."""

    def build(**overrides):
        settings = jobs_settings(tmp_path, aws_endpoint, tmux_socket, **overrides)
        services = make_services(settings)
        services.hosts.register("local", local_host)
        return make_app(settings, services)

    return build


@pytest.fixture
def build_jobs_app(tmp_path, aws_endpoint, tmux_socket, make_services, local_host):
    return app_builder(tmp_path, aws_endpoint, tmux_socket, make_services, local_host)


def jobs_view(app) -> JobsView:
    return app.screen.query_one(JobsView)


def row_of(app, job_id: str) -> dict[str, str] | None:
    view = jobs_view(app)
    for job in view.table.items:
        if job.id == job_id:
            row = view.table.get_row(f"{job.host}:{job.id}")
            return {c.key: str(cell) for c, cell in zip(view.table.columns_spec, row, strict=True)}
    return None


async def show_jobs(pilot) -> None:
    await pilot.press("3")
    await wait_until(pilot, lambda: jobs_view(pilot.app).loaded_once)


async def select(pilot, job_id: str) -> None:
    view = jobs_view(pilot.app)
    await wait_until(pilot, lambda: row_of(pilot.app, job_id) is not None)
    keys = [f"{job.host}:{job.id}" for job in view.table.items]
    view.table.move_cursor(row=keys.index(f"local:{job_id}"))
    await pilot.pause()


def wait_for_file(path: Path):
    return lambda: path.exists()


async def test_lists_a_running_job_then_shows_its_exit_code(build_jobs_app, local_jobs, local_home):
    job = local_jobs.start(JobSpec(command=WAIT_FOR_GO, name="waits for go"))
    app = build_jobs_app()
    async with app.run_test(size=(180, 40)) as pilot:
        await show_jobs(pilot)
        await wait_until(pilot, lambda: (row_of(app, job.id) or {}).get("status") == "running")
        row = row_of(app, job.id)
        assert row["name"] == "waits for go" and row["host"] == "local"
        await wait_until(pilot, lambda: row_of(app, job.id)["last_line"] == "started")
        (local_home / "go").touch()
        await wait_until(pilot, lambda: row_of(app, job.id)["status"] == "exited (3)")
        assert row_of(app, job.id)["last_line"] == "done"
        cell = jobs_view(app).table.get_cell(f"local:{job.id}", "status")
        assert "red" in str(cell.style)  # a failed exit stands out
        assert "1 job, 0 running" in str(jobs_view(app).status_line.render())


async def test_kill_asks_first_and_the_job_ends(build_jobs_app, local_jobs):
    job = local_jobs.start(JobSpec(command=WAIT_FOR_GO, name="victim"))
    app = build_jobs_app()
    async with app.run_test(size=(180, 40)) as pilot:
        await show_jobs(pilot)
        await select(pilot, job.id)
        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # declined: nothing happens
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert local_jobs.get(job.id).status.state is JobState.RUNNING

        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: local_jobs.get(job.id).status.finished)
        await wait_until(
            pilot, lambda: (row_of(app, job.id) or {}).get("status", "").startswith("exited")
        )
        assert local_jobs.get(job.id).status.state is JobState.EXITED


async def test_kill_is_refused_in_read_only_mode(build_jobs_app, local_jobs):
    job = local_jobs.start(JobSpec(command=WAIT_FOR_GO, name="protected"))
    app = build_jobs_app(read_only=True)
    async with app.run_test(size=(180, 40)) as pilot:
        await show_jobs(pilot)
        await select(pilot, job.id)
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)  # not even asked
        assert any("Kill job protected was refused" in n.message for n in notifications(app))
        await pilot.press("c")
        await pilot.pause()
        assert any("Ctrl-C was refused" in n.message for n in notifications(app))
        assert local_jobs.get(job.id).status.state is JobState.RUNNING


async def test_new_job_form_runs_a_hostile_command_exactly_as_typed(
    build_jobs_app, local_jobs, local_home
):
    canary = local_home / "CANARY"
    workdir = local_home / "it's $(touch CANARY); ü"
    workdir.mkdir()
    name = "job; $(touch CANARY) 'quoted' ü"
    report = "import json, os, sys; print(json.dumps([sys.argv[1:], os.getcwd(), os.environ['X']]))"
    # what a person types into the command field, shell quoting included
    typed = f"python3 -c \"{report}\" 'two words' '$(touch CANARY)' ';' \"it's\" ü '`id`' '&&' ''"
    app = build_jobs_app()
    async with app.run_test(size=(180, 50)) as pilot:
        await show_jobs(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, JobFormScreen))
        form = app.screen
        form.query_one("#jobform-host").value = "local"
        form.query_one("#jobform-cwd").value = str(workdir)
        form.query_one("#jobform-command").value = typed
        form.query_one("#jobform-env").text = "X=$(touch CANARY) ' \""
        form.query_one("#jobform-name").value = name
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_until(pilot, lambda: any(j.spec.name == name for j in local_jobs.list_jobs()))
        (job,) = local_jobs.list_jobs()
        await wait_until(pilot, lambda: local_jobs.get(job.id).status.finished)
        assert local_jobs.get(job.id).status.exit_code == 0
        argv, cwd, env = json.loads(Path(job.log_path).read_text(encoding="utf-8"))
        assert argv == ["two words", "$(touch CANARY)", ";", "it's", "ü", "`id`", "&&", ""]
        assert cwd == str(workdir) and env == "$(touch CANARY) ' \""
        assert not canary.exists() and not (workdir / "CANARY").exists()
        await wait_until(pilot, lambda: row_of(app, job.id) is not None)
        assert row_of(app, job.id)["name"] == name


async def test_new_job_form_keeps_what_was_typed_on_a_mistake(build_jobs_app, local_jobs):
    app = build_jobs_app()
    async with app.run_test(size=(180, 50)) as pilot:
        await show_jobs(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, JobFormScreen))
        form = app.screen
        form.query_one("#jobform-command").value = "python3 -c 'unclosed"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, JobFormScreen)
        assert "No closing quotation" in str(form.query_one("#jobform-error").render())
        assert form.query_one("#jobform-command").value == "python3 -c 'unclosed"
        form.query_one("#jobform-command").value = "true"
        form.query_one("#jobform-env").text = "NOEQUALS"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "NOEQUALS" in str(form.query_one("#jobform-error").render())
        await pilot.press("escape", "escape")  # the first leaves the field, the second the form
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert local_jobs.list_jobs() == []


@pytest.mark.slow
async def test_template_fills_the_form_and_forget_removes_the_finished_job(
    build_jobs_app, local_jobs
):
    app = build_jobs_app()
    async with app.run_test(size=(180, 50)) as pilot:
        await show_jobs(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, JobFormScreen))
        app.screen.query_one("#jobform-template").value = "say hi"
        await wait_until(
            pilot, lambda: app.screen.query_one("#jobform-name").value == "template job"
        )
        assert app.screen.query_one("#jobform-command").value == "sh -c 'echo hi from template'"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(local_jobs.list_jobs()) == 1)
        (job,) = local_jobs.list_jobs()
        await wait_until(pilot, lambda: (row_of(app, job.id) or {}).get("status") == "exited (0)")
        assert row_of(app, job.id)["last_line"] == "hi from template"
        await select(pilot, job.id)
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: local_jobs.list_jobs() == [])
        await wait_until(pilot, lambda: row_of(app, job.id) is None)


async def test_ctrl_c_reaches_the_job_and_rerun_starts_it_again(build_jobs_app, local_jobs):
    trapper = (
        "sh",
        "-c",
        'trap "echo interrupted; exit 42" INT; echo ready; while :; do sleep 0.05; done',
    )
    job = local_jobs.start(JobSpec(command=trapper, name="trapper"))
    app = build_jobs_app()
    async with app.run_test(size=(180, 40)) as pilot:
        await show_jobs(pilot)
        await wait_until(pilot, lambda: (row_of(app, job.id) or {}).get("last_line") == "ready")
        await select(pilot, job.id)
        await pilot.press("c")
        await wait_until(pilot, lambda: (row_of(app, job.id) or {}).get("status") == "exited (42)")
        assert row_of(app, job.id)["last_line"].endswith("interrupted")  # after the echoed ^C

        await pilot.press("R")  # opens the form filled in from the job
        await wait_until(pilot, lambda: isinstance(app.screen, JobFormScreen))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(local_jobs.list_jobs()) == 2)
        again = next(j for j in local_jobs.list_jobs() if j.id != job.id)
        assert again.spec == dataclasses.replace(job.spec, name="trapper-2")
        await wait_until(pilot, lambda: (row_of(app, again.id) or {}).get("status") == "running")


async def test_refresh_keeps_the_cursor_on_its_job(build_jobs_app, local_jobs, local_home):
    first = local_jobs.start(JobSpec(command=WAIT_FOR_GO, name="first"))
    second = local_jobs.start(JobSpec(command=WAIT_FOR_GO, name="second"))
    app = build_jobs_app()
    async with app.run_test(size=(180, 40)) as pilot:
        await show_jobs(pilot)
        await select(pilot, second.id)
        view = jobs_view(app)
        assert view.selected.id == second.id
        third = local_jobs.start(JobSpec(command=("true",), name="third"))
        await wait_until(pilot, lambda: row_of(app, third.id) is not None)  # auto-refreshed
        assert view.selected.id == second.id
        (local_home / "go").touch()
        await wait_until(pilot, lambda: row_of(app, first.id)["status"] == "exited (3)")
        assert view.selected.id == second.id


async def test_attach_without_a_real_terminal_says_so(build_jobs_app, local_jobs):
    job = local_jobs.start(JobSpec(command=WAIT_FOR_GO, name="attach me"))
    app = build_jobs_app()
    async with app.run_test(size=(180, 40)) as pilot:
        await show_jobs(pilot)
        await select(pilot, job.id)
        await pilot.press("a")
        await wait_until(pilot, lambda: any(n.title == "Attach" for n in notifications(app)))
        assert isinstance(app.screen, MainScreen)
        assert local_jobs.get(job.id).status.state is JobState.RUNNING


async def test_job_actions_are_palette_commands_and_follow_the_keymap(build_jobs_app, local_jobs):
    from console.ui.common.bindings_info import command_entries

    job = local_jobs.start(JobSpec(command=WAIT_FOR_GO, name="remapped"))
    app = build_jobs_app(keymap={"jobs.kill": "x"})
    async with app.run_test(size=(180, 40)) as pilot:
        await show_jobs(pilot)
        titles = {entry.command_title for entry in command_entries(app.screen)}
        assert {"Kill (Jobs view)", "Log (Jobs view)", "New job (Jobs view)"} <= titles
        await select(pilot, job.id)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "remapped" in str(app.screen.query_one("#confirm-question").render())
