"""Compare: two or three locations counted at once and put side by side, per extension.

The first location is the reference; for every other one the table shows how many of the
reference's files it lacks (missing) and how many it has beyond them (extra) — the question
``ls | wc -l`` is asked to answer: did everything arrive? Differences are highlighted.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Switch
from textual.worker import get_current_worker

from console.errors import CountError
from console.format.files import extension_label
from console.models import CountComparison, CountOptions, CountProgress, FileCount
from console.models.location import parse_location
from console.ui.common.completion import PathSuggester
from console.ui.common.literal import DataTable, Label, Static
from console.ui.files.backends import counter_for
from console.ui.files.count_panel import PROGRESS_EVERY
from console.ui.files.panel import FilesPanel

if TYPE_CHECKING:
    from console.services import Services

LOCATION_INPUTS = ("compare-a", "compare-b", "compare-c")
#: paths listed per location under the table when comparing by path
MAX_LISTED_PATHS = 20


def difference_summary(comparison: CountComparison) -> str:
    """One line per compared location: what it misses and what it has extra, by extension."""
    if comparison.matches:
        if all(count.recursive for count in comparison.counts):
            return "Same files everywhere."
        return (
            "Same files and folders at the top level; the folders were not looked into "
            "(turn recursive on to compare inside them)."
        )
    lines = []
    for index in range(1, len(comparison.counts)):
        parts = []
        for word, field in (("missing", "missing"), ("extra", "extra")):
            per_ext = [
                (row.extension, getattr(row, field)[index])
                for row in comparison.by_extension
                if getattr(row, field)[index]
            ]
            if per_ext:
                total = sum(n for _, n in per_ext)
                detail = ", ".join(f"{extension_label(ext)} {n}" for ext, n in per_ext)
                parts.append(f"{total} {word} ({detail})")
        location = comparison.counts[index].location
        lines.append(f"[{index + 1}] {location}: " + ("; ".join(parts) or "same as [1]"))
    return "\n".join(lines)


def _number(value: int, style: str) -> Text:
    return Text(f"{value:,}", style=style if value else "")


class ComparePanel(FilesPanel):
    DEFAULT_CSS = """
    ComparePanel #compare-summary.differs { color: $warning; text-style: bold; }
    ComparePanel #compare-summary.same { color: $success; text-style: bold; }
    ComparePanel #compare-table { height: 1fr; }
    ComparePanel #compare-paths { height: auto; max-height: 8; color: $text-muted; }
    """
    WORKER_GROUP = "files-compare"
    STATUS_ID = "compare-status"
    SUBMIT_INPUTS = LOCATION_INPUTS
    FORM_NAME = "files-compare"
    REMEMBERED = (*LOCATION_INPUTS, "compare-recursive", "compare-by-path")
    CANCELLED_TEXT = "Comparison cancelled."
    ON_QUIT = "stops; nothing is compared"

    def __init__(self, services: Services, **options) -> None:
        super().__init__(services, **options)
        self.last_comparison: CountComparison | None = None
        self.progress: dict[int, CountProgress] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(classes="files-form"):
            yield Input(
                self.initial("compare-a"),
                placeholder="[1] reference",
                tooltip="The reference: a path, HOST:path or s3://bucket/prefix",
                suggester=PathSuggester(self.services, locations=True),
                id="compare-a",
            )
            for widget_id, placeholder in (("compare-b", "[2] compared location"),
                                           ("compare-c", "[3] optional third")):  # fmt: skip
                yield Input(self.initial(widget_id), placeholder=placeholder, id=widget_id,
                            suggester=PathSuggester(self.services, locations=True))  # fmt: skip
        with Horizontal(classes="files-form"):
            yield Label("recursive (off: the top level, files and folders)")
            yield Switch(value=self.initial_switch("compare-recursive", True),
                         id="compare-recursive")  # fmt: skip
            yield Label("match by path (lists missing files)")
            yield Switch(value=self.initial_switch("compare-by-path", False), id="compare-by-path")
        yield self.status_line("Type two or three locations and press Enter.")
        yield Static("", id="compare-summary")
        yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="compare-paths")

    def locations(self) -> list[str]:
        return [text for text in map(self.value_of, LOCATION_INPUTS) if text]

    def start(self) -> None:
        self.remember_fields()
        locations = self.locations()
        try:
            if len(locations) < 2:
                raise CountError("Compare needs at least two locations: fill in [1] and [2].")
            for text in locations:
                parse_location(text, error=CountError)
        except CountError as error:
            self.refuse(error)
            return
        options = CountOptions(
            recursive=self.query_one("#compare-recursive", Switch).value,
            by_ext=True,
            with_paths=self.query_one("#compare-by-path", Switch).value,
            progress_every=PROGRESS_EVERY,
        )
        self.progress = {}
        self.clear_result()  # an old answer must not stand beside the new question
        self.begin(
            f"Counting {len(locations)} locations…",
            lambda generation: self._compare(generation, locations, options),
            name="compare",
        )

    def _compare(self, generation: int, locations: list[str], options: CountOptions) -> None:
        """Count every location at once (one thread each), streaming progress, then compare."""
        cancel = get_current_worker().cancelled_event
        counter = counter_for(self.services)
        results: list[FileCount | BaseException | None] = [None] * len(locations)

        def count(index: int) -> None:
            try:
                results[index] = counter.count(
                    locations[index],
                    options,
                    on_progress=self.reporter(generation, key=index),
                    cancel=cancel,
                )
            except BaseException as error:  # re-raised in the worker below
                results[index] = error

        threads = [
            threading.Thread(target=count, args=(i,), name=f"compare-{i}", daemon=True)
            for i in range(len(locations))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for outcome in results:
            if isinstance(outcome, BaseException):
                raise outcome
        if cancel.is_set():
            return
        counts = [r for r in results if isinstance(r, FileCount)]
        self.post_message(self.Finished(generation, self.services.files.compare_counts(counts)))

    def clear_result(self) -> None:
        """Forget the last comparison and empty its summary, table and paths."""
        self.last_comparison = None
        summary = self.query_one("#compare-summary", Static)
        summary.remove_class("same", "differs")
        summary.update("")
        self.query_one("#compare-table", DataTable).clear(columns=True)
        self.query_one("#compare-paths", Static).update("")

    def show_progress(self, progress: CountProgress, key: object) -> None:
        self.progress[int(key)] = progress  # type: ignore[call-overload]
        parts = [f"[{i + 1}] {p.files:,} files" for i, p in sorted(self.progress.items())]
        self.say("Counting… " + ", ".join(parts))

    def show_result(self, comparison: CountComparison) -> None:
        self.last_comparison = comparison
        counts = comparison.counts
        self.say(
            "  ".join(f"[{i + 1}] {c.location}: {c.files:,} files" for i, c in enumerate(counts))
        )
        summary = self.query_one("#compare-summary", Static)
        summary.set_class(comparison.matches, "same")
        summary.set_class(not comparison.matches, "differs")
        summary.update(difference_summary(comparison))
        self._fill_table(comparison)
        self.query_one("#compare-paths", Static).update(self._listed_paths(comparison))

    def _fill_table(self, comparison: CountComparison) -> None:
        table = self.query_one("#compare-table", DataTable)
        table.clear(columns=True)
        columns = ["EXTENSION", "[1] FILES"]
        for index in range(1, len(comparison.counts)):
            columns += [f"[{index + 1}] FILES", f"[{index + 1}] MISSING", f"[{index + 1}] EXTRA"]
        table.add_columns(*columns)
        for row in comparison.by_extension:
            differs = any(row.missing) or any(row.extra)
            cells: list[Text] = [
                Text(extension_label(row.extension), style="bold" if differs else ""),
                _number(row.files[0], ""),
            ]
            for index in range(1, len(comparison.counts)):
                cells += [
                    _number(row.files[index], "bold" if differs else ""),
                    _number(row.missing[index], "bold red"),
                    _number(row.extra[index], "bold yellow"),
                ]
            table.add_row(*cells, key=row.extension or "(none)")

    @staticmethod
    def _listed_paths(comparison: CountComparison) -> str:
        if not comparison.by_path:
            return ""
        lines = []
        for index in range(1, len(comparison.counts)):
            for word, paths in (
                ("missing from", comparison.missing_paths[index]),
                ("extra in", comparison.extra_paths[index]),
            ):
                shown = [repr(p) if "\n" in p else p for p in paths[:MAX_LISTED_PATHS]]
                if shown:
                    more = len(paths) - len(shown)
                    lines.append(
                        f"{len(paths)} {word} [{index + 1}]: {', '.join(shown)}"
                        + (f" … {more} more" if more else "")
                    )
        return "\n".join(lines)
