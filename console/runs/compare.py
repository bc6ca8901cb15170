"""Two or more runs side by side: each run's best figure in every column over the
evaluations of its current session, and which run leads each column.

Pure functions over records the caller read (``services.runs.records``): the Runs view's
compare screen and ``awsconsole runs --compare`` share them, so both say the same. A column's
best is taken over all of a run's evaluations (top-5 may peak at another epoch than top-1),
as a paper's table reports each metric at its best; the ledger's ``best_metrics`` instead
keep the one evaluation with the best top-1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from console.models import MetricRecord, RunRecord
from console.runs.derive import current_session, evaluations


@dataclass(frozen=True, slots=True)
class CompareColumn:
    """One figure compared: where it is read in an eval record and which way is better."""

    key: str
    title: str
    value: Callable[[MetricRecord], float | None]
    higher_is_better: bool
    #: "percent" (accuracy, recall), "error" (landmark error in [0, 1]), "loss"
    unit: str


COLUMNS: tuple[CompareColumn, ...] = (
    CompareColumn("category_top1", "Top-1", lambda r: r.category_top1, True, "percent"),
    CompareColumn("category_top3", "Top-3", lambda r: r.category_top3, True, "percent"),
    CompareColumn("category_top5", "Top-5", lambda r: r.category_top5, True, "percent"),
    CompareColumn("attr_recall@3", "Attr R@3", lambda r: r.recall("all", 3), True, "percent"),
    CompareColumn("attr_recall@5", "Attr R@5", lambda r: r.recall("all", 5), True, "percent"),
    CompareColumn("landmark_mean", "Landmark err", lambda r: r.landmark_error, False, "error"),
    CompareColumn("val_loss", "Val loss", lambda r: r.loss, False, "loss"),
)


@dataclass(frozen=True, slots=True)
class RunComparison:
    """One run's row: its best figure per column (None: never evaluated), how many epochs
    were evaluated, and what it cost (None: no price known)."""

    run: RunRecord
    best: Mapping[str, float | None]
    epochs: int
    cost: float | None


def best_figures(records: Sequence[MetricRecord]) -> tuple[dict[str, float | None], int]:
    """The best of each column over the run's current evaluations, and their count."""
    evals = evaluations(current_session(records))
    best: dict[str, float | None] = {}
    for column in COLUMNS:
        values = [v for v in (column.value(r) for r in evals) if v is not None]
        best[column.key] = (max(values) if column.higher_is_better else min(values)) if values else None
    return best, len(evals)


def compare(
    runs: Sequence[tuple[RunRecord, Sequence[MetricRecord], float | None]],
) -> list[RunComparison]:
    """A row per (run, its records, its cost), in the order given."""
    rows = []
    for run, records, cost in runs:
        best, epochs = best_figures(records)
        rows.append(RunComparison(run, best, epochs, cost))
    return rows


def leaders(rows: Sequence[RunComparison]) -> dict[str, frozenset[int]]:
    """Column key (and "cost") -> the indexes of the rows holding its best value (every row
    of a tie; none when no row has a value or only one run has one to compare)."""
    out: dict[str, frozenset[int]] = {}
    keyed: list[tuple[str, bool, Callable[[RunComparison], float | None]]] = [
        (c.key, c.higher_is_better, lambda row, key=c.key: row.best.get(key)) for c in COLUMNS
    ]
    keyed.append(("cost", False, lambda row: row.cost))
    for key, higher, read in keyed:
        values = {i: v for i, row in enumerate(rows) if (v := read(row)) is not None}
        if len(values) < 2:
            out[key] = frozenset()
            continue
        target = max(values.values()) if higher else min(values.values())
        out[key] = frozenset(i for i, v in values.items() if v == target)
    return out


def as_record(row: RunComparison) -> dict[str, object]:
    """A row as ``awsconsole runs --compare --json`` prints it."""
    return {
        "id": row.run.id,
        "name": row.run.name,
        "hosts": list(row.run.hosts),
        "state": row.run.state.value,
        "epochs_evaluated": row.epochs,
        "best": dict(row.best),
        "cost": row.cost,
    }
