"""What follows from a run's metrics records, its price and the clock: pure functions.

Sessions. A run folder's ``metrics.jsonl`` may hold an earlier run's lines (the folder was
reused) and the lines of every resumed start. ``current_session`` keeps the records from the
last fresh start (a ``start`` record with no ``resumed_from``) on; resumed starts continue it.

Epoch time. An ``eval`` record's ``epoch_seconds`` (training and evaluation of that epoch) where
the trainer wrote it, else the time between two consecutive epochs' ``eval`` records. The recent
epoch time is the mean of the last ``RECENT_EPOCHS`` of them.

ETA (``eta_seconds``), while the run runs:
- once an epoch has finished: recent epoch time x epochs left, less the time since the last
  epoch ended (or since the latest start, when later), never below 0;
- before that: the pace of the steps of this session (time per step between the ``start``
  record and the latest ``train`` record) x the steps left to the end of training, less the
  time since that ``train`` record; evaluation time is not in it yet;
- unknown (None) without a total epoch count or any timing, and for a run that has stopped.

Cost: the price per hour (all nodes) x the hours from the start to the end (or now);
projected: that plus the price x the ETA in hours. Unknown price, unknown cost.

The over-confidence rule (``over_confidence``): take the last ``window`` evaluations of the
current session (one per epoch, the same split; default 3, at least 2). The flag is raised
when, across that window,
1. the validation loss rose at every epoch (each loss strictly above the one before), and
2. the validation top-1 category accuracy never fell (each at least the one before) and
   rose overall (the last strictly above the first).
Any missing value in the window, or fewer evaluations than ``window``, raises nothing. A loss
that rises while accuracy falls is ordinary overfitting, not this flag; the flag names the
case people misread: the model gets more examples right while becoming confidently wrong on
the others, which the cross-entropy punishes more and more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from console.models import MetricRecord, OverConfidence, RunProgress, RunRecord

RECENT_EPOCHS = 3
DEFAULT_WINDOW = 3


def current_session(records: Iterable[MetricRecord]) -> list[MetricRecord]:
    """The records from the last fresh start on (see the module's docstring)."""
    records = list(records)
    fresh = [
        i for i, r in enumerate(records) if r.kind == "start" and not r.resumed_from
    ]
    return records[fresh[-1] :] if fresh else records


def evaluations(records: Iterable[MetricRecord], split: str | None = None) -> list[MetricRecord]:
    """The ``eval`` records with an epoch, one per epoch (the last written wins), by epoch.
    With ``split``, only that split's; else the split of the latest evaluation."""
    evals = [r for r in records if r.kind == "eval" and r.epoch is not None]
    if not evals:
        return []
    wanted = split if split is not None else evals[-1].split
    by_epoch: dict[int, MetricRecord] = {}
    for record in evals:
        if record.split == wanted:
            by_epoch[record.epoch] = record  # type: ignore[index]
    return [by_epoch[epoch] for epoch in sorted(by_epoch)]


def over_confidence(
    evals: Sequence[MetricRecord], window: int = DEFAULT_WINDOW
) -> OverConfidence | None:
    """The flag of the module's docstring over the last ``window`` of ``evals`` (by epoch).
    Raises ValueError for a window under 2."""
    if window < 2:
        raise ValueError(f"the over-confidence window needs at least 2 epochs, not {window}")
    points = list(evals)[-window:]
    if len(points) < window:
        return None
    losses = [p.loss for p in points]
    accuracies = [p.category_top1 for p in points]
    if any(v is None for v in losses) or any(v is None for v in accuracies):
        return None
    loss_rises = all(b > a for a, b in zip(losses, losses[1:], strict=False))  # type: ignore[operator]
    never_falls = all(b >= a for a, b in zip(accuracies, accuracies[1:], strict=False))  # type: ignore[operator]
    if not (loss_rises and never_falls and accuracies[-1] > accuracies[0]):  # type: ignore[operator]
        return None
    return OverConfidence(
        epochs=window,
        first_epoch=points[0].epoch,
        last_epoch=points[-1].epoch,
        loss_from=losses[0],  # type: ignore[arg-type]
        loss_to=losses[-1],  # type: ignore[arg-type]
        accuracy_from=accuracies[0],  # type: ignore[arg-type]
        accuracy_to=accuracies[-1],  # type: ignore[arg-type]
        split=points[-1].split,
    )


def epoch_durations(evals: Sequence[MetricRecord]) -> list[float]:
    """Seconds per finished epoch, oldest first (see the module's docstring)."""
    durations = []
    for previous, record in zip([None, *evals], evals, strict=False):
        if record.epoch_seconds is not None and record.epoch_seconds > 0:
            durations.append(record.epoch_seconds)
        elif (
            previous is not None
            and previous.time is not None
            and record.time is not None
            and previous.epoch is not None
            and record.epoch == previous.epoch + 1
            and record.time > previous.time
        ):
            durations.append(record.time - previous.time)
    return durations


def _latest(records: Iterable[MetricRecord], kind: str) -> MetricRecord | None:
    found = None
    for record in records:
        if record.kind == kind:
            found = record
    return found


def _best(evals: Sequence[MetricRecord]) -> MetricRecord | None:
    best = None
    for record in evals:
        if record.category_top1 is not None and (
            best is None or record.category_top1 > best.category_top1  # type: ignore[operator]
        ):
            best = record
    return best


def eta_seconds(
    session: Sequence[MetricRecord], epochs_total: int | None, now: float
) -> tuple[float | None, float | None]:
    """(ETA, recent epoch seconds) of a running session; see the module's docstring."""
    evals = evaluations(session)
    recent = epoch_durations(evals)[-RECENT_EPOCHS:]
    epoch_seconds = sum(recent) / len(recent) if recent else None
    total = epochs_total or _total_epochs(session)
    if total is None:
        return None, epoch_seconds
    start = _latest(session, "start")
    done = evals[-1].epoch if evals else (start.epoch if start and start.epoch is not None else 0)
    left = total - done  # type: ignore[operator]
    if left <= 0:
        return 0.0, epoch_seconds
    if epoch_seconds is not None:
        marks = [t for t in (evals[-1].time if evals else None, start.time if start else None) if t]
        since = now - max(marks) if marks else 0.0
        return max(0.0, epoch_seconds * left - since), epoch_seconds
    train = _latest(session, "train")
    if (
        train is None
        or start is None
        or None in (train.time, start.time, train.step, start.step, train.epoch_step)
        or not train.steps_per_epoch
        or train.step <= start.step  # type: ignore[operator]
    ):
        return None, None
    pace = (train.time - start.time) / (train.step - start.step)  # type: ignore[operator]
    steps_left = (train.steps_per_epoch - train.epoch_step) + train.steps_per_epoch * (left - 1)  # type: ignore[operator]
    return max(0.0, pace * steps_left - (now - train.time)), None  # type: ignore[operator]


def _total_epochs(records: Iterable[MetricRecord]) -> int | None:
    total = None
    for record in records:
        if record.epochs is not None:
            total = record.epochs
    return total


def summarize(
    records: Iterable[MetricRecord],
    *,
    now: float,
    started: float | None = None,
    ended: float | None = None,
    price_per_hour: float | None = None,
    epochs_total: int | None = None,
    running: bool = True,
    window: int = DEFAULT_WINDOW,
) -> RunProgress:
    """Progress, ETA, cost and the over-confidence flag of one run's records.

    ``started``/``ended``/``now`` are seconds since the epoch; the cost runs from ``started``
    to ``ended`` (or ``now``). ``epochs_total`` overrides the records' own count.
    """
    session = current_session(records)
    evals = evaluations(session)
    latest_eval = evals[-1] if evals else None
    latest_train = _latest(session, "train")
    total = epochs_total or _total_epochs(session)
    eta, epoch_seconds = eta_seconds(session, total, now) if running else (None, None)
    if not running:
        recent = epoch_durations(evals)[-RECENT_EPOCHS:]
        epoch_seconds = sum(recent) / len(recent) if recent else None
    elapsed = None
    if started is not None:
        elapsed = max(0.0, (ended if ended is not None else now) - started)
    cost = projected = None
    if price_per_hour is not None and elapsed is not None:
        cost = price_per_hour * elapsed / 3600.0
        if not running:
            projected = cost
        elif eta is not None:
            projected = cost + price_per_hour * eta / 3600.0
    steps = [r.step for r in session if r.step is not None]
    return RunProgress(
        epochs_done=latest_eval.epoch if latest_eval else None,
        epochs_total=total,
        step=steps[-1] if steps else None,
        epoch_seconds=epoch_seconds,
        eta_seconds=eta,
        elapsed_seconds=elapsed,
        price_per_hour=price_per_hour,
        cost_so_far=cost,
        projected_cost=projected,
        over_confident=over_confidence(evals, window),
        latest_train=latest_train,
        latest_eval=latest_eval,
        best_eval=_best(evals),
    )


def run_progress(
    run: RunRecord,
    records: Iterable[MetricRecord],
    now: dt.datetime | None = None,
    window: int = DEFAULT_WINDOW,
) -> RunProgress:
    """``summarize`` for a ledger record: its start, end, price, epoch count and state."""
    moment = (now or dt.datetime.now(dt.UTC)).timestamp()
    return summarize(
        records,
        now=moment,
        started=run.started.timestamp(),
        ended=run.ended.timestamp() if run.ended else None,
        price_per_hour=run.price_per_hour,
        epochs_total=run.epochs_total,
        running=not run.finished,
        window=window,
    )


def cost_of(run: RunRecord, now: dt.datetime | None = None) -> float | None:
    """What the run cost so far (or in all, once ended): price x hours; None when unknown."""
    price = run.price_per_hour
    if price is None:
        return None
    end = run.ended or now or dt.datetime.now(dt.UTC)
    return price * max(0.0, (end - run.started).total_seconds()) / 3600.0
