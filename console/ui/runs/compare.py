"""Two or more runs compared: their evaluations overlaid on one chart per metric (x: epoch)
and a table of each run's best figures and cost, the leader of each column in bold.

Opened from the Runs view (Space marks runs, c compares them). Everything is read once in a
thread worker (``services.runs.compare``: each run's ``metrics.jsonl``, its best figures, the
leaders, its cost from the ledger's price); ``r`` reads again. A run whose file cannot be read keeps its row, empty,
and is named in the status line. Runs are labelled ``#1``, ``#2``… on the charts, in the
table's order; their names appear only in the table, as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.message import Message
from textual.screen import Screen

from console.format.runs import error_figure, loss_figure, money, percent, state_text
from console.models import COMPARE_COLUMNS, Comparison, RunRecord
from console.ui.common.failures import Failure, ReportsWorkerFailures
from console.ui.common.footer import ConsoleFooter
from console.ui.common.literal import DataTable, Static
from console.ui.common.text import assemble
from console.ui.runs.chart import RunChart
from console.ui.runs.series import COMPARE_CHARTS, RUN_COLOURS, comparison_series, run_label

if TYPE_CHECKING:
    from console.services import Services

FIGURES = {"percent": percent, "error": error_figure, "loss": loss_figure}


def figure_cell(text: str, leads: bool) -> Text:
    return Text(text, style="bold green" if leads and text else "")


def table_rows(comparison: Comparison) -> list[tuple[Text | str, ...]]:
    """The compare table's cells, row by row: label, name, hosts, state, epochs evaluated,
    each column's best (the leader's in bold), cost."""
    lead = comparison.leaders
    out: list[tuple[Text | str, ...]] = []
    for index, row in enumerate(comparison.rows):
        colour = RUN_COLOURS[index % len(RUN_COLOURS)]
        figures = [
            figure_cell(FIGURES[column.unit](row.best.get(column.key)), index in lead[column.key])
            for column in COMPARE_COLUMNS
        ]
        out.append((
            Text(run_label(index), style=f"bold {colour}"), row.run.name[:40],
            ", ".join(row.run.hosts)[:30], state_text(row.run), str(row.epochs), *figures,
            figure_cell(money(row.cost), index in lead["cost"]),
        ))  # fmt: skip
    return out


class CompareScreen(ReportsWorkerFailures, Screen[None]):
    """The runs ``runs`` (two or more), side by side."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="compare.close", tooltip="Back to the runs"),
        Binding("r", "reload", "Refresh", id="compare.refresh", tooltip="Read the runs again"),
    ]

    DEFAULT_CSS = """
    CompareScreen #compare-head { height: 1; text-style: bold; }
    CompareScreen #compare-charts { grid-size: 3 2; height: 2fr; min-height: 10; }
    CompareScreen #compare-table { height: 1fr; min-height: 5; }
    CompareScreen #compare-status { height: auto; color: $text-muted; }
    CompareScreen #compare-status.error { color: $error; }
    """

    class Loaded(Message):
        """What one read of the runs brought (posted from the worker thread)."""

        def __init__(self, comparison: Comparison) -> None:
            super().__init__()
            self.comparison = comparison

    def __init__(self, services: Services, runs: Sequence[RunRecord]) -> None:
        super().__init__(id="compare-screen")
        self.services = services
        self.runs = tuple(runs)
        self.comparison: Comparison | None = None
        self.loading_now = False

    def compose(self) -> ComposeResult:
        yield Static(assemble(("Comparing ", "bold"), f"{len(self.runs)} runs",
                              " (best figure of each over its evaluations; the leader in bold)"),
                     id="compare-head")  # fmt: skip
        with Grid(id="compare-charts"):
            for spec in COMPARE_CHARTS:
                yield RunChart(spec, id=f"compare-chart-{spec.id}")
        yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        yield Static("Reading the runs' metrics…", id="compare-status")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        table = self.query_one("#compare-table", DataTable)
        for key, label in (("label", "#"), ("name", "Name"), ("hosts", "Host"),
                           ("state", "State"), ("epochs", "Epochs")):  # fmt: skip
            table.add_column(label, key=key)
        for column in COMPARE_COLUMNS:
            table.add_column(column.title, key=column.key)
        table.add_column("Cost", key="cost")
        table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        if self.loading_now:
            return
        self.loading_now = True
        self.run_worker(self._load, name="compare-load", group="compare-load", thread=True,
                        exclusive=True, exit_on_error=False)  # fmt: skip

    def _load(self) -> None:
        """Blocking: every run's records, best figures and cost."""
        comparison = self.services.runs.compare([run.id for run in self.runs])
        self.post_message(self.Loaded(comparison))

    def on_compare_screen_loaded(self, message: Loaded) -> None:
        message.stop()
        self.loading_now = False
        comparison = self.comparison = message.comparison
        series = comparison_series([row.evaluations for row in comparison.rows])
        for chart in self.query(RunChart):
            chart.show(series.get(chart.spec.id, ()))
        table = self.query_one("#compare-table", DataTable)
        table.clear()
        for index, cells in enumerate(table_rows(comparison)):
            table.add_row(*cells, key=str(index))
        status = self.query_one("#compare-status", Static)
        status.set_class(bool(comparison.notes), "error")
        status.update("  ·  ".join(comparison.notes) if comparison.notes else
                      f"{len(comparison.rows)} runs read. r reads them again; Esc goes back.")  # fmt: skip

    def show_failure(self, failure: Failure) -> None:
        """Called by the app's failure handler: the reason stays on the screen."""
        self.loading_now = False
        status = self.query_one("#compare-status", Static)
        status.set_class(True, "error")
        status.update(failure.one_line())

    def action_close(self) -> None:
        self.dismiss(None)
