"""Runs: every training launch of the ledger, newest first, with its state and best metrics.

The ledger is read in a thread worker (``services.runs.list``: each running run's job and
run folder are looked at on its host first); a run whose host could not be asked keeps the
ledger's last word and is named in the status line. The best evaluation (by top-1) shows
as Top-1, Top-5 and Landmark err. Enter opens the run screen; t opens the
train form (``console.ui.runs.train_form``), and the status line then names the run it
started with the exact command; R opens the same form filled with the run under the cursor
(hosts, options, GPUs, working folder; a new run folder) to edit and start again. Space
marks runs (● in the first column) and c compares the marked ones (``console.ui.runs.compare``).
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding

from console.format.runs import error_figure, money, percent, state_text
from console.models import RunListing, RunRecord, RunState, TrainRequest
from console.ui.common.guards import require_writable
from console.ui.common.literal import DataTable
from console.ui.common.resource_table import Column, ResourceTable
from console.ui.common.view_base import ResourceView
from console.ui.runs.compare import CompareScreen
from console.ui.runs.screen import RunScreen
from console.ui.runs.train_form import TrainFormScreen, TrainStarted, started_text

if TYPE_CHECKING:
    from console.services import Services

STATE_STYLES = {
    RunState.RUNNING: "bold green",
    RunState.FINISHED: "green",
    RunState.FAILED: "bold red",
    RunState.INTERRUPTED: "bold yellow",
    RunState.LOST: "bold magenta",
}


def epoch_cell(run: RunRecord) -> str:
    if run.epochs_done is None and run.epochs_total is None:
        return ""
    done = "" if run.epochs_done is None else str(run.epochs_done)
    total = "?" if run.epochs_total is None else str(run.epochs_total)
    return f"{done or 0}/{total}"


def best_figure(key: str) -> Callable[[RunRecord], str]:
    """A cell of the best evaluation (by top-1): ``category_top1`` as ``71.2%``,
    ``landmark_mean`` as ``0.0512``; blank before the first evaluation."""
    if key == "landmark_mean":
        return lambda run: error_figure(run.best_metrics.get(key))
    return lambda run: percent(run.best_metrics.get(key))


def run_key(run: RunRecord) -> str:
    return run.id


class FetchedRuns(list):
    """The runs of one listing, with the hosts that could not be asked and the cost of each
    run (computed once per load: it needs the clock)."""

    def __init__(self, listing: RunListing, costs: dict[str, float | None]):
        super().__init__(listing.runs)
        self.listing = listing
        self.costs = costs


class RunsView(ResourceView):
    view_id = "runs"
    title = "Runs"
    aliases = ("run", "training")
    home = "#runs-table"

    BINDINGS = [
        Binding("enter", "open_run", "Open", id="runs.open", show=False,
                tooltip="Charts, checkpoints and predictions of the run"),
        Binding("t", "train", "Train", id="runs.train",
                tooltip="Start a training run (hosts, dataset, settings; asks in a form)"),
        Binding("R", "rerun", "Re-run", id="runs.rerun",
                tooltip="Train again from the start: the form opens with the run's settings"),
        Binding("space", "mark", "Mark", id="runs.mark",
                tooltip="Mark the run under the cursor for a comparison (again: unmark)"),
        Binding("c", "compare", "Compare", id="runs.compare",
                tooltip="The marked runs on one chart per metric, and their best figures"),
    ]  # fmt: skip

    def __init__(self, services: Services, *, refresh_interval: float = 10.0) -> None:
        super().__init__(services, refresh_interval=refresh_interval)
        self.costs: dict[str, float | None] = {}
        #: the last run the train form started here, said in the status line
        self.started: TrainStarted | None = None
        #: the ids of the runs marked for a comparison
        self.marked: set[str] = set()

    def compose_body(self) -> ComposeResult:
        # name, state, epochs and the best top-1 always show; the others give way on a
        # narrow screen (highest give_way first), and a long state wraps onto a second line
        columns: tuple[Column[RunRecord], ...] = (
            Column("mark", "", lambda run: "●" if run.id in self.marked else "", width=1),
            Column("name", "Name", lambda run: run.name[:40]),
            Column("host", "Host", lambda run: ", ".join(run.hosts)[:40], give_way=3),
            Column("state", "State", lambda run: Text(state_text(run),
                                                      style=STATE_STYLES.get(run.state, "")),
                   fill=True, wrap=True, min_width=14),
            Column("epoch", "Epoch", epoch_cell),
            Column("top1", "Top-1", best_figure("category_top1")),
            Column("top5", "Top-5", best_figure("category_top5"), give_way=2),
            Column("landmark", "Landmark err", best_figure("landmark_mean"), give_way=4),
            Column("cost", "Cost", lambda run: money(self.costs.get(run.id)), give_way=5),
            Column("started", "Started",
                   lambda run: run.started.astimezone().strftime("%Y-%m-%d %H:%M"), give_way=6),
            Column("id", "Run", lambda run: run.id, give_way=7),
        )  # fmt: skip
        yield ResourceTable(columns, row_key=run_key, id="runs-table")

    @property
    def table(self) -> ResourceTable[RunRecord]:
        return self.query_one("#runs-table", ResourceTable)

    def fetch(self) -> FetchedRuns:
        runs = self.services.runs
        listing = runs.list(refresh=True)
        now = dt.datetime.now(dt.UTC)
        # the cost so far (or in all, once ended): price x hours; no records needed
        costs = {run.id: runs.progress(run, (), now).cost_so_far for run in listing.runs}
        return FetchedRuns(listing, costs)

    def show_items(self, items: Sequence[RunRecord]) -> None:
        if isinstance(items, FetchedRuns):
            self.costs = dict(items.costs)
        self.marked &= {run.id for run in items}  # a run gone from the ledger is unmarked
        self.table.show(list(items))

    def describe_items(self, items: Sequence[RunRecord]) -> str:
        if not items:
            text = "No training runs yet (t starts one, as `awsconsole train HOST -- …` does)."
        else:
            running = sum(1 for run in items if run.state is RunState.RUNNING)
            text = f"{len(items)} run{'s' if len(items) != 1 else ''}, {running} running"
        if self.started is not None:
            text += f"  ·  started {self.started.run.id}: {shlex.join(self.started.run.command)}"
        if isinstance(items, FetchedRuns):
            listing = items.listing
            if listing.errors:
                text += "  ·  " + "; ".join(f"{run}: {why}" for run, why in listing.errors.items())
            if listing.problems:
                text += f"  ·  {len(listing.problems)} unreadable ledger line(s) kept as they are"
        return text

    @property
    def selected(self) -> RunRecord | None:
        key = self.table.cursor_key
        return next((run for run in self.table.items if run.id == key), None)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_run()

    def action_open_run(self) -> None:
        run = self.selected
        if run is None:
            self.notify("No run selected.", title="Runs", severity="warning")
            return
        self.app.push_screen(
            RunScreen(self.services, run, refresh_interval=self.refresh_interval),
            callback=lambda _: self.action_reload(),
        )

    def action_train(self) -> None:
        if not require_writable(self.app, "Training"):
            return
        self.app.push_screen(TrainFormScreen(self.services), callback=self._train_started)

    def action_mark(self) -> None:
        run = self.selected
        if run is None:
            return
        self.marked ^= {run.id}
        self.table.show(self.table.items)  # redraws the mark column's changed cell
        self.table.action_cursor_down()  # as in a file manager: Space, Space marks two

    def action_compare(self) -> None:
        runs = [run for run in self.table.items if run.id in self.marked]
        if len(runs) < 2:
            self.notify("Mark two or more runs with Space, then press c to compare them.",
                        title="Compare", severity="warning")  # fmt: skip
            return
        self.app.push_screen(CompareScreen(self.services, runs))

    def action_rerun(self) -> None:
        run = self.selected
        if run is None:
            self.notify("No run selected.", title="Runs", severity="warning")
            return
        if not require_writable(self.app, f"Re-running {run.name}"):
            return
        runs = self.services.runs

        def read() -> None:  # the run's environment is read from its host: not on the UI thread
            request = runs.rerun_request(run.id)
            self.app.call_from_thread(self._open_rerun, request)

        self.run_worker(read, name="runs-rerun", group="runs-actions", thread=True,
                        exit_on_error=False)  # fmt: skip

    def _open_rerun(self, request: TrainRequest) -> None:
        self.app.push_screen(TrainFormScreen(self.services, initial=request),
                             callback=self._train_started)  # fmt: skip

    def _train_started(self, started: TrainStarted | None) -> None:
        if started is None:
            return
        self.started = started
        self.notify(started_text(started).plain, title="Train", timeout=15)
        self.action_reload()
