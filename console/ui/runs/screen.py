"""One training run: live charts from its ``metrics.jsonl``, progress, ETA and cost, the
over-confidence warning, its checkpoints, and predictions run on this machine.

Everything the screen shows is read in thread workers through ``services.runs``: on open,
then every ``refresh_interval`` seconds while the run runs (the run brought up to date from
its job, the new lines of its metrics file from the byte offset already read, its
checkpoints), and once more when it has ended. The UI thread only draws what came back.

While the run runs, a line under the summary shows the GPUs of its first host (utilisation,
memory, power), streamed by the same nvidia-smi monitor as the GPU view, once a second.

Keys: ``d`` fetches the checkpoint under the cursor to this machine, ``p`` asks for an image
(offering one of the run's dataset when it is on this machine) and predicts on it with that
checkpoint (the trainer runs as its own process: the console never loads a model), ``R``
relaunches an interrupted run from its latest checkpoint (asks first; refused in read-only);
in the demo, ``i`` announces a spot interruption on the running run's instance (its metadata
stand-in, ``console.demo.metadata``) so the whole recovery path can be tried.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import threading
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import get_current_worker

from console.errors import ConsoleError
from console.format.files import human_bytes
from console.format.gpu import gpu_summary
from console.format.jobs import format_duration
from console.format.runs import (
    age,
    checkpoint_kind,
    error_figure,
    money,
    over_confidence_text,
    percent,
    state_text,
)
from console.models import (
    Checkpoint,
    MetricRecord,
    Prediction,
    RunProgress,
    RunRecord,
    RunState,
)
from console.ui.common.completion import HostSuggester, PathSuggester
from console.ui.common.failures import Failure, ReportsWorkerFailures
from console.ui.common.footer import ConsoleFooter
from console.ui.common.guards import require_writable, run_destructive
from console.ui.common.literal import DataTable, Static
from console.ui.common.text import assemble
from console.ui.instances.launch_wizard import LaunchWizardScreen
from console.ui.runs.chart import RunChart
from console.ui.runs.image_prompt import ImagePathPrompt
from console.ui.runs.prediction import PredictionScreen
from console.ui.runs.series import CHARTS, chart_series

if TYPE_CHECKING:
    from console.services import GpuMonitorHandle, MetricsFeed, Services

#: the metrics listed first, in this order (the paper's headline figures); the rest follow
HEADLINE = ("loss", "category_top1", "category_top3", "category_top5", "landmark_mean",
            "attr_all_recall@3", "attr_all_recall@5", "epoch")  # fmt: skip
#: seconds between redraws of the GPU line (the stream itself runs at the [gpu] interval)
GPU_LINE_SECONDS = 1.0
#: the states a relaunch resumes from a checkpoint
RESUMABLE = (RunState.INTERRUPTED, RunState.LOST)


def metric_figure(key: str, value: float | None) -> str:
    """A metric as the ledger names it: accuracies and recalls in percent, the rest plain."""
    if value is None:
        return ""
    if key == "epoch":
        return str(int(value))
    if key.startswith("category_") or "recall" in key:
        return percent(value)
    return f"{value:.4f}"


def summary_text(run: RunRecord, progress: RunProgress | None) -> Text:
    """Epochs, step, time, ETA and cost, in one line."""
    if progress is None:
        return Text("Reading the run's metrics…")
    done = progress.epochs_done if progress.epochs_done is not None else 0
    total = progress.epochs_total if progress.epochs_total is not None else "?"
    parts = [f"epoch {done}/{total}"]
    if progress.step is not None:
        parts.append(f"step {progress.step}")
    if progress.elapsed_seconds is not None:
        parts.append(f"elapsed {format_duration(dt.timedelta(seconds=progress.elapsed_seconds))}")
    if run.state is RunState.RUNNING:
        eta = progress.eta_seconds
        parts.append("ETA " + (format_duration(dt.timedelta(seconds=eta)) if eta is not None
                               else "not known yet"))  # fmt: skip
    if progress.price_per_hour is None:
        parts.append("cost unknown (no instance price)")
    else:
        cost = f"{money(progress.cost_so_far)} so far"
        if run.state is RunState.RUNNING and progress.projected_cost is not None:
            cost += f", {money(progress.projected_cost)} projected"
        parts.append(f"{cost} at {money(progress.price_per_hour)}/h")
    if progress.epoch_seconds is not None:
        seconds = progress.epoch_seconds
        per_epoch = (f"{seconds:.1f}s" if seconds < 60
                     else format_duration(dt.timedelta(seconds=seconds)))  # fmt: skip
        parts.append(f"{per_epoch} per epoch")
    return Text("  ·  ".join(parts))


def head_text(run: RunRecord) -> Text:
    style = {RunState.RUNNING: "bold green", RunState.FAILED: "bold red",
             RunState.INTERRUPTED: "bold yellow", RunState.LOST: "bold magenta"}.get(run.state, "green")  # fmt: skip
    # the state right after the name: an 80-column head cuts the end of the line, never it
    return assemble(
        (run.name, "bold"), "  ", (state_text(run), style), "  ", run.id, "  on ",
        ", ".join(run.hosts), "  ", f"{run.primary.host}:{run.run_dir}",
    )  # fmt: skip


class RunScreen(ReportsWorkerFailures, Screen[None]):
    """The run ``run`` of the ledger, kept up to date while it runs."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="run.close", tooltip="Back to the runs"),
        Binding("r", "reload", "Refresh", id="run.refresh", tooltip="Read the run again"),
        Binding("d", "download", "Download", id="run.download",
                tooltip="Fetch the checkpoint under the cursor to this machine"),
        Binding("p", "predict", "Predict", id="run.predict",
                tooltip="Predict on an image here with the checkpoint under the cursor"),
        Binding("R", "relaunch", "Relaunch", id="run.relaunch",
                tooltip="Start an interrupted run again from its latest checkpoint (asks first)"),
        Binding("i", "interrupt", "Spot notice", id="run.interrupt",
                tooltip="The demo only: announce a spot interruption on the run's instance"),
    ]  # fmt: skip

    DEFAULT_CSS = """
    RunScreen #run-head { height: 1; }
    RunScreen #run-summary { height: 1; color: $text-muted; }
    RunScreen #run-gpu { height: 1; color: $text-muted; display: none; }
    RunScreen #run-gpu.shown { display: block; }
    RunScreen #run-warning { height: auto; color: $warning; text-style: bold; display: none; }
    RunScreen #run-warning.shown { display: block; }
    RunScreen #run-status { height: auto; }
    RunScreen #run-status.error { color: $error; }
    RunScreen #run-charts { grid-size: 3 2; height: 2fr; min-height: 10; }
    RunScreen #run-bottom { height: 1fr; min-height: 8; }
    RunScreen #run-metrics { width: 44; }
    RunScreen #run-right { width: 1fr; }
    RunScreen #run-checkpoints { height: auto; max-height: 6; }
    """

    class Loaded(Message):
        """What one read of the run brought (posted from the worker thread)."""

        def __init__(self, run: RunRecord, records: tuple[MetricRecord, ...],
                     progress: RunProgress, checkpoints: tuple[Checkpoint, ...],
                     notes: tuple[str, ...]) -> None:  # fmt: skip
            super().__init__()
            self.run = run
            self.records = records
            self.progress = progress
            self.checkpoints = checkpoints
            self.notes = notes

    def __init__(self, services: Services, run: RunRecord, *, refresh_interval: float) -> None:
        super().__init__(id="run-screen")
        self.services = services
        self.run = run
        self.refresh_interval = refresh_interval
        self.records: tuple[MetricRecord, ...] = ()
        self.progress: RunProgress | None = None
        self.checkpoints: tuple[Checkpoint, ...] = ()
        self.prediction: Prediction | None = None
        #: an image of the run's dataset on this machine, offered by ``p`` ("" when none is)
        self.suggested_image = ""
        self.loading_now = False
        #: what the last action said on the status line (kept there over the hint)
        self._said: str | Text | None = None
        self._timer: Timer | None = None
        #: the run's first host's GPUs, streamed while the run runs (``_watch_gpus``)
        self._gpu_monitor: GpuMonitorHandle | None = None
        self._gpu_timer: Timer | None = None
        # the metrics file is read by byte offset in the workers, one at a time
        self._feed: MetricsFeed | None = None
        self._read: list[MetricRecord] = []
        self._feed_lock = threading.Lock()

    def compose(self) -> ComposeResult:
        yield Static(head_text(self.run), id="run-head")
        yield Static(summary_text(self.run, None), id="run-summary")
        yield Static("", id="run-gpu")
        yield Static("", id="run-warning")
        with Grid(id="run-charts"):
            for spec in CHARTS:
                yield RunChart(spec)
        with Horizontal(id="run-bottom"):
            yield DataTable(id="run-metrics", cursor_type="none", zebra_stripes=True)
            with Vertical(id="run-right"):
                yield DataTable(id="run-checkpoints", cursor_type="row", zebra_stripes=True)
                yield Static("", id="run-status")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        metrics = self.query_one("#run-metrics", DataTable)
        metrics.add_column("Metric", key="metric")
        metrics.add_column("Latest", key="latest")
        metrics.add_column("At best.pt", key="best")  # the evaluation best.pt keeps (best top-1)
        table = self.query_one("#run-checkpoints", DataTable)
        for key, label in (("name", "Checkpoint"), ("kind", "Kind"), ("step", "Step"),
                           ("epoch", "Epoch"), ("top1", "Top-1"), ("top5", "Top-5"),
                           ("landmark", "Landmark"), ("size", "Size"), ("age", "Age"),
                           ("where", "Where")):  # fmt: skip
            table.add_column(label, key=key)
        table.focus()
        self.action_reload()
        if self.refresh_interval > 0 and self.run.state is RunState.RUNNING:
            self._timer = self.set_interval(self.refresh_interval, self._poll)
            self._show_gpu_text(f"GPUs on {self.run.primary.host}: looking…")
            self.run_worker(self._watch_gpus, name="run-gpu", group="run-gpu", thread=True,
                            exit_on_error=False)  # fmt: skip
            self._gpu_timer = self.set_interval(GPU_LINE_SECONDS, self._show_gpus)

    # -- reading the run ------------------------------------------------------------------

    def _poll(self) -> None:
        if not self.loading_now:
            self.action_reload()

    def action_reload(self) -> None:
        self.loading_now = True
        self.run_worker(self._load, name="run-load", group="run-load", thread=True,
                        exclusive=True, exit_on_error=False)  # fmt: skip

    def _load(self) -> None:
        """Blocking: the run, its new metrics records, progress and checkpoints."""
        runs = self.services.runs
        notes: list[str] = []
        try:
            run = runs.refresh(self.run.id)
        except ConsoleError as exc:  # its host does not answer: the ledger's word stands
            run = runs.get(self.run.id)
            notes.append(f"{run.primary.host}: {exc.message}")
        with self._feed_lock:
            try:
                if self._feed is None:
                    self._feed = runs.metrics(run.id)
                new = self._feed.read_new()
            except ConsoleError as exc:  # what was read stays drawn; the next read resumes
                new = []
                notes.append(f"{run.metrics_path}: {exc.message}")
            if new and self._read and new[0].offset <= self._read[-1].offset:
                self._read.clear()  # the file was written anew: its offsets started over
            self._read.extend(new)
            records = tuple(self._read)
        progress = runs.progress(run, records)
        if run.finished and not self.suggested_image:
            self.suggested_image = self._dataset_image(run)
        checkpoints: list[Checkpoint] = []
        places = [f"{run.primary.host}:{run.run_dir}"] + ([run.s3_uri] if run.s3_uri else [])
        for place in places:
            try:
                checkpoints.extend(runs.checkpoints(place))
            except ConsoleError as exc:
                notes.append(f"checkpoints in {place}: {exc.message}")
        for place in places:  # and the copies fetched here from them (d), newest first
            try:
                checkpoints.extend(runs.downloaded(place))
            except ConsoleError as exc:
                notes.append(f"copies of {place} here: {exc.message}")
        self.post_message(self.Loaded(run, records, progress, tuple(checkpoints), tuple(notes)))

    def _dataset_image(self, run: RunRecord) -> str:
        """Blocking: the first image of the run's category list (``Anno/list_category_img.txt``
        under its ``--data-root``) when that file is on this machine as well, the run's host
        being this machine (``local``, a demo instance): the same size and modification time
        here as on the host. "" otherwise; the name read must stay inside the dataset."""
        config = (run.config or {}).get("config")
        root = config.get("data_root") if isinstance(config, dict) else None
        if not isinstance(root, str) or not root.strip():
            return ""
        try:
            cwd = self.services.jobs.manager(run.primary.host).expand(run.cwd or "~")
            folder = posixpath.normpath(posixpath.join(cwd, root))
            host = self.services.hosts.host_for(run.primary.host)
            head = host.read_range(f"{folder}/Anno/list_category_img.txt", 0, 4096)
            rows = head.decode("utf-8", "replace").splitlines()[2:3]
            name = rows[0].split()[0] if rows and rows[0].split() else ""
            path = posixpath.normpath(posixpath.join(folder, name))
            if not name or not path.startswith(folder.rstrip("/") + "/"):
                return ""
            there = host.stat(path)
        except ConsoleError:
            return ""
        try:
            here = os.stat(path)
        except OSError:
            return ""
        return path if (here.st_size, int(here.st_mtime)) == (there.size, int(there.mtime)) else ""

    def on_run_screen_loaded(self, message: Loaded) -> None:
        message.stop()
        self.loading_now = False
        self.run, self.records, self.progress = message.run, message.records, message.progress
        self.checkpoints = message.checkpoints
        self.query_one("#run-head", Static).update(head_text(self.run))
        self.query_one("#run-summary", Static).update(summary_text(self.run, self.progress))
        self._show_warning()
        series = chart_series(self.records)
        for chart in self.query(RunChart):
            chart.show(series.get(chart.spec.id, ()))
        self._show_metrics()
        self._show_checkpoints()
        status = self.query_one("#run-status", Static)
        if message.notes:
            status.set_class(True, "error")
            status.update("  ·  ".join(message.notes))
        elif self._said is None:  # what an action said stays until the next one says more
            status.set_class(False, "error")
            status.update(self._hint())
        if self.run.finished and self._timer is not None:
            self._timer.stop()  # nothing more will be written: this was the last read
            self._timer = None
        if self.run.finished:
            self._stop_gpus()
        self.refresh_bindings()  # the demo's spot key shows while the run runs

    def _hint(self) -> str:
        hint = "d: fetch the checkpoint  ·  p: predict on an image with it"
        if self.run.state in RESUMABLE:
            hint += "  ·  R: relaunch from the latest checkpoint"
        elif self.services.demo is not None and not self.run.finished:
            hint += "  ·  i: announce a spot interruption (the demo's)"
        return hint

    def _show_warning(self) -> None:
        warning = self.query_one("#run-warning", Static)
        flag = self.progress.over_confident if self.progress is not None else None
        warning.set_class(flag is not None, "shown")
        warning.update(over_confidence_text(flag) if flag is not None else "")

    def _show_metrics(self) -> None:
        table = self.query_one("#run-metrics", DataTable)
        table.clear()
        latest, best = self.run.final_metrics, self.run.best_metrics
        keys = dict.fromkeys([*latest, *best])
        ordered = [k for k in HEADLINE if k in keys] + [k for k in keys if k not in HEADLINE]
        for key in ordered:
            table.add_row(key, metric_figure(key, latest.get(key)),
                          metric_figure(key, best.get(key)), key=key)  # fmt: skip

    def _show_checkpoints(self) -> None:
        table = self.query_one("#run-checkpoints", DataTable)
        chosen = self.selected_checkpoint
        table.clear()
        now = dt.datetime.now(dt.UTC)
        for checkpoint in self.checkpoints:
            metrics = checkpoint.metrics
            table.add_row(
                checkpoint.name, checkpoint_kind(checkpoint),
                "" if checkpoint.step is None else str(checkpoint.step),
                "" if checkpoint.epoch is None else str(checkpoint.epoch),
                percent(metrics.get("category_top1")), percent(metrics.get("category_top5")),
                error_figure(metrics.get("landmark_mean")),
                human_bytes(checkpoint.size), age(checkpoint.when, now), checkpoint.location,
                key=checkpoint.location,
            )  # fmt: skip
        locations = [c.location for c in self.checkpoints]
        if chosen is not None and chosen.location in locations:
            table.move_cursor(row=locations.index(chosen.location), animate=False)

    @property
    def selected_checkpoint(self) -> Checkpoint | None:
        table = self.query_one("#run-checkpoints", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((c for c in self.checkpoints if c.location == key), None)

    def show_failure(self, failure: Failure) -> None:
        """Called by the app's failure handler: keep what is shown, say what went wrong."""
        self.loading_now = False
        status = self.query_one("#run-status", Static)
        status.set_class(True, "error")
        status.update(failure.one_line())

    # -- actions --------------------------------------------------------------------------

    def action_close(self) -> None:
        self._stop_gpus()
        self.dismiss(None)

    # -- the GPUs the run trains on ---------------------------------------------------------

    def _watch_gpus(self) -> None:
        """Blocking (a worker): streams the first host's GPUs (nvidia-smi, as the GPU view
        does) until the screen closes or the run ends; its cancel event stops the stream."""
        worker = get_current_worker()
        host = self.run.primary.host
        try:
            monitor = self.services.monitors.gpu_monitor(host, cancel=worker.cancelled_event)
        except ConsoleError as exc:
            self.app.call_from_thread(self._show_gpu_text, f"GPUs on {host}: {exc.message}")
            return
        if worker.is_cancelled:
            monitor.close()
            return
        self._gpu_monitor = monitor
        monitor.run()

    def _show_gpus(self) -> None:
        monitor = self._gpu_monitor
        if monitor is not None:
            self._show_gpu_text(gpu_summary(monitor.snapshot()))

    def _show_gpu_text(self, text: str) -> None:
        line = self.query_one("#run-gpu", Static)
        line.update(text)
        line.set_class(bool(text), "shown")

    def _stop_gpus(self, *, show_last: bool = True) -> None:
        """The stream and its timer stop; the GPU line stays as last seen."""
        if self._gpu_timer is not None:
            self._gpu_timer.stop()
            self._gpu_timer = None
        self.workers.cancel_group(self, "run-gpu")
        monitor, self._gpu_monitor = self._gpu_monitor, None
        if monitor is not None:
            if show_last:
                self._show_gpu_text(gpu_summary(monitor.snapshot()))
            monitor.close()

    def on_unmount(self) -> None:
        self._stop_gpus(show_last=False)  # its widgets are going: nothing to draw

    def _checkpoint_or_say(self) -> Checkpoint | None:
        checkpoint = self.selected_checkpoint
        if checkpoint is None:
            self.notify("This run has no checkpoint yet.", title="Checkpoints",
                        severity="warning")  # fmt: skip
        return checkpoint

    def _say(self, text: str | Text) -> None:
        self._said = text
        status = self.query_one("#run-status", Static)
        status.set_class(False, "error")
        status.update(text)

    def action_download(self) -> None:
        checkpoint = self._checkpoint_or_say()
        if checkpoint is None:
            return
        self._say(f"Fetching {checkpoint.location}…")
        runs = self.services.runs

        def fetch() -> None:
            path = runs.download(checkpoint.location)
            self.app.call_from_thread(self._downloaded, checkpoint, path)

        self.run_worker(fetch, name="run-download", group="run-actions", thread=True,
                        exit_on_error=False)  # fmt: skip

    def _downloaded(self, checkpoint: Checkpoint, path: str) -> None:
        self._say(f"{checkpoint.name} is on this machine: {path}")
        self.notify(f"{checkpoint.name} saved to {path}", title="Checkpoints")
        if not self.loading_now:
            self.action_reload()  # the copy joins the list, with its path here

    def action_predict(self) -> None:
        checkpoint = self._checkpoint_or_say()
        if checkpoint is None:
            return
        self.app.push_screen(
            ImagePathPrompt(
                f"Predict with {checkpoint.name} ({checkpoint.location}) on the image:",
                default=self.suggested_image,
                suggester=PathSuggester(self.services),  # a picture on this machine
            ),
            callback=lambda image: self._predict(checkpoint, image),
        )

    def _predict(self, checkpoint: Checkpoint, image: str | None) -> None:
        if not image:
            return
        self._say(f"Predicting on {image} with {checkpoint.name}…")
        runs = self.services.runs

        def predict() -> None:
            prediction = runs.predict(checkpoint.location, image)
            self.app.call_from_thread(self._predicted, prediction)

        self.run_worker(predict, name="run-predict", group="run-actions", thread=True,
                        exit_on_error=False)  # fmt: skip

    def _predicted(self, prediction: Prediction) -> None:
        self.prediction = prediction
        best = prediction.categories[0] if prediction.categories else None
        guess = (f": {best.name} {percent(None if best.probability is None else best.probability * 100)}"
                 if best else "")  # fmt: skip
        self._say(f"Predicted in {prediction.seconds:.1f}s{guess}.")
        self.app.push_screen(PredictionScreen(prediction))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "interrupt":  # the demo's key: shown there, while the run runs
            return self.services.demo is not None and not self.run.finished
        return True

    def action_interrupt(self) -> None:
        if self.services.demo is None or self.run.finished:
            return
        if not require_writable(self.app, "A spot interruption"):
            return
        runs, run = self.services.runs, self.run

        def announce() -> None:
            instance = runs.announce_interruption(run.id)
            self.app.call_from_thread(
                self._say, f"Spot interruption announced on {instance}: the trainer saves a "
                "checkpoint and stops (exit 75); R then relaunches the run from it.")  # fmt: skip

        self.run_worker(announce, name="run-interrupt", group="run-actions", thread=True,
                        exit_on_error=False)  # fmt: skip

    def action_relaunch(self) -> None:
        """Asks where (the run's own hosts offered; another instance or ssh alias gets the
        checkpoint copied there first, or reads it from S3), then asks before it starts."""
        run = self.run
        if run.state not in RESUMABLE:
            self.notify(f"{run.name} is {state_text(run)}: only an interrupted run is "
                        "relaunched from its checkpoint.", title="Relaunch", severity="warning")  # fmt: skip
            return
        if not require_writable(self.app, f"Relaunching {run.name}"):
            return
        step = "its latest checkpoint" if run.checkpoint_step is None else (
            f"its checkpoint at step {run.checkpoint_step}")  # fmt: skip
        self.app.push_screen(
            ImagePathPrompt(
                f"Relaunch {run.name} from {step} on:", default=", ".join(run.hosts),
                placeholder="hosts: an instance, an ssh alias, local (several: one node each)",
                detail="Another host gets the checkpoint copied to its run folder first (S3's "
                       "when the run uploads there). new: launch a new instance with the "
                       "wizard, then relaunch on it once it runs.",
                suggester=HostSuggester(self.services, several=True, first=("new",)),
            ),
            callback=lambda hosts: self._relaunch_on(run, step, hosts),
        )

    def _relaunch_on(self, run: RunRecord, step: str, typed: str | None) -> None:
        hosts = tuple(h.strip() for h in (typed or "").replace(",", " ").split() if h.strip())
        if not hosts:
            return
        if hosts == ("new",):  # a new instance: the launch wizard first
            self.app.push_screen(LaunchWizardScreen(self.services),
                                 callback=lambda launched: self._relaunch_on_new(run, step, launched))  # fmt: skip
            return
        runs = self.services.runs

        def relaunch() -> None:
            def start() -> None:
                started = runs.relaunch(run.id, hosts)
                self.app.call_from_thread(self._relaunched, started)

            self.run_worker(start, name="run-relaunch", group="run-actions", thread=True,
                            exit_on_error=False)  # fmt: skip

        run_destructive(self.app, f"Relaunch run {run.name}", relaunch,
                        detail=f"Starts it again on {', '.join(hosts)} from {step} ({run.id}).")  # fmt: skip

    def _relaunch_on_new(self, run: RunRecord, step: str, instance_id: str | None) -> None:
        if not instance_id:
            return
        runs = self.services.runs

        def relaunch() -> None:
            self._say(f"Waiting for {instance_id} to run and answer SSH, then relaunching…")

            def start() -> None:
                cancel = get_current_worker().cancelled_event
                started = runs.relaunch_on_new_instance(run.id, instance_id, cancel=cancel)
                self.app.call_from_thread(self._relaunched, started)

            self.run_worker(start, name="run-relaunch", group="run-actions", thread=True,
                            exit_on_error=False)  # fmt: skip

        run_destructive(self.app, f"Relaunch run {run.name}", relaunch,
                        detail=f"Starts it again on the new instance {instance_id} from {step} "
                               f"({run.id}), once it runs.")  # fmt: skip

    def _relaunched(self, started: RunRecord) -> None:
        self._say(f"Relaunched as {started.id} on {', '.join(started.hosts)}.")
        self.notify(f"{self.run.name} relaunched as {started.id}.", title="Relaunch")
