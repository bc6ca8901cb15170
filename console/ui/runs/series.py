"""The curves of a run's charts, drawn from its ``metrics.jsonl`` records: pure functions.

Every curve is plotted against the global optimizer step, so the per-step training records
and the per-epoch evaluations share one axis. Only the records of the run's current session
are drawn: from the last fresh start (a ``start`` record without ``resumed_from``) on, the
rule ``console.runs.derive.current_session`` states, so a reused run folder's older lines
do not mix in while a resumed start continues its curve. Evaluations are those of the latest
evaluation's split, one per epoch (the last written wins).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from console.models import MetricRecord


@dataclass(frozen=True, slots=True)
class Series:
    """One curve: our own label for it and its points (step, value)."""

    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]

    @property
    def points(self) -> list[tuple[float, float]]:
        return list(zip(self.x, self.y, strict=True))


@dataclass(frozen=True, slots=True)
class Curve:
    """Which records a curve takes (``train`` or ``eval``) and the value it reads."""

    label: str
    kind: str
    value: Callable[[MetricRecord], float | None]
    style: str


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """One chart of the run screen: its id, title and curves (our own words only)."""

    id: str
    title: str
    curves: tuple[Curve, ...]


CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("loss", "Loss", (
        Curve("train", "train", lambda r: r.loss, "cyan"),
        Curve("validation", "eval", lambda r: r.loss, "magenta"),
    )),
    ChartSpec("category", "Category top-k (%)", (
        Curve("top-1", "eval", lambda r: r.category_top1, "green"),
        Curve("top-3", "eval", lambda r: r.category_top3, "yellow"),
        Curve("top-5", "eval", lambda r: r.category_top5, "cyan"),
    )),
    ChartSpec("attributes", "Attribute recall, all types (%)", (
        Curve("recall@3", "eval", lambda r: r.recall("all", 3), "yellow"),
        Curve("recall@5", "eval", lambda r: r.recall("all", 5), "cyan"),
    )),
    ChartSpec("landmarks", "Landmark error (normalised)", (
        Curve("mean error", "eval", lambda r: r.landmark_error, "magenta"),
    )),
    ChartSpec("lr", "Learning rate", (
        Curve("lr", "train", lambda r: r.lr, "green"),
    )),
    ChartSpec("speed", "Images/s", (
        Curve("images/s", "train", lambda r: r.images_per_s, "cyan"),
    )),
)  # fmt: skip


def current_session(records: Iterable[MetricRecord]) -> list[MetricRecord]:
    """The records from the last fresh start on (see the module's docstring)."""
    records = list(records)
    fresh = [i for i, r in enumerate(records) if r.kind == "start" and not r.resumed_from]
    return records[fresh[-1] :] if fresh else records


def evaluations(records: Iterable[MetricRecord]) -> list[MetricRecord]:
    """The ``eval`` records of the latest evaluation's split, one per epoch, by epoch."""
    evals = [r for r in records if r.kind == "eval" and r.epoch is not None]
    if not evals:
        return []
    split = evals[-1].split
    by_epoch = {r.epoch: r for r in evals if r.split == split}
    return [by_epoch[epoch] for epoch in sorted(by_epoch)]  # type: ignore[type-var]


def _points(
    records: Sequence[MetricRecord], value: Callable[[MetricRecord], float | None]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    xs: list[float] = []
    ys: list[float] = []
    for record in records:
        y = value(record)
        if record.step is None or y is None:
            continue
        xs.append(float(record.step))
        ys.append(float(y))
    return tuple(xs), tuple(ys)


def chart_series(records: Iterable[MetricRecord]) -> dict[str, tuple[Series, ...]]:
    """Each chart's id -> its curves (a curve without a point is left out)."""
    session = current_session(records)
    by_kind = {
        "train": [r for r in session if r.kind == "train"],
        "eval": evaluations(session),
    }
    charts: dict[str, tuple[Series, ...]] = {}
    for chart in CHARTS:
        found = []
        for curve in chart.curves:
            xs, ys = _points(by_kind[curve.kind], curve.value)
            if xs:
                found.append(Series(curve.label, xs, ys))
        charts[chart.id] = tuple(found)
    return charts


def curve_style(chart_id: str, label: str) -> str:
    """The colour a chart draws a curve in."""
    for chart in CHARTS:
        if chart.id == chart_id:
            for curve in chart.curves:
                if curve.label == label:
                    return curve.style
    return "white"
