"""A multi-node job group in the Jobs view: one row, its nodes on demand, actions on all.

Two sandboxed local hosts ("local" and "node1") play the nodes; the jobs run in real tmux
on the test's socket, the app is built like the CLI builds it (services against moto).
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from console.app import make_app
from console.jobs.manager import JobManager, start_group
from console.models import JobGroup, JobSpec, JobState
from console.settings import Settings
from console.ui.common.confirm import ConfirmScreen
from console.ui.jobs.form import JobFormScreen
from console.ui.jobs.log_viewer import LogViewerScreen
from console.ui.jobs.node_picker import NodePickerScreen
from console.ui.main_screen import MainScreen
from tests.ui.conftest import notifications, wait_until
from tests.ui.test_jobs_view import WAIT_FOR_GO, jobs_view, show_jobs

pytestmark = pytest.mark.timeout(150)

PRINT_ENV = (
    "python3",
    "-c",
    "import json, os; print(json.dumps([os.environ[k] for k in "
    "('MASTER_ADDR', 'MASTER_PORT', 'NNODES', 'NODE_RANK')]))",
)


@pytest.fixture
def node1_jobs(tmp_path, tmux_socket):
    from console.hosts.local import LocalHost

    home = tmp_path / "node1-home"
    home.mkdir()
    return JobManager(LocalHost(name="node1", home=str(home)), tmux_socket=tmux_socket)


@pytest.fixture
def build_app(tmp_path, aws_endpoint, tmux_socket, make_services, local_host, node1_jobs):
    def build(**overrides):
        config = tmp_path / "config.toml"
        config.write_text(f'[jobs]\ntmux_socket = "{tmux_socket}"\nhosts = ["node1"]\n')
        settings = Settings.load(config, environ={}).with_overrides(
            endpoint_url=aws_endpoint, region="us-east-1", refresh_interval=0.5, **overrides
        )
        services = make_services(settings)
        services.hosts.register("local", local_host)
        services.hosts.register("node1", node1_jobs.host)
        return make_app(settings, services)

    return build


def rows(app) -> list:
    return list(jobs_view(app).table.items)


def only_group(app) -> JobGroup | None:
    found = rows(app)
    return found[0] if len(found) == 1 and isinstance(found[0], JobGroup) else None


def cells(app, key: str) -> dict[str, str]:
    table = jobs_view(app).table
    row = table.get_row(key)
    return {c.key: str(cell) for c, cell in zip(table.columns_spec, row, strict=True)}


async def test_the_form_starts_a_group_shown_as_one_row_that_expands(
    build_app, local_jobs, node1_jobs
):
    app = build_app()
    async with app.run_test(size=(180, 50)) as pilot:
        await show_jobs(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, JobFormScreen))
        form = app.screen
        form.query_one("#jobform-host").value = "local, node1"
        await pilot.pause()
        assert "2 nodes: rank 0 local, rank 1 node1" in str(
            form.query_one("#jobform-nodes").render()
        )
        form.query_one("#jobform-command").value = " ".join(
            [PRINT_ENV[0], PRINT_ENV[1], repr(PRINT_ENV[2])]
        )
        form.query_one("#jobform-master-port").value = "29444"
        form.query_one("#jobform-name").value = "ddp"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))

        # both nodes listed and finished (a listing may catch the group half-started)
        await wait_until(
            pilot,
            lambda: (
                (g := only_group(app)) is not None and len(g.members) == 2 and g.status.finished
            ),
        )
        group = only_group(app)
        row = cells(app, f"group:{group.id}")
        assert row["name"] == "▸ ddp" and row["host"] == "2 nodes"
        assert row["status"] == "exited (0)"
        envs = [json.loads(Path(job.log_path).read_text()) for job in group.members]
        assert envs == [["127.0.0.1", "29444", "2", "0"], ["127.0.0.1", "29444", "2", "1"]]
        assert [job.host for job in group.members] == ["local", "node1"]

        await pilot.press("enter")  # on the group's row: show its nodes
        await wait_until(pilot, lambda: len(rows(app)) == 3)
        assert cells(app, f"group:{group.id}")["name"] == "▾ ddp"
        member = cells(app, f"node1:{group.members[1].id}")
        assert member["name"].strip() == "node 1" and member["host"] == "node1"
        assert jobs_view(app).selected.id == group.id
        await pilot.press("e")
        await wait_until(pilot, lambda: len(rows(app)) == 1)


async def test_kill_asks_once_naming_the_group_and_ends_every_node(
    build_app, local_jobs, node1_jobs
):
    managers = [local_jobs, node1_jobs]
    jobs = start_group(managers, JobSpec(command=WAIT_FOR_GO, name="long ddp"),
                       master_addr="127.0.0.1")  # fmt: skip
    read_only = build_app(read_only=True)
    async with read_only.run_test(size=(180, 40)) as pilot:
        await show_jobs(pilot)
        await wait_until(pilot, lambda: only_group(read_only) is not None)
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(read_only.screen, MainScreen)  # not even asked
        assert any(
            "Kill job group long ddp (2 nodes) was refused" in n.message
            for n in notifications(read_only)
        )
        await pilot.press("c")
        await pilot.pause()
        assert any("Ctrl-C was refused" in n.message for n in notifications(read_only))
    members = list(zip(managers, jobs, strict=True))
    assert all(m.get(j.id).status.state is JobState.RUNNING for m, j in members)

    app = build_app()
    async with app.run_test(size=(180, 40)) as pilot:
        await show_jobs(pilot)
        await wait_until(pilot, lambda: only_group(app) is not None)
        assert cells(app, f"group:{jobs[0].spec.group}")["status"] == "running"
        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one("#confirm-question").render())
        assert "Kill job group long ddp (2 nodes)" in question
        await pilot.press("y")
        await wait_until(pilot, lambda: all(m.get(j.id).status.finished for m, j in members))
        codes = [m.get(j.id).status.exit_code for m, j in members]
        assert codes == [128 + signal.SIGHUP] * 2
        await wait_until(
            pilot,
            lambda: cells(app, f"group:{jobs[0].spec.group}")["status"].startswith(
                f"exited ({128 + signal.SIGHUP}) on node"
            ),
        )


@pytest.mark.slow
async def test_logs_rerun_and_forget_act_on_the_group(build_app, local_jobs, node1_jobs):
    managers = [local_jobs, node1_jobs]
    start_group(managers, JobSpec(command=PRINT_ENV, name="envs"), master_addr="10.9.8.7")
    app = build_app()
    async with app.run_test(size=(180, 40)) as pilot:
        await show_jobs(pilot)
        await wait_until(pilot, lambda: (g := only_group(app)) is not None and g.status.finished)
        group = only_group(app)

        await pilot.press("l")  # rank 0's log
        await wait_until(pilot, lambda: isinstance(app.screen, LogViewerScreen))
        assert app.screen.source.reader.path == group.members[0].log_path
        await wait_until(pilot, lambda: list(app.screen.view.shown) == [
            '["10.9.8.7", "29500", "2", "0"]'])  # fmt: skip
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))

        await pilot.press("L")  # pick another node
        await wait_until(pilot, lambda: isinstance(app.screen, NodePickerScreen))
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LogViewerScreen))
        assert app.screen.source.reader.path == group.members[1].log_path
        await wait_until(pilot, lambda: list(app.screen.view.shown) == [
            '["10.9.8.7", "29500", "2", "1"]'])  # fmt: skip
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))

        await pilot.press("R")

        def rerun():
            # nodes start one after the other: a listing may catch the new group half-started
            others = [row for row in rows(app) if row.id != group.id]
            done = (
                len(others) == 1 and isinstance(others[0], JobGroup) and len(others[0].members) == 2
            )
            return others[0] if done else None

        await wait_until(pilot, rerun)
        again = rerun()
        assert isinstance(again, JobGroup) and again.nodes == 2 and again.name == "envs"
        assert [job.host for job in again.members] == ["local", "node1"]

        table = jobs_view(app).table
        table.move_cursor(row=[r.id for r in rows(app)].index(group.id))
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Forget job group envs (2 nodes)" in str(
            app.screen.query_one("#confirm-question").render()
        )
        await pilot.press("y")
        await wait_until(pilot, lambda: [r.id for r in rows(app)] == [again.id])
        assert [j.spec.group for m in managers for j in m.list_jobs()] == [again.id] * 2
        assert not any(Path(job.log_path).exists() for job in group.members)
