"""The train form (t in the Runs view): filled in, it starts the real trainer as a job.

The host is this machine (a ``LocalHost`` rooted in the test's folder, jobs on the test's own
tmux server), the dataset the trainer's tiny synthetic one (tests/trainer/conftest.py), the
ledger under the test's folder. The whole path is walked from the keyboard: the form, the
run in the Runs view, its charts filling in, the end with exit 0, best.pt among the
checkpoints, and a prediction with it.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input

from console.app import make_app
from console.models import RunState, TrainDefaults, TrainRequest
from console.runs.ledger import Ledger
from console.settings import JobsSettings, RunsSettings
from console.ui.registry import VIEWS
from console.ui.runs.chart import RunChart
from console.ui.runs.image_prompt import ImagePathPrompt
from console.ui.runs.prediction import PredictionScreen
from console.ui.runs.screen import RunScreen
from console.ui.runs.train_form import TrainFormScreen
from console.ui.runs.view import RunsView
from tests.fixtures.moto_server import launch
from tests.trainer import conftest as trainer_fixtures
from tests.trainer.conftest import TINY
from tests.ui.conftest import cell_texts, notifications, query_shown, wait_until
from trainer.index_cache import CACHE_NAME

pytestmark = pytest.mark.timeout(300)

tiny_dataset = trainer_fixtures.tiny_dataset

RUNS_KEY = str(1 + [view.view_id for view in VIEWS].index("runs"))


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "ledger" / "runs.jsonl")


@pytest.fixture
def build_app(tmp_path: Path, moto_settings, make_services, ledger: Ledger, local_host,
              tmux_socket: str):  # fmt: skip
    """The app against moto's server, ``local`` being the test's sandboxed host."""

    def build(**overrides):
        settings = moto_settings.with_overrides(
            refresh_interval=0.5, jobs=JobsSettings(tmux_socket=tmux_socket),
            runs=RunsSettings(ledger=str(ledger.path), cache_dir=str(tmp_path / "cache")),
            **overrides,
        )  # fmt: skip
        services = make_services(settings)
        services.hosts.register("local", local_host)
        return make_app(settings, services)

    return build


async def open_form(pilot) -> TrainFormScreen:
    await pilot.press(RUNS_KEY)
    view = await query_shown(pilot, RunsView)
    await wait_until(pilot, lambda: view.loaded_once)
    await pilot.press("t")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, TrainFormScreen))
    return pilot.app.screen


def fill(form: TrainFormScreen, **values: str) -> None:
    for widget_id, value in values.items():
        form.query_one(f"#trainform-{widget_id}", Input).value = value


def plain(widget) -> str:
    return str(widget.render())


@pytest.mark.slow
async def test_the_form_trains_on_this_machine_and_the_run_is_followed_to_a_prediction(
    build_app, ledger: Ledger, tiny_dataset: Path, tmp_path: Path
):
    run_dir = tmp_path / "runs" / "form"
    # the tiny settings of the trainer's tests; size and batch go in their own fields
    more = ["--width", "0.125", "--workers", "0", "--threads", "1", "--spot-watch", "off",
            "--log-every", "1"]  # fmt: skip
    assert set(more) <= set(TINY)
    image = sorted((tiny_dataset / "img").rglob("*.jpg"))[0]
    listed = (tiny_dataset / "Anno" / "list_category_img.txt").read_text().splitlines()[2]

    async with build_app().run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot)
        fill(form, hosts="local", data=str(tiny_dataset), epochs="1", batch="4", size="64",
             lr="0.001", more=shlex.join(more), name="form", **{"run-dir": str(run_dir)})  # fmt: skip
        form.query_one("#trainform-source").value = "folder"
        form.query_one("#trainform-amp", Checkbox).value = False
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.started is not None, within=60)
        started = form.started
        view = pilot.app.query_one(RunsView)
        await wait_until(pilot, lambda: view.table.row_count == 1)
        row = cell_texts(view.table)[0][1:]  # after the comparison mark
        await wait_until(pilot, lambda: started.run.id in plain(view.status_line))
        status = plain(view.status_line)

        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, RunScreen))
        screen = pilot.app.screen
        await wait_until(pilot, lambda: any(c.spec.id == "loss" and c.series and
                                            c.series[0].points for c in screen.query(RunChart)),
                         within=180)  # fmt: skip
        await wait_until(pilot, lambda: screen.run.finished, within=240)
        await wait_until(pilot, lambda: any(c.name == "best.pt" for c in screen.checkpoints),
                         within=60)  # fmt: skip
        finished = screen.run
        names = [c.name for c in screen.checkpoints]
        await pilot.press("down")
        assert screen.selected_checkpoint.name == "best.pt"
        await pilot.press("p")
        prompt = await query_shown(pilot, "#runs-image-input")
        assert isinstance(pilot.app.screen, ImagePathPrompt)
        offered = prompt.value
        prompt.value = str(image)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.prediction is not None, within=180)
        prediction = screen.prediction
        # the answer opens in its own dialog, over the run
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, PredictionScreen))
        # pushed is not yet composed: wait for the dialog's text itself
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#prediction-text"))
        text = plain(pilot.app.screen.query_one("#prediction-text"))
        await pilot.press("escape")
        assert pilot.app.screen is screen

    run = started.run
    args = run.trainer_args
    # the exact command: the console's interpreter, the trainer, the form's values last
    assert run.command[:4] == (sys.executable, "-m", "trainer", "train")
    assert args == (
        *more, "--data-root", str(tiny_dataset), "--run-dir", str(run_dir), "--epochs", "1",
        "--batch-size", "4", "--lr", "0.001", "--image-size", "64", "--precision", "fp32",
    )  # fmt: skip
    assert started.prepared == ()  # a folder as it is: no dataset job
    assert f"started {run.id}: {shlex.join(run.command)}" in status
    assert row[:2] == ["form", "local"] and row[2] in ("running", "finished")
    (recorded,) = ledger.read()[0]
    assert recorded.id == run.id and recorded.command == run.command
    assert finished.state is RunState.FINISHED and finished.exit_code == 0
    assert {"last.pt", "best.pt"} <= set(names)
    # p offers the first image of the run's dataset (this machine is the run's host)
    assert offered == str(tiny_dataset / listed.split()[0])
    assert (run_dir / "best.pt").is_file()
    top5 = [guess.name for guess in prediction.categories]
    assert len(top5) == 5
    assert all(name in text for name in top5) and "Top-5 categories:" in text


async def test_a_wrong_field_is_said_under_the_form_and_nothing_typed_is_lost(
    build_app, ledger: Ledger
):
    async with build_app().run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot)
        fill(form, hosts="local", data="data/x", epochs="two", lr="0.01", size="100")
        await pilot.press("ctrl+s")
        said_epochs = plain(form.query_one("#trainform-error"))
        fill(form, epochs="2")
        await pilot.press("ctrl+s")
        said_size = plain(form.query_one("#trainform-error"))
        still_open = pilot.app.screen is form
        kept = {key: form.query_one(f"#trainform-{key}", Input).value
                for key in ("hosts", "data", "epochs", "lr", "size")}  # fmt: skip

    assert said_epochs == "Epochs: 'two' is not a whole number of at least 1."
    assert said_size.startswith("Input size: 100 is not a multiple of 32")
    assert still_open
    assert kept == {"hosts": "local", "data": "data/x", "epochs": "2", "lr": "0.01", "size": "100"}
    assert ledger.read()[0] == []  # nothing was started


async def test_a_failed_start_keeps_the_form_open_with_the_reason(build_app, ledger: Ledger):
    async with build_app().run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot)
        fill(form, hosts="no-such-host-anywhere", data="data/x", epochs="1")
        form.query_one("#trainform-source").value = "folder"
        await pilot.press("ctrl+s")
        error = form.query_one("#trainform-error")
        await wait_until(pilot, lambda: not form.starting and "no-such-host" in plain(error),
                         within=60)  # fmt: skip
        still_open = pilot.app.screen is form
        hosts = form.query_one("#trainform-hosts", Input).value

    assert still_open and hosts == "no-such-host-anywhere"
    assert ledger.read()[0] == []


async def test_training_is_refused_in_read_only(build_app, ledger: Ledger):
    async with build_app(read_only=True).run_test(size=(160, 50)) as pilot:
        await pilot.press(RUNS_KEY)
        view = await query_shown(pilot, RunsView)
        await wait_until(pilot, lambda: view.loaded_once)
        await pilot.press("t")
        await wait_until(pilot, lambda: any("read-only" in n.message
                                            for n in notifications(pilot.app)))  # fmt: skip
        screen = pilot.app.screen

    assert not isinstance(screen, TrainFormScreen)
    assert ledger.read()[0] == []


async def test_defaults_fill_the_form_and_the_preview_shows_the_trainer_options(build_app):
    defaults = TrainDefaults(
        request=TrainRequest(hosts=("fashion-train",), name="demo", trainer_args=(
            "--data-root", "data/deepfashion", "--run-dir", "runs/demo", "--epochs", "5",
            "--image-size", "96", "--width", "0.25", "--batch-size", "8", "--spot-watch", "off",
        )),
        synth_args=("--images", "240"),
    )  # fmt: skip

    async with build_app().run_test(size=(160, 50)) as pilot:
        form = TrainFormScreen(pilot.app.services, defaults=defaults)
        await pilot.app.push_screen(form)
        await wait_until(pilot, lambda: form.is_mounted)
        await pilot.pause()
        values = {key: form.query_one(f"#trainform-{key}", Input).value
                  for key in ("hosts", "data", "epochs", "batch", "size", "lr", "more", "name",
                              "run-dir")}  # fmt: skip
        source = form.query_one("#trainform-source").value
        preview = plain(form.query_one("#trainform-preview"))
        plan = form.plan()

    assert values["hosts"] == "fashion-train"
    assert (values["data"], values["epochs"], values["batch"], values["size"]) == (
        "data/deepfashion", "5", "8", "96",
    )  # fmt: skip
    assert values["lr"] == "0.0001"  # the trainer's own default
    assert values["more"] == "--width 0.25 --spot-watch off"
    assert values["run-dir"].startswith("runs/demo-")  # a folder of its own, never runs/demo
    assert source == "synthetic" and plan.synth_args == ("--images", "240")
    assert preview == "python -m trainer train " + shlex.join(plan.request.trainer_args)
    assert plan.request.hosts == ("fashion-train",) and plan.request.gpus == "1"


async def test_escape_leaves_a_field_for_the_train_button_and_a_second_closes_the_form(
    build_app, ledger: Ledger
):
    async with build_app().run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot)
        button = form.query_one("#trainform-start")
        form.query_one("#trainform-epochs", Input).focus()
        await pilot.press("escape")
        await pilot.pause()
        after_first = (pilot.app.screen is form, pilot.app.focused)
        await pilot.press("escape")
        await wait_until(pilot, lambda: pilot.app.screen is not form)

    still_open, focused = after_first
    assert still_open and focused is button
    assert ledger.read()[0] == []


async def test_t_on_an_instance_opens_the_form_on_that_instance(build_app, ec2):
    launch(ec2, "gpu-box", "g5.xlarge")

    async with build_app().run_test(size=(160, 50)) as pilot:
        table = pilot.app.query_one("#instances-table")
        await wait_until(pilot, lambda: table.row_count == 1)
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TrainFormScreen))
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#trainform-hosts"))
        hosts = pilot.app.screen.query_one("#trainform-hosts", Input).value

    assert hosts == "gpu-box"


def inside(widget, screen) -> bool:
    """Whether ``widget`` is drawn whole on ``screen`` (not cut by its edge nor scrolled away)."""
    region, area = widget.region, screen.region
    return bool(region.area) and area.contains_region(region)


async def test_on_80_by_24_the_form_fits_the_terminal_with_hosts_and_train_in_sight(build_app):
    async with build_app().run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await pilot.pause()
        dialog = form.query_one("#trainform-dialog")
        hosts = form.query_one("#trainform-hosts", Input)
        train = form.query_one("#trainform-start")
        preview = form.query_one("#trainform-preview")
        fits = form.region.contains_region(dialog.region)
        shown = {name: inside(widget, form) for name, widget in
                 (("hosts", hosts), ("train", train), ("preview", preview))}  # fmt: skip
        focused = pilot.app.focused

    assert fits, f"the dialog {dialog.region} overflows the 80×24 screen"
    # Train has the focus (Enter starts), yet the first field stays in sight above it
    assert focused is train
    assert shown == {"hosts": True, "train": True, "preview": True}


def dataset_files(folder: Path) -> list[Path]:
    """The dataset's own files under ``folder``, sorted: not the trainer's index cache, its
    lock or a build's temporary beside them. The run's shared dataset may hold those of
    another test's trainer (even one writing them now), and the trainer started on the copy
    makes its own there."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and CACHE_NAME not in p.name)


@pytest.mark.slow
async def test_an_s3_prefix_is_copied_into_the_dataset_folder_before_the_run_starts(
    build_app, ledger: Ledger, tiny_dataset: Path, local_home: Path, s3
):
    s3.create_bucket(Bucket="datasets")
    files = dataset_files(tiny_dataset)
    for path in files:
        s3.put_object(Bucket="datasets", Key=f"deepfashion/{path.relative_to(tiny_dataset)}",
                      Body=path.read_bytes())  # fmt: skip
    more = ["--width", "0.125", "--workers", "0", "--threads", "1", "--spot-watch", "off"]

    async with build_app().run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot)
        await pilot.pause()
        form.query_one("#trainform-source").value = "s3"
        await pilot.pause()
        fill(form, hosts="local", cwd="~", data="data/df", s3="s3://datasets/deepfashion",
             epochs="1", batch="4", size="64", more=shlex.join(more), name="from-s3")  # fmt: skip
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.started is not None, within=120)
        started = form.started

    copied = local_home / "data" / "df"
    # every file of the prefix, byte for byte, in the folder the trainer is given
    assert [p.relative_to(copied) for p in dataset_files(copied)] == [
        p.relative_to(tiny_dataset) for p in files
    ]
    assert all((copied / p.relative_to(tiny_dataset)).read_bytes() == p.read_bytes()
               for p in files)  # fmt: skip
    (prepared,) = started.prepared
    assert prepared.startswith(f"local: awsconsole cp s3://datasets/deepfashion/ {copied} -r")
    assert f"({len(files)} copied, 0 already there)" in prepared
    args = started.run.trainer_args
    assert args[args.index("--data-root") + 1] == "data/df"


async def test_the_s3_source_needs_an_s3_prefix(build_app, ledger: Ledger):
    async with build_app().run_test(size=(160, 50)) as pilot:
        form = await open_form(pilot)
        form.query_one("#trainform-source").value = "s3"
        fill(form, hosts="local", data="data/df", s3="")
        await pilot.press("ctrl+s")
        said_empty = plain(form.query_one("#trainform-error"))
        fill(form, s3="/not/s3")
        await pilot.press("ctrl+s")
        said_wrong = plain(form.query_one("#trainform-error"))

    assert said_empty == "S3 prefix: say which (s3://BUCKET/PREFIX/)."
    assert said_wrong == "S3 prefix: '/not/s3' is not s3://BUCKET/PREFIX/."
    assert ledger.read()[0] == []
