"""Forms remember: the new-job form opens on Host, comes back as it was last submitted (in this
app and in the next one with the same state folder), keeps what was typed when a start fails,
Re-run opens it filled in from the job, and a name a host already has gets ``-2``, ``-3``."""

from __future__ import annotations

import json
import stat

import pytest

from console.models import JobSpec
from console.ui.jobs.form import JobFormScreen
from console.ui.main_screen import MainScreen
from tests.ui.conftest import notifications, wait_until
from tests.ui.test_jobs_view import WAIT_FOR_GO, app_builder, row_of, select, show_jobs

pytestmark = pytest.mark.timeout(120)

SIZE = (180, 50)
FIELDS = ("host", "master-addr", "master-port", "cwd", "command", "name")


@pytest.fixture
def build_jobs_app(tmp_path, aws_endpoint, tmux_socket, make_services, local_host):
    return app_builder(tmp_path, aws_endpoint, tmux_socket, make_services, local_host)


def field_values(form: JobFormScreen) -> dict[str, str]:
    return {name: form.query_one(f"#jobform-{name}").value for name in FIELDS}


async def open_form(pilot) -> JobFormScreen:
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, JobFormScreen))
    return pilot.app.screen


def fill(form: JobFormScreen, **values: str) -> None:
    for name, value in values.items():
        form.query_one(f"#jobform-{name.replace('_', '-')}").value = value


async def test_the_new_job_form_opens_on_host(build_jobs_app, local_jobs):
    app = build_jobs_app()
    async with app.run_test(size=SIZE) as pilot:
        await show_jobs(pilot)
        form = await open_form(pilot)
        await wait_until(pilot, lambda: app.focused is form.query_one("#jobform-host"))


async def test_values_come_back_after_closing_and_in_a_new_app(
    build_jobs_app, local_jobs, local_home, state_folder
):
    (local_home / "work").mkdir()
    typed = {
        "host": "local",
        "master-addr": "10.1.2.3",
        "master-port": "29411",
        "cwd": "~/work",
        "command": "sh -c 'echo kept'",
        "name": "kept",
    }
    app = build_jobs_app()
    async with app.run_test(size=SIZE) as pilot:
        await show_jobs(pilot)
        form = await open_form(pilot)
        assert field_values(form)["command"] == ""  # nothing remembered yet
        fill(form, **{key.replace("-", "_"): value for key, value in typed.items()})
        form.query_one("#jobform-env").text = "API_TOKEN=never-written-down"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(local_jobs.list_jobs()) == 1)
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))

        form = await open_form(pilot)  # closed and opened again: as submitted
        assert field_values(form) == typed
        assert form.query_one("#jobform-env").text == ""  # the environment is not kept
        await pilot.press("escape", "escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))

    memory = state_folder / "forms.json"
    assert stat.S_IMODE(memory.stat().st_mode) == 0o600
    assert stat.S_IMODE(state_folder.stat().st_mode) == 0o700
    assert "never-written-down" not in memory.read_text(encoding="utf-8")
    assert json.loads(memory.read_text(encoding="utf-8"))["new-job"]["name"] == "kept"

    again = build_jobs_app()  # a new app, the same state folder
    async with again.run_test(size=SIZE) as pilot:
        await show_jobs(pilot)
        form = await open_form(pilot)
        assert field_values(form) == typed
        assert again.focused is form.query_one("#jobform-host")


async def test_a_refused_submit_keeps_what_was_typed(build_jobs_app, local_jobs):
    app = build_jobs_app()
    async with app.run_test(size=SIZE) as pilot:
        await show_jobs(pilot)
        form = await open_form(pilot)
        # a mistake in the form: it stays open, and what was typed is still there after
        # closing it and opening it again
        fill(form, command="python3 -c 'unclosed", name="typo")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "No closing quotation" in str(
            form.query_one("#jobform-error").render()))  # fmt: skip
        await pilot.press("escape", "escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        form = await open_form(pilot)
        assert field_values(form)["command"] == "python3 -c 'unclosed"
        assert field_values(form)["name"] == "typo"

        # the host refuses it (no such folder there): the form opens again with all of it,
        # the environment kept unseen, and the reason
        fill(form, command="sh -c 'echo \"$TOKEN\"'", cwd="~/no such folder", name="refused")
        form.query_one("#jobform-env").text = "TOKEN=t0ken-value"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, JobFormScreen)
                         and app.screen is not form)  # fmt: skip
        refused = app.screen
        await wait_until(pilot, lambda: "does not exist" in str(
            refused.query_one("#jobform-error").render()))  # fmt: skip
        assert field_values(refused)["cwd"] == "~/no such folder"
        assert field_values(refused)["command"] == "sh -c 'echo \"$TOKEN\"'"
        assert field_values(refused)["name"] == "refused"
        kept = str(refused.query_one("#jobform-kept-env").render())
        assert "TOKEN" in kept and "t0ken-value" not in kept
        assert local_jobs.list_jobs() == []

        refused.query_one("#jobform-cwd").value = "~"  # fixed: it starts, with the token
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(local_jobs.list_jobs()) == 1)
        (job,) = local_jobs.list_jobs()
        assert job.spec.env == (("TOKEN", "t0ken-value"),) and job.spec.name == "refused"


async def test_rerun_opens_the_form_filled_in_from_the_job(build_jobs_app, local_jobs, local_home):
    (local_home / "d").mkdir()
    spec = JobSpec(
        command=("sh", "-c", 'echo "$V"'), name="again", cwd="~/d", env=(("V", "secret one"),)
    )
    first = local_jobs.start(spec)
    app = build_jobs_app()
    async with app.run_test(size=SIZE) as pilot:
        await show_jobs(pilot)
        await select(pilot, first.id)
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, JobFormScreen))
        form = app.screen
        assert field_values(form) == {
            "host": "local", "master-addr": "", "master-port": "29500",
            "cwd": "~/d", "command": "sh -c 'echo \"$V\"'", "name": "again",
        }  # fmt: skip
        assert form.query_one("#jobform-env").text == ""  # values are not shown
        assert "secret one" not in str(form.query_one("#jobform-kept-env").render())
        # the command can be changed before it starts
        form.query_one("#jobform-command").value = "sh -c 'echo \"changed $V\"'"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(local_jobs.list_jobs()) == 2)
        again = next(job for job in local_jobs.list_jobs() if job.id != first.id)
        assert again.spec.command == ("sh", "-c", 'echo "changed $V"')
        assert (again.spec.name, again.spec.cwd, again.spec.env) == ("again-2", "~/d", spec.env)
        await wait_until(pilot, lambda: local_jobs.get(again.id).status.finished)
        assert open(again.log_path, encoding="utf-8").read() == "changed secret one\n"
        await wait_until(pilot, lambda: (row_of(app, again.id) or {}).get("name") == "again-2")


async def test_rerun_is_refused_in_read_only_mode(build_jobs_app, local_jobs):
    job = local_jobs.start(JobSpec(command=WAIT_FOR_GO, name="protected"))
    app = build_jobs_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await show_jobs(pilot)
        await select(pilot, job.id)
        await pilot.press("R")
        await wait_until(pilot, lambda: any(
            "Re-running protected was refused" in n.message for n in notifications(app)))  # fmt: skip
        assert isinstance(app.screen, MainScreen)  # no form to fill in for nothing


async def test_a_second_job_of_the_same_name_gets_a_number(build_jobs_app, local_jobs):
    app = build_jobs_app()
    async with app.run_test(size=SIZE) as pilot:
        await show_jobs(pilot)
        for count in (1, 2, 3):
            form = await open_form(pilot)
            fill(form, host="local", cwd="~", command="sleep 600", name="train")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda count=count: len(local_jobs.list_jobs()) == count)
        names = [job.spec.name for job in local_jobs.list_jobs()]
        assert names == ["train", "train-2", "train-3"]
        await wait_until(pilot, lambda: sorted(
            (row_of(app, job.id) or {}).get("name", "") for job in local_jobs.list_jobs()
        ) == names)  # fmt: skip
        await wait_until(pilot, lambda: any(
            n.message == "Started train-3 on local." for n in notifications(app)))  # fmt: skip
