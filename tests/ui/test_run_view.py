"""The Runs view and the run screen, on a real run of the trainer.

The run is the trainer's shared one-epoch run on its tiny synthetic dataset (tests/trainer
/conftest.py), copied into the test's folder and recorded in a ledger there, as ``awsconsole
train`` would have recorded it once it finished. The app is built like the CLI builds it
(services against moto's server); the run's host is this machine (``local``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from console.app import make_app
from console.hosts.local import LocalHost
from console.models import JobSpec, RunNode, RunRecord, RunState
from console.runs.ledger import Ledger
from console.runs.metrics import read_all
from console.runs.status import fold_metrics
from console.settings import GpuSettings, JobsSettings, RunsSettings
from console.ui.common.confirm import ConfirmScreen
from console.ui.registry import VIEWS
from console.ui.runs.chart import RunChart
from console.ui.runs.compare import CompareScreen
from console.ui.runs.image_prompt import ImagePathPrompt
from console.ui.runs.prediction import PredictionScreen
from console.ui.runs.screen import RunScreen
from console.ui.runs.train_form import TrainFormScreen
from console.ui.runs.view import RunsView
from tests.fixtures.nvidia_smi import make_standin
from tests.trainer import conftest as trainer_fixtures
from tests.trainer.conftest import TINY
from tests.ui.conftest import cell_texts, notifications, query_shown, wait_until

pytestmark = pytest.mark.timeout(240)

# the trainer's shared fixtures: one tiny dataset, one short run for the whole test run
tiny_dataset = trainer_fixtures.tiny_dataset
trained_run = trainer_fixtures.trained_run

STARTED = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
#: the number key that shows the Runs view
RUNS_KEY = str(1 + [view.view_id for view in VIEWS].index("runs"))


def metric_lines(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def finished_record(
    run_dir: Path, *, name: str = "tiny", run_id: str = "run-20261204-120000-tiny-0001", **fields
) -> RunRecord:
    """The ledger's record of a run that ended with exit 0, its metrics folded in as the
    runs backend folds them (``fields`` replace any of it)."""
    records = read_all(LocalHost(), str(run_dir / "metrics.jsonl"))
    times = [r.time for r in records if r.time is not None]
    started = dt.datetime.fromtimestamp(times[0], dt.UTC) if times else STARTED
    record = RunRecord(
        id=run_id, name=name, started=started, command=("python", "-m", "trainer", "train"),
        trainer_args=("--run-dir", str(run_dir)), gpus="1", cwd="~", run_dir=str(run_dir),
        nodes=(RunNode("local", "job-0001"),), state=RunState.FINISHED, exit_code=0,
        ended=dt.datetime.fromtimestamp(times[-1], dt.UTC) if times else STARTED,
    )  # fmt: skip
    return replace(fold_metrics(record, records, restarted=True), **fields)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "ledger" / "runs.jsonl")


@pytest.fixture
def build_app(tmp_path: Path, moto_settings, make_services, ledger: Ledger):
    def build(**overrides):
        runs = RunsSettings(ledger=str(ledger.path), cache_dir=str(tmp_path / "cache"))
        settings = moto_settings.with_overrides(runs=runs, **overrides)
        return make_app(settings, make_services(settings))

    return build


@pytest.fixture
def run_dir(trained_run: Path, tmp_path: Path) -> Path:
    """A copy of the trainer's run folder this test may change."""
    copy = tmp_path / "run"
    shutil.copytree(trained_run, copy)
    return copy


async def open_runs(pilot) -> RunsView:
    await pilot.press(RUNS_KEY)
    view = await query_shown(pilot, RunsView)
    await wait_until(pilot, lambda: view.loaded_once and view.table.row_count > 0)
    return view


async def open_run(pilot) -> RunScreen:
    """The Runs view, then Enter on its first run; the screen once its first read is shown."""
    await open_runs(pilot)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, RunScreen))
    screen = pilot.app.screen
    await wait_until(pilot, lambda: screen.progress is not None)
    return screen


def charts(screen: RunScreen) -> dict[str, dict[str, list[tuple[float, float]]]]:
    """Each chart's id -> its curves' label -> the points the chart holds."""
    return {
        chart.spec.id: {series.label: series.points for series in chart.series}
        for chart in screen.query(RunChart)
    }


def listed(view: RunsView) -> list[list[str]]:
    """The Runs table's rows as drawn, without the first column (the comparison mark)."""
    return [row[1:] for row in cell_texts(view.table)]


def plain(widget) -> str:
    return str(widget.render())


async def test_the_runs_view_lists_the_run_with_its_state_and_best_metrics(
    build_app, ledger: Ledger, run_dir: Path
):
    record = ledger.add(finished_record(run_dir))
    interrupted = ledger.add(finished_record(
        run_dir, name="spot", run_id="run-20261204-130000-spot-0001", state=RunState.INTERRUPTED,
        exit_code=75, checkpoint_step=5, started=STARTED + dt.timedelta(hours=1)))  # fmt: skip
    app = build_app()

    async with app.run_test(size=(160, 50)) as pilot:
        view = await open_runs(pilot)
        await wait_until(pilot, lambda: view.table.row_count == 2)
        rows = {row[-1]: row for row in listed(view)}
        status = plain(view.status_line)

    top1 = record.best_metrics["category_top1"]
    assert rows[record.id][:4] == ["tiny", "local", "finished", "1/1"]
    assert rows[record.id][4] == f"{top1:.1f}%"  # the best top-1
    assert rows[record.id][7] == ""  # this machine has no price: no cost
    assert rows[interrupted.id][:3] == ["spot", "local", "interrupted — checkpoint at step 5"]
    assert status.startswith("2 runs, 0 running")


async def test_the_run_screen_charts_the_points_of_metrics_jsonl(
    build_app, ledger: Ledger, run_dir: Path
):
    record = ledger.add(finished_record(run_dir))
    lines = metric_lines(run_dir)
    train = [line for line in lines if line["kind"] == "train"]
    (evaluation,) = [line for line in lines if line["kind"] == "eval"]
    app = build_app()

    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_run(pilot)
        shown = charts(screen)
        loss_widget = screen.query_one("#chart-loss", RunChart)
        drawn = [(list(d.x), list(d.y)) for d in loss_widget._datasets]
        metrics = {row[0]: row[1:] for row in cell_texts(screen.query_one("#run-metrics"))}
        checkpoints = cell_texts(screen.query_one("#run-checkpoints"))
        summary = plain(screen.query_one("#run-summary"))
        warning = screen.query_one("#run-warning")
        warning_shown = warning.has_class("shown")

    step = evaluation["step"]
    assert shown["loss"]["train"] == pytest.approx([(t["step"], t["loss"]) for t in train])
    assert shown["loss"]["validation"] == pytest.approx([(step, evaluation["loss"])])
    assert shown["category"] == pytest.approx({
        "top-1": [(step, evaluation["category_top1"])],
        "top-3": [(step, evaluation["category_top3"])],
        "top-5": [(step, evaluation["category_top5"])],
    })  # fmt: skip
    assert shown["attributes"] == pytest.approx({
        "recall@3": [(step, evaluation["attr_all_recall@3"])],
        "recall@5": [(step, evaluation["attr_all_recall@5"])],
    })  # fmt: skip
    assert shown["landmarks"]["mean error"] == pytest.approx([(step, evaluation["landmark_mean"])])
    assert shown["lr"]["lr"] == pytest.approx([(t["step"], t["lr"]) for t in train])
    assert shown["speed"]["images/s"] == pytest.approx(
        [(t["step"], t["images_per_s"]) for t in train]
    )
    # the plot widget itself holds those points (what it draws from)
    assert drawn[0][0] == [t["step"] for t in train]
    assert drawn[0][1] == pytest.approx([t["loss"] for t in train])
    # the final metrics, latest and best (one evaluation: the same)
    assert metrics["category_top5"] == [f"{evaluation['category_top5']:.1f}%"] * 2
    assert metrics["loss"] == [f"{evaluation['loss']:.4f}"] * 2
    assert f"epoch 1/1  ·  step {record.last_step}" in summary
    assert "cost unknown" in summary
    # last.pt and best.pt, with the step and size their sidecars and files give
    assert [(row[0], row[1], row[2]) for row in checkpoints] == [
        ("last.pt", "resumable", str(step)), ("best.pt", "weights", str(step)),
    ]  # fmt: skip
    assert checkpoints[0][-1] == f"local:{run_dir / 'last.pt'}"
    assert not warning_shown  # one evaluation cannot show a trend


async def test_a_hostile_run_name_and_metric_key_render_as_text(
    build_app, ledger: Ledger, run_dir: Path
):
    name = "[bold red]evil\x1b[2J\x1b]0;owned\x07"
    key = "attr_[link=http://x]\x1b[31mtype_recall@5"
    record = finished_record(run_dir, name=name)
    ledger.add(finished_record(run_dir, name=name, final_metrics={**record.final_metrics, key: 55.5},
                               best_metrics={key: 60.0}))  # fmt: skip
    app = build_app()

    async with app.run_test(size=(160, 50)) as pilot:
        view = await open_runs(pilot)
        (row,) = listed(view)
        screen = await open_run(pilot)
        head = plain(screen.query_one("#run-head"))
        metrics = {r[0]: r[1:] for r in cell_texts(screen.query_one("#run-metrics"))}

    shown_name = "[bold red]evil\\x1b[2J\\x1b]0;owned\\x07"
    assert row[0] == shown_name  # the brackets as written, the escapes shown, none sent
    assert head.startswith(shown_name)
    shown_key = "attr_[link=http://x]\\x1b[31mtype_recall@5"
    assert metrics[shown_key] == ["55.5%", "60.0%"]
    assert not any("\x1b" in cell for r in metrics for cell in (r, *metrics[r]))


@pytest.mark.slow
async def test_the_run_screen_follows_a_running_run_until_it_ends(
    tmp_path: Path, moto_settings, make_services, ledger: Ledger, local_host, local_jobs,
    tmux_socket: str, trained_run: Path,
):  # fmt: skip
    lines = (trained_run / "metrics.jsonl").read_text().splitlines(keepends=True)
    first_train = next(i for i, line in enumerate(lines) if '"train"' in line)
    run_dir = tmp_path / "live"
    run_dir.mkdir()
    metrics = run_dir / "metrics.jsonl"
    metrics.write_text("".join(lines[: first_train + 1]))  # the start and one training step
    job = local_jobs.start(JobSpec(command=("sleep", "120"), name="train"))
    ledger.add(RunRecord(
        id="run-20261204-140000-live-0001", name="live", started=job.started,
        command=job.spec.command, trainer_args=(), gpus="1", cwd="~", run_dir=str(run_dir),
        nodes=(RunNode("local", job.id),), epochs_total=1,
    ))  # fmt: skip
    settings = moto_settings.with_overrides(
        refresh_interval=0.3, jobs=JobsSettings(tmux_socket=tmux_socket),
        runs=RunsSettings(ledger=str(ledger.path), cache_dir=str(tmp_path / "cache")),
    )  # fmt: skip
    services = make_services(settings)
    services.hosts.register("local", local_host)
    all_train = [json.loads(line) for line in lines if '"train"' in line]

    async with make_app(settings, services).run_test(size=(160, 50)) as pilot:
        screen = await open_run(pilot)
        loss = screen.query_one("#chart-loss", RunChart)
        await wait_until(pilot, lambda: len(charts(screen)["loss"].get("train", [])) == 1)
        running_head = plain(screen.query_one("#run-head"))
        running_summary = plain(screen.query_one("#run-summary"))

        with metrics.open("a") as file:  # the trainer writes the rest of its lines
            file.write("".join(lines[first_train + 1 :]))
        await wait_until(pilot, lambda: "validation" in charts(screen)["loss"], within=60)
        followed = charts(screen)["loss"]
        local_jobs.kill(job.id)
        await wait_until(pilot, lambda: screen.run.finished and screen._timer is None, within=60)
        ended_head = plain(screen.query_one("#run-head"))
        drawn = len(loss._datasets)

    assert "  running  " in running_head
    assert "ETA " in running_summary
    assert followed["train"] == pytest.approx([(t["step"], t["loss"]) for t in all_train])
    assert drawn == 2  # the training and validation curves, both on the chart
    assert "  running  " not in ended_head


async def test_the_cost_shows_when_the_instance_price_is_known(
    build_app, ledger: Ledger, run_dir: Path
):
    priced = RunNode("local", "job-0001", instance_type="g5.xlarge", price_per_hour=2.0)
    record = ledger.add(finished_record(run_dir, nodes=(priced,), started=STARTED,
                                        ended=STARTED + dt.timedelta(minutes=30)))  # fmt: skip

    async with build_app().run_test(size=(160, 50)) as pilot:
        view = await open_runs(pilot)
        (row,) = listed(view)
        screen = await open_run(pilot)
        summary = plain(screen.query_one("#run-summary"))

    assert row[7] == "$1.00"  # half an hour at $2.00/h (after Top-1, Top-5, Landmark err)
    assert "elapsed 0:30:00" in summary and "$1.00 so far at $2.00/h" in summary
    assert record.price_per_hour == 2.0


@pytest.mark.slow
async def test_relaunch_of_an_interrupted_run_resumes_from_its_checkpoint(
    tmp_path: Path, moto_settings, make_services, ledger: Ledger, local_host, local_jobs,
    tmux_socket: str, run_dir: Path, tiny_dataset: Path,
):  # fmt: skip
    args = ("--data-root", str(tiny_dataset), "--run-dir", str(run_dir), "--epochs", "2", *TINY)
    interrupted = ledger.add(finished_record(
        run_dir, name="spot", state=RunState.INTERRUPTED, exit_code=75, checkpoint_step=7,
        trainer_args=args, command=("python", "-m", "trainer", "train", *args),
    ))  # fmt: skip
    settings = moto_settings.with_overrides(
        jobs=JobsSettings(tmux_socket=tmux_socket),
        runs=RunsSettings(ledger=str(ledger.path), cache_dir=str(tmp_path / "cache")),
    )  # fmt: skip
    services = make_services(settings)
    services.hosts.register("local", local_host)

    async with make_app(settings, services).run_test(size=(160, 50)) as pilot:
        screen = await open_run(pilot)
        await pilot.press("R")
        hosts = await query_shown(pilot, "#runs-image-input")
        offered = hosts.value  # the run's own host
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("y")
        status = screen.query_one("#run-status")
        await wait_until(pilot, lambda: "Relaunched as " in plain(status), within=60)
        said = plain(status)

    runs = {run.id: run for run in ledger.read()[0]}
    (second,) = [run for run in runs.values() if run.id != interrupted.id]
    assert offered == "local"
    assert said == f"Relaunched as {second.id} on local."
    resume = str(run_dir / "last.pt")
    assert (second.continues, second.resumed_from, second.checkpoint_step) == (
        interrupted.id, resume, 7,
    )  # fmt: skip
    assert second.command[-2:] == ("--resume", resume)
    job = local_jobs.get(second.nodes[0].job_id)
    assert list(job.spec.command) == list(second.command)


async def test_a_run_whose_host_is_unknown_keeps_its_ledger_record_and_says_why(
    build_app, ledger: Ledger, run_dir: Path
):
    record = ledger.add(finished_record(run_dir, nodes=(RunNode("gone-host", "job-0001"),)))

    async with build_app().run_test(size=(160, 50)) as pilot:
        screen = await open_run(pilot)
        status = screen.query_one("#run-status")
        said, failed = plain(status), status.has_class("error")
        metrics = {row[0]: row[1:] for row in cell_texts(screen.query_one("#run-metrics"))}
        series = charts(screen)

    assert failed and said.startswith(f"{record.metrics_path}: ")
    assert "gone-host" in said
    # the ledger's own figures are still shown; no curve was read
    assert metrics["category_top5"][0] == f"{record.final_metrics['category_top5']:.1f}%"
    assert all(curves == {} for curves in series.values())


def evaluation_line(epoch: int, loss: float, top1: float) -> str:
    return json.dumps({"kind": "eval", "split": "val", "epoch": epoch, "epochs": 4,
                       "step": epoch * 10, "loss": loss, "category_top1": top1,
                       "category_top3": top1 + 10, "category_top5": top1 + 20,
                       "time": 1_800_000_000 + epoch * 60})  # fmt: skip


@pytest.mark.parametrize(
    ("curve", "flagged"),
    [
        ([(1.10, 40.0), (1.20, 45.0), (1.35, 47.5)], True),  # loss up, accuracy up
        ([(1.10, 40.0), (1.00, 45.0), (0.90, 47.5)], False),  # both improve
        ([(1.10, 47.5), (1.20, 45.0), (1.35, 40.0)], False),  # plain overfitting: accuracy falls
    ],
)
async def test_over_confidence_is_flagged_only_when_loss_rises_as_accuracy_rises(
    build_app, ledger: Ledger, tmp_path: Path, curve, flagged
):
    run_dir = tmp_path / "synthetic-run"
    run_dir.mkdir()
    (run_dir / "metrics.jsonl").write_text(
        "\n".join(
            evaluation_line(epoch, loss, top1) for epoch, (loss, top1) in enumerate(curve, start=1)
        )
        + "\n"  # fmt: skip
    )
    ledger.add(finished_record(run_dir, final_metrics={}, best_metrics={}))
    app = build_app()

    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_run(pilot)
        warning = screen.query_one("#run-warning")
        shown, text = warning.has_class("shown"), plain(warning)
        validation = charts(screen)["loss"]["validation"]

    assert validation == pytest.approx([(e * 10, loss) for e, (loss, _) in enumerate(curve, 1)])
    assert shown is flagged
    if flagged:
        assert "growing over-confident on the ones it gets wrong" in text
        assert "(1.1000 → 1.3500)" in text and "(40.0% → 47.5%)" in text
    else:
        assert text == ""


async def test_relaunch_asks_first_and_is_refused_in_read_only(
    build_app, ledger: Ledger, run_dir: Path
):
    ledger.add(finished_record(run_dir, state=RunState.INTERRUPTED, exit_code=75,
                               checkpoint_step=7))  # fmt: skip

    async with build_app(read_only=True).run_test(size=(160, 50)) as pilot:
        await open_run(pilot)
        await pilot.press("R")
        await wait_until(pilot, lambda: any("read-only" in n.message
                                            for n in notifications(pilot.app)))  # fmt: skip
        refused_screen = pilot.app.screen

    async with build_app().run_test(size=(160, 50)) as pilot:
        screen = await open_run(pilot)
        await pilot.press("R")
        await query_shown(pilot, "#runs-image-input")  # where: the run's own host offered
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        question = pilot.app.screen
        await pilot.press("escape")
        await wait_until(pilot, lambda: pilot.app.screen is screen)

    assert isinstance(refused_screen, RunScreen)  # no question was asked
    assert question.what == "Relaunch run tiny"
    assert "from its checkpoint at step 7" in question.detail
    (only,) = ledger.read()[0]  # nothing was started
    assert only.state is RunState.INTERRUPTED


async def test_a_finished_run_is_not_relaunched(build_app, ledger: Ledger, run_dir: Path):
    ledger.add(finished_record(run_dir))

    async with build_app().run_test(size=(160, 50)) as pilot:
        screen = await open_run(pilot)
        await pilot.press("R")
        await wait_until(
            pilot, lambda: any(n.title == "Relaunch" for n in notifications(pilot.app))
        )
        still = pilot.app.screen

    assert still is screen
    (said,) = [n for n in notifications(pilot.app) if n.title == "Relaunch"]
    assert "only an interrupted run" in said.message


async def test_download_of_a_checkpoint_on_this_machine_names_the_file(
    build_app, ledger: Ledger, run_dir: Path
):
    ledger.add(finished_record(run_dir))

    async with build_app().run_test(size=(160, 50)) as pilot:
        screen = await open_run(pilot)
        await wait_until(pilot, lambda: screen.selected_checkpoint is not None)
        await pilot.press("d")
        status = screen.query_one("#run-status")
        await wait_until(pilot, lambda: "is on this machine" in plain(status))
        text = plain(status)

    assert text == f"last.pt is on this machine: {run_dir / 'last.pt'}"


@pytest.mark.slow
async def test_predict_locally_shows_the_top5_attributes_landmarks_and_drawn_picture(
    build_app, ledger: Ledger, run_dir: Path, tiny_dataset: Path
):
    ledger.add(finished_record(run_dir))
    image = sorted((tiny_dataset / "img").rglob("*.jpg"))[0]
    categories = {line.split()[0] for line in (tiny_dataset / "Anno" / "list_category_cloth.txt")
                  .read_text().splitlines()[2:]}  # fmt: skip

    async with build_app().run_test(size=(160, 50)) as pilot:
        screen = await open_run(pilot)
        await wait_until(pilot, lambda: screen.selected_checkpoint is not None)
        await pilot.press("down")  # best.pt
        assert screen.selected_checkpoint.name == "best.pt"
        await pilot.press("p")
        prompt = await query_shown(pilot, "#runs-image-input")
        assert isinstance(pilot.app.screen, ImagePathPrompt)
        prompt.value = str(image)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.prediction is not None, within=180)
        prediction = screen.prediction
        # the answer opens in its own dialog, over the run
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, PredictionScreen))
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#prediction-text"))
        text = plain(pilot.app.screen.query_one("#prediction-text"))
        await pilot.press("escape")
        assert pilot.app.screen is screen

    names = [guess.name for guess in prediction.categories]
    assert len(names) == 5 and set(names) <= categories
    top5_line = next(line for line in text.splitlines() if line.startswith("Top-5 categories:"))
    assert all(name in top5_line for name in names)
    assert {kind for kind, _ in prediction.attributes} == {
        "texture",
        "fabric",
        "shape",
        "part",
        "style",
    }
    assert all(f"  {kind}: " in text for kind, _ in prediction.attributes)
    assert "left collar (" in text and "right hem (" in text
    assert prediction.drawn and Path(prediction.drawn).read_bytes().startswith(b"\x89PNG")
    assert f"Drawn: {prediction.drawn}" in text


def relaunched_record() -> RunRecord:
    """An interrupted run that had been relaunched: its options end in ``--resume``."""
    args = ("--width", "0.5", "--data-root", "data/df", "--run-dir", "runs/sweep-old",
            "--epochs", "7", "--batch-size", "32", "--lr", "0.0003", "--image-size", "192",
            "--precision", "fp32", "--resume", "runs/sweep-old/last.pt")  # fmt: skip
    return RunRecord(
        id="run-20261204-120000-sweep-0002", name="sweep", started=STARTED,
        command=("python", "-m", "trainer", "train", *args), trainer_args=args, gpus="all",
        cwd="~/work", run_dir="/nowhere/runs/sweep-old", nodes=(RunNode("local", "job-0001"),),
        state=RunState.INTERRUPTED, exit_code=143, ended=STARTED,
    )  # fmt: skip


async def test_re_run_opens_the_train_form_with_the_run_settings_and_a_new_folder(
    build_app, ledger: Ledger
):
    ledger.add(relaunched_record())
    async with build_app().run_test(size=(160, 50)) as pilot:
        await open_runs(pilot)
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TrainFormScreen))
        form = pilot.app.screen
        await query_shown(pilot, "#trainform-start")  # the form built to its last button
        await pilot.pause()
        fields = {key: form.query_one(f"#trainform-{key}").value
                  for key in ("hosts", "cwd", "data", "epochs", "batch", "lr", "size", "name",
                              "more", "run-dir", "gpus", "source", "amp")}  # fmt: skip
        preview = str(form.query_one("#trainform-preview").render())
        await pilot.press("escape")

    assert fields["hosts"] == "local" and fields["cwd"] == "~/work"
    assert fields["data"] == "data/df" and fields["source"] == "folder"
    assert (fields["epochs"], fields["batch"], fields["lr"], fields["size"]) == (
        "7", "32", "0.0003", "192")
    assert fields["gpus"] == "all" and fields["amp"] is False and fields["name"] == "sweep"
    # a new run from the start: the old --resume is gone, the folder is a new one
    assert fields["more"] == "--width 0.5"
    assert fields["run-dir"].startswith("runs/sweep-") and fields["run-dir"] != "runs/sweep-old"
    assert "--resume" not in preview and "--width 0.5" in preview


async def test_re_run_is_refused_in_read_only(build_app, ledger: Ledger):
    ledger.add(relaunched_record())
    async with build_app(read_only=True).run_test(size=(160, 50)) as pilot:
        await open_runs(pilot)
        await pilot.press("R")
        await wait_until(pilot, lambda: any("read-only" in n.message
                                            for n in notifications(pilot.app)))  # fmt: skip
        screen = pilot.app.screen

    assert not isinstance(screen, TrainFormScreen)
    assert len(ledger.read()[0]) == 1


def written_run(folder: Path, name: str, run_id: str, evals: list[dict],
                **fields) -> RunRecord:  # fmt: skip
    """A run folder whose metrics.jsonl holds a start and ``evals`` in the trainer's schema,
    and its ledger record (finished on this machine)."""
    folder.mkdir(parents=True)
    lines = [{"kind": "start", "time": 1.0, "epoch": 0, "step": 0, "resumed_from": None}]
    lines += [{"kind": "eval", "time": 2.0 + i, "split": "val", **e} for i, e in enumerate(evals)]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    record = RunRecord(
        id=run_id, name=name, started=STARTED, command=("python", "-m", "trainer", "train"),
        trainer_args=("--run-dir", str(folder)), gpus="1", cwd="~", run_dir=str(folder),
        nodes=(RunNode("local", "job-0001"),), state=RunState.FINISHED, exit_code=0,
        ended=STARTED + dt.timedelta(hours=1),
    )  # fmt: skip
    return replace(record, **fields)


async def test_marked_runs_are_compared_on_shared_charts_and_a_table_of_their_best(
    build_app, ledger: Ledger, tmp_path: Path
):
    first = written_run(tmp_path / "a", "[b]lr-1e-4", "run-20261204-120000-a-0001", [
        {"epoch": 1, "step": 10, "category_top1": 40.0, "category_top3": 60.0,
         "category_top5": 70.0, "landmark_mean": 0.09, "loss": 2.0, "attr_all_recall@5": 20.0},
        {"epoch": 2, "step": 20, "category_top1": 52.5, "category_top3": 66.0,
         "category_top5": 75.0, "landmark_mean": 0.08, "loss": 1.8, "attr_all_recall@5": 24.0},
    ])  # fmt: skip
    second = written_run(tmp_path / "b", "lr-3e-4", "run-20261204-130000-b-0002", [
        {"epoch": 1, "step": 5, "category_top1": 48.0, "category_top3": 61.0,
         "category_top5": 79.0, "landmark_mean": 0.07, "loss": 1.9, "attr_all_recall@5": 21.0},
    ], started=STARTED + dt.timedelta(hours=1), ended=STARTED + dt.timedelta(hours=2))  # fmt: skip
    ledger.add(first)
    ledger.add(second)

    async with build_app().run_test(size=(160, 50)) as pilot:
        view = await open_runs(pilot)
        await wait_until(pilot, lambda: view.table.row_count == 2)
        await pilot.press("space")  # marks the newest (second), the cursor moves on
        await pilot.press("c")
        await wait_until(pilot, lambda: any(n.title == "Compare" for n in notifications(pilot.app)))
        alone = isinstance(pilot.app.screen, CompareScreen)
        await pilot.press("space")  # the first
        marks = [row[0] for row in cell_texts(view.table)]
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen))
        screen = pilot.app.screen
        await wait_until(pilot, lambda: screen.comparison is not None)
        await pilot.pause()
        table = screen.query_one("#compare-table")
        rows = cell_texts(table)
        top1_column = [column.label.plain for column in table.columns.values()].index("Top-1")
        top1_bold = [str(table.get_row_at(i)[top1_column].style) for i in range(2)]
        curves = {chart.spec.id: {c.label: c.points for c in chart.series}
                  for chart in screen.query(RunChart)}  # fmt: skip
        await pilot.press("escape")
        back = pilot.app.screen.query_one(RunsView) is view

    assert not alone  # one marked run is not a comparison
    assert marks == ["●", "●"]
    # in the Runs view's order (newest first): #1 the second run, #2 the first
    assert [row[:5] for row in rows] == [
        ["#1", "lr-3e-4", "local", "finished", "1"],
        ["#2", "[b]lr-1e-4", "local", "finished", "2"],  # the name as written, not markup
    ]
    assert rows[0][5:8] == ["48.0%", "61.0%", "79.0%"] and rows[1][5:8] == ["52.5%", "66.0%", "75.0%"]
    assert "bold" in top1_bold[1] and "bold" not in top1_bold[0]  # the leader of top-1
    assert curves["top1"] == {"#1": [(1.0, 48.0)], "#2": [(1.0, 40.0), (2.0, 52.5)]}
    assert curves["landmarks"]["#2"] == [(1.0, 0.09), (2.0, 0.08)]
    assert back


async def test_a_running_run_shows_its_hosts_gpus_until_it_ends(
    tmp_path: Path, moto_settings, make_services, ledger: Ledger, local_host, local_jobs,
    tmux_socket: str, standin_dir: Path,
):  # fmt: skip
    # the stand-in nvidia-smi replays a recorded idle 2 × A10G host (no GPU here)
    smi = make_standin(standin_dir, query_gpu="query-gpu_synthetic_2gpu_a10g_idle.txt")
    run_dir = tmp_path / "live"
    run_dir.mkdir()
    job = local_jobs.start(JobSpec(command=("sleep", "120"), name="train"))
    ledger.add(RunRecord(
        id="run-20261204-140000-gpus-0001", name="gpus", started=job.started,
        command=job.spec.command, trainer_args=(), gpus="all", cwd="~", run_dir=str(run_dir),
        nodes=(RunNode("local", job.id),),
    ))  # fmt: skip
    settings = moto_settings.with_overrides(
        refresh_interval=0.3, jobs=JobsSettings(tmux_socket=tmux_socket),
        runs=RunsSettings(ledger=str(ledger.path), cache_dir=str(tmp_path / "cache")),
        gpu=GpuSettings(nvidia_smi=str(smi), interval_ms=100),
    )  # fmt: skip
    services = make_services(settings)
    services.hosts.register("local", local_host)

    async with make_app(settings, services).run_test(size=(160, 50)) as pilot:
        screen = await open_run(pilot)
        gpu_line = screen.query_one("#run-gpu")
        await wait_until(pilot, lambda: "NVIDIA A10G" in plain(gpu_line), within=30)
        running = plain(gpu_line)
        local_jobs.kill(job.id)
        await wait_until(pilot, lambda: screen.run.finished, within=60)
        await pilot.pause()
        stopped = screen._gpu_monitor is None and not any(
            worker.group == "run-gpu" and not worker.is_finished for worker in screen.workers
        )
        ended = plain(gpu_line)

    assert re.fullmatch(r"GPUs on local: 2 × NVIDIA A10G · utilisation \d+% mean, lowest \d+% · "
                        r"memory 0\.0/45\.0G · 30/600W", running), running  # fmt: skip
    assert stopped  # the stream ends with the run
    assert "NVIDIA A10G" in ended  # the last look stays on screen


@pytest.mark.slow
async def test_relaunch_on_another_host_copies_the_checkpoint_there_first(
    tmp_path: Path, moto_settings, make_services, ledger: Ledger, local_host, local_jobs,
    tmux_socket: str, run_dir: Path, tiny_dataset: Path,
):  # fmt: skip
    args = ("--data-root", str(tiny_dataset), "--run-dir", "runs/spot", "--epochs", "2", *TINY)
    interrupted = ledger.add(finished_record(
        run_dir, name="spot", state=RunState.INTERRUPTED, exit_code=75, checkpoint_step=7,
        trainer_args=args, command=("python", "-m", "trainer", "train", *args),
    ))  # fmt: skip
    other_home = tmp_path / "other-home"
    other_home.mkdir()
    settings = moto_settings.with_overrides(
        jobs=JobsSettings(tmux_socket=tmux_socket),
        runs=RunsSettings(ledger=str(ledger.path), cache_dir=str(tmp_path / "cache")),
    )  # fmt: skip
    services = make_services(settings)
    services.hosts.register("local", local_host)
    services.hosts.register("other", LocalHost(name="other", home=str(other_home)))

    async with make_app(settings, services).run_test(size=(160, 50)) as pilot:
        screen = await open_run(pilot)
        await pilot.press("R")
        hosts = await query_shown(pilot, "#runs-image-input")
        hosts.value = "other"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#confirm-detail"))
        question = str(pilot.app.screen.query_one("#confirm-detail").render())
        await pilot.press("y")
        status = screen.query_one("#run-status")
        await wait_until(pilot, lambda: "Relaunched as " in plain(status), within=120)
        said = plain(status)

    (second,) = [run for run in ledger.read()[0] if run.id != interrupted.id]
    copied = other_home / "runs" / "spot" / "last.pt"
    assert "on other from its checkpoint at step 7" in question
    assert said == f"Relaunched as {second.id} on other."
    assert second.hosts == ("other",) and second.continues == interrupted.id
    assert second.resumed_from == str(copied)
    assert copied.read_bytes() == (run_dir / "last.pt").read_bytes()


async def test_a_checkpoint_fetched_from_s3_is_listed_with_its_copy_here(
    build_app, ledger: Ledger, run_dir: Path, s3, tmp_path: Path
):
    s3.create_bucket(Bucket="ckpt")
    for name in ("last.pt", "last.pt.json"):
        s3.put_object(Bucket="ckpt", Key=f"runs/a/{name}", Body=(run_dir / name).read_bytes())
    ledger.add(finished_record(run_dir, s3_uri="s3://ckpt/runs/a/"))
    step = json.loads((run_dir / "last.pt.json").read_text())["step"]

    async with build_app().run_test(size=(160, 50)) as pilot:
        screen = await open_run(pilot)
        s3_copy = "s3://ckpt/runs/a/last.pt"
        await wait_until(pilot, lambda: any(c.location == s3_copy for c in screen.checkpoints))
        before = [c.location for c in screen.checkpoints]
        table = screen.query_one("#run-checkpoints")
        table.move_cursor(row=before.index(s3_copy))
        await pilot.press("d")
        status = screen.query_one("#run-status")
        await wait_until(pilot, lambda: "is on this machine" in plain(status), within=60)
        await wait_until(pilot, lambda: len(screen.checkpoints) == len(before) + 1)
        rows = {row[-1]: row for row in cell_texts(table)}

    (here,) = [c for c in screen.checkpoints if c.location not in before]
    cache = tmp_path / "cache"
    assert Path(here.location).is_relative_to(cache) and here.name == "last.pt"
    assert Path(here.location).read_bytes() == (run_dir / "last.pt").read_bytes()
    assert here.step == step  # its sidecar came with it
    assert rows[here.location][2] == str(step)  # listed with its step, where it is
