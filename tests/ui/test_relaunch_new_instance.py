"""Spot recovery onto a new instance, in ``--demo``: R on an interrupted run, "new" opens the
launch wizard, its review is confirmed, and the run is relaunched on the instance it
launched once that runs, its checkpoint copied into the new instance's run folder first. The
demo's instances are this machine (sandbox folders), so the new one answers at once."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from pathlib import Path

import pytest

from console.app import make_app
from console.models import RunNode, RunRecord, RunState
from console.runs.ledger import Ledger
from console.settings import JobsSettings, RunsSettings, Settings
from console.startup import build_services
from console.ui.common.confirm import ConfirmScreen
from console.ui.instances.launch_review import LaunchReviewScreen
from console.ui.instances.launch_wizard import NEW_KEY, LaunchWizardScreen
from console.ui.instances.view import InstancesView
from console.ui.registry import VIEWS
from console.ui.runs.screen import RunScreen
from console.ui.runs.view import RunsView
from tests.fixtures.tmux_server import kill_tmux_server
from tests.trainer import conftest as trainer_fixtures
from tests.trainer.conftest import TINY
from tests.ui.conftest import query_shown, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

trained_run = trainer_fixtures.trained_run
tiny_dataset = trainer_fixtures.tiny_dataset
RUNS_KEY = str(1 + [view.view_id for view in VIEWS].index("runs"))


async def test_relaunch_on_a_new_instance_from_the_wizard_copies_the_checkpoint_there(
    demo_folder: Path, tmp_path: Path, trained_run: Path, tiny_dataset: Path, monkeypatch
):
    monkeypatch.setenv("HOME", str(tmp_path))  # the wizard's new key lands in <tmp>/.ssh
    jobs_socket = f"awsc-relaunch-{uuid.uuid4().hex[:8]}"
    ledger = Ledger(tmp_path / "runs.jsonl")
    settings = Settings.load(tmp_path / "none.toml", environ={}).with_overrides(
        demo=True, demo_dir=str(demo_folder), refresh_interval=0,
        jobs=JobsSettings(tmux_socket=jobs_socket),
        runs=RunsSettings(ledger=str(ledger.path), cache_dir=str(tmp_path / "cache")),
    )  # fmt: skip
    services = build_services(settings)
    try:
        old_home = Path(services.hosts.host_for("fashion-train").home())
        run_dir = old_home / "runs" / "spot"
        run_dir.mkdir(parents=True)
        for name in ("last.pt", "last.pt.json"):
            shutil.copy(trained_run / name, run_dir / name)
        args = ("--data-root", str(tiny_dataset), "--run-dir", "runs/spot", "--epochs", "2",
                *TINY)  # fmt: skip
        interrupted = ledger.add(RunRecord(
            id="run-20261204-160000-spot-0001", name="spot", started=dt.datetime.now(dt.UTC),
            command=("python", "-m", "trainer", "train", *args), trainer_args=args, gpus="1",
            cwd="~", run_dir=str(run_dir), nodes=(RunNode("fashion-train", "job-gone"),),
            state=RunState.INTERRUPTED, exit_code=75, checkpoint_step=7,
            ended=dt.datetime.now(dt.UTC),
        ))  # fmt: skip
        app = make_app(settings, services)
        async with app.run_test(size=(160, 50)) as pilot:
            await query_shown(pilot, InstancesView, within=90)
            await pilot.press(RUNS_KEY)
            view = await query_shown(pilot, RunsView)
            await wait_until(pilot, lambda: view.table.row_count == 1, within=60)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
            run_screen = app.screen
            await wait_until(pilot, lambda: run_screen.progress is not None, within=60)
            await pilot.press("R")
            prompt = await query_shown(pilot, "#runs-image-input")
            prompt.value = "new"
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, LaunchWizardScreen))
            wizard = app.screen
            await wait_until(pilot, lambda: wizard.choices is not None, within=60)
            for widget_id, value in {"key": NEW_KEY, "key-name": "spot-key",
                                     "name": "spot-new", "cidr": "203.0.113.50",
                                     "type": "g5.xlarge"}.items():  # fmt: skip
                wizard.query_one(f"#launch-{widget_id}").value = value
            await pilot.pause()
            wizard.action_launch()
            try:
                await wait_until(pilot, lambda: isinstance(app.screen, LaunchReviewScreen)
                                 and app.screen.query("#launch-review-back"), within=60)  # fmt: skip
            except AssertionError as exc:
                said = str(wizard.query_one("#launch-status").render())
                raise AssertionError(f"{exc}; the wizard says: {said}") from None
            await pilot.press("y")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), within=60)
            question = app.screen.detail
            await pilot.press("y")
            status = run_screen.query_one("#run-status")
            await wait_until(pilot, lambda: "Relaunched as " in str(status.render()), within=120)
        new_id = question.split("new instance ")[1].split(" ")[0]
        new_home = Path(services.hosts.host_for(new_id).home())
    finally:
        services.close()
        kill_tmux_server(jobs_socket)

    (second,) = [run for run in ledger.read()[0] if run.id != interrupted.id]
    copied = new_home / "runs" / "spot" / "last.pt"
    assert new_id.startswith("i-") and new_home != old_home
    assert second.hosts == (new_id,) and second.continues == interrupted.id
    assert second.resumed_from == str(copied)
    assert copied.read_bytes() == (run_dir / "last.pt").read_bytes()
