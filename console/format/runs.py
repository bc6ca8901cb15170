"""How training runs read, in the run view and in ``awsconsole runs/checkpoints/predict``:
state words, metrics, ages, the over-confidence sentence. Pure functions of the models."""

from __future__ import annotations

import datetime as dt

from console.models import Checkpoint, OverConfidence, RunRecord, RunState


def state_text(run: RunRecord) -> str:
    """``running``, ``finished``, ``failed (1)``, ``lost``, ``interrupted — checkpoint at
    step 120`` (or ``interrupted — no checkpoint found``)."""
    if run.state is RunState.INTERRUPTED:
        if run.checkpoint_step is None:
            return "interrupted — no checkpoint found"
        return f"interrupted — checkpoint at step {run.checkpoint_step}"
    if run.state is RunState.FAILED:
        return f"failed ({run.exit_code})" if run.exit_code is not None else "failed"
    if run.state is RunState.LOST and run.checkpoint_step is not None:
        return f"lost — checkpoint at step {run.checkpoint_step}"
    return run.state.value


def percent(value: float | None) -> str:
    """``91.16`` -> ``91.2%``; blank when unknown (metrics are already in percent)."""
    return "" if value is None else f"{value:.1f}%"


def money(value: float | None) -> str:
    """A run's cost: ``$1,234.50``; blank when unknown (no price)."""
    return "" if value is None else f"${value:,.2f}"


def error_figure(value: float | None) -> str:
    """A landmark's normalised error: ``0.0474``; blank when unknown."""
    return "" if value is None else f"{value:.4f}"


def loss_figure(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def age(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """``42s``, ``7m``, ``3h 05m``, ``2d 4h`` since ``moment``; blank when unknown."""
    if moment is None:
        return ""
    seconds = max(0, int(((now or dt.datetime.now(dt.UTC)) - moment).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def checkpoint_kind(checkpoint: Checkpoint) -> str:
    """``resumable`` (a full state), ``weights`` (best.pt's kind), blank when unknown."""
    return {"full": "resumable", "weights": "weights"}.get(
        checkpoint.kind or "", checkpoint.kind or ""
    )


def over_confidence_text(flag: OverConfidence) -> str:
    """The plain words the run view shows when the flag is up."""
    return (
        f"Over-confident: over the last {flag.epochs} epochs the validation loss rose "
        f"({flag.loss_from:.4f} → {flag.loss_to:.4f}) while top-1 accuracy still rose "
        f"({flag.accuracy_from:.1f}% → {flag.accuracy_to:.1f}%). The model gets more examples "
        "right but is growing over-confident on the ones it gets wrong; the checkpoint with "
        "the lowest validation loss may generalise better than the last one."
    )
