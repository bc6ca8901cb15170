"""How autostop reads: the header's word, the GPU view's line, the notifications.

Pure functions over ``console.models`` values. Instance names go in as they are written;
the UI draws the result as literal text (never markup).
"""

from __future__ import annotations

from console.models import AutoStopDecision, AutoStopPhase, AutoStopStatus


def span(seconds: float) -> str:
    """A stretch of time as people say it: ``"40 s"``, ``"12 min"``, ``"2 h 05 min"``; under
    a second keeps one decimal (``"0.3 s"``: the short periods tests use)."""
    if seconds < 1:
        return f"{round(seconds, 1):g} s"
    if seconds < 60:
        return f"{int(seconds)} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def period(minutes: float) -> str:
    """The configured period: ``"30 min"``, ``"1.5 min"``, ``"18 s"`` (under a minute)."""
    if minutes < 1:
        return f"{round(minutes * 60, 1):g} s"
    return f"{minutes:g} min"


def autostop_title(minutes: float, *, read_only: bool) -> str:
    """The header's word: ``"autostop 30m"``; ``"autostop off (read-only)"`` when it is set
    but the session refuses changes; ``""`` when autostop is off (0)."""
    if minutes <= 0:
        return ""
    if read_only:
        return "autostop off (read-only)"
    short = f"{round(minutes * 60, 1):g}s" if minutes < 1 else f"{minutes:g}m"
    return f"autostop {short}"


def autostop_line(
    status: AutoStopStatus | None, name: str, minutes: float, *, read_only: bool
) -> str:
    """The GPU view's line for the instance ``name``:
    ``"Autostop: stops fashion-train after 30 min idle — idle 12 min now"``; ``""`` when
    autostop is off."""
    if minutes <= 0:
        return ""
    if read_only:
        return f"Autostop off (read-only): {name} is not stopped however long its GPUs idle."
    head = f"Autostop: stops {name} after {period(minutes)} idle — "
    if status is None:
        return head + "not watched yet (it is picked up with the next listing)"
    phase = status.phase
    if phase is AutoStopPhase.IDLE and status.idle_seconds is not None:
        return head + f"idle {span(status.idle_seconds)} now"
    if phase is AutoStopPhase.BUSY:
        return head + "GPUs busy"
    if phase is AutoStopPhase.STOPPING:
        idle = f" after {span(status.idle_seconds)} idle" if status.idle_seconds else ""
        return f"Autostop stopped {name}{idle}."
    if phase is AutoStopPhase.FAILED:
        return head + f"the stop failed ({status.detail}); tried again after a new idle stretch"
    if phase is AutoStopPhase.UNREACHABLE:
        return head + f"cannot watch it ({status.detail}): not stopped"
    if phase is AutoStopPhase.UNKNOWN:
        why = status.detail or "GPU utilisation unknown"
        return head + f"{why}: not stopped while unknown"
    return head + "waiting for nvidia-smi"


def _idle_words(decision: AutoStopDecision) -> str:
    gpus = "its GPU was" if decision.gpu_count == 1 else f"its {decision.gpu_count} GPUs were"
    text = (
        f"{gpus} under {decision.threshold_percent:g} % for {span(decision.idle_seconds)} "
        f"(autostop after {span(decision.period_seconds)})"
    )
    if decision.cost_usd is not None:
        text += f", ${decision.cost_usd:,.2f} spent idle"
    return text


def autostop_stopped_text(decision: AutoStopDecision) -> str:
    """``"Stopping fashion-train (i-0abc): its 2 GPUs were under 5 % for 31 min (autostop
    after 30 min), $0.52 spent idle."``"""
    return f"Stopping {decision.name} ({decision.instance_id}): {_idle_words(decision)}."


def autostop_failed_text(decision: AutoStopDecision, message: str) -> str:
    """The stop failed: why, and that it is not retried in a loop."""
    return (
        f"Could not stop {decision.name} ({decision.instance_id}): {message} "
        f"({_idle_words(decision)}). Not tried again until its GPUs are busy and then "
        f"idle for {span(decision.period_seconds)} again."
    )
