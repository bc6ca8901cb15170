"""Two or more runs side by side: each run's best figure in every column over the
evaluations of its current session, and which run leads each column.

Pure functions over records the caller read; ``services.runs.compare`` reads them and the
Runs view's compare screen and ``awsconsole runs --compare`` show what it returns, so both
say the same. A column's best is taken over all of a run's evaluations (top-5 may peak at
another epoch than top-1), as a paper's table reports each metric at its best; the
ledger's ``best_metrics`` instead keep the one evaluation with the best top-1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from console.models import COMPARE_COLUMNS, MetricRecord, RunComparison, RunRecord
from console.runs.derive import current_session, evaluations

#: where each column's figure is read in an eval record (``COMPARE_COLUMNS``' keys)
READ: dict[str, Callable[[MetricRecord], float | None]] = {
    "category_top1": lambda r: r.category_top1,
    "category_top3": lambda r: r.category_top3,
    "category_top5": lambda r: r.category_top5,
    "attr_recall@3": lambda r: r.recall("all", 3),
    "attr_recall@5": lambda r: r.recall("all", 5),
    "landmark_mean": lambda r: r.landmark_error,
    "val_loss": lambda r: r.loss,
}


def compare_one(run: RunRecord, records: Sequence[MetricRecord], cost: float | None) -> RunComparison:
    """The run's row: the best of each column over its current evaluations."""
    evals = evaluations(current_session(records))
    best: dict[str, float | None] = {}
    for column in COMPARE_COLUMNS:
        values = [v for v in (READ[column.key](r) for r in evals) if v is not None]
        if not values:
            best[column.key] = None
        else:
            best[column.key] = max(values) if column.higher_is_better else min(values)
    return RunComparison(run, best, len(evals), cost, tuple(evals))


def compare(
    runs: Sequence[tuple[RunRecord, Sequence[MetricRecord], float | None]],
) -> list[RunComparison]:
    """A row per (run, its records, its cost), in the order given."""
    return [compare_one(run, records, cost) for run, records, cost in runs]


def leaders(rows: Sequence[RunComparison]) -> dict[str, frozenset[int]]:
    """Column key (and "cost") -> the indexes of the rows holding its best value (every row
    of a tie; none when fewer than two rows have a value to compare)."""
    keyed: list[tuple[str, bool, Callable[[RunComparison], float | None]]] = [
        (c.key, c.higher_is_better, lambda row, key=c.key: row.best.get(key))
        for c in COMPARE_COLUMNS
    ]
    keyed.append(("cost", False, lambda row: row.cost))
    out: dict[str, frozenset[int]] = {}
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
