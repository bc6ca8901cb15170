"""A ledger record brought up to date from its job(s) and its run folder on the host.

State: ``running`` while any node's job runs; once all have ended, ``interrupted`` when the
trainer stopped for a spot notice (exit status 75 on node 0, an ``end`` record saying so, or
``interrupted.json`` in the run folder: under torchrun the agent's own exit status is not 75),
``finished`` for status 0 everywhere, ``failed`` for another status (node 0's, else the first
failing node's), ``lost`` when a job ended without a status or is gone from its host.

The run folder gives the rest: ``metrics.jsonl`` read from the byte offset already folded in
(the latest and the best evaluation, epochs, the last step; lines that are not records are
counted in ``metrics_skipped``), ``config.json`` once, and, when the
run has ended, the step of its latest checkpoint from ``last.pt.json`` (else from
``interrupted.json``, else the last step written).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from console.errors import RemoteFileError
from console.hosts.base import Host
from console.models import Job, JobState, MetricRecord, RunRecord, RunState
from console.runs.checkpoints import read_sidecar
from console.runs.metrics import MetricsReader, eval_metrics

#: the trainer's exit status after a spot interruption notice (trainer/spot.py)
EXIT_INTERRUPTED = 75
INTERRUPTED_MARKER = "interrupted.json"
CONFIG_FILE = "config.json"
LAST_CHECKPOINT = "last.pt"
#: config.json and the markers are small; more than this is not the trainer's
MAX_SMALL_FILE = 1 << 20


def jobs_state(jobs: Sequence[Job | None]) -> tuple[RunState, int | None, dt.datetime | None]:
    """(state, exit status, end) of a run's jobs, node 0 first; None: a job not found."""
    if any(job is not None and job.status.state is JobState.RUNNING for job in jobs):
        return RunState.RUNNING, None, None
    ends = [job.ended for job in jobs if job is not None and job.ended is not None]
    ended = max(ends) if ends else None
    if any(job is None or job.status.state is JobState.LOST for job in jobs):
        return RunState.LOST, None, ended
    codes = [job.status.exit_code for job in jobs if job is not None]
    primary = codes[0] if codes else None
    if primary == EXIT_INTERRUPTED:
        return RunState.INTERRUPTED, primary, ended
    failing = [code for code in codes if code != 0]
    if not failing:
        return RunState.FINISHED, 0, ended
    return RunState.FAILED, primary if primary else failing[0], ended


def read_small(host: Host, path: str) -> bytes | None:
    """A small file of the run folder; None when it is not there or too big to be ours."""
    try:
        data = host.read_range(path, 0, MAX_SMALL_FILE + 1)
    except RemoteFileError:
        return None
    return data if len(data) <= MAX_SMALL_FILE else None


def read_json(host: Host, path: str) -> dict[str, Any] | None:
    raw = read_small(host, path)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def fold_metrics(record: RunRecord, records: Sequence[MetricRecord], restarted: bool) -> RunRecord:
    """``record`` with what new metrics records say (``restarted``: the file began anew, so
    what was folded from it before no longer counts)."""
    final = {} if restarted else dict(record.final_metrics)
    best = {} if restarted else dict(record.best_metrics)
    epochs_done = None if restarted else record.epochs_done
    epochs_total = record.epochs_total
    last_step = None if restarted else record.last_step
    for item in records:
        if item.epochs is not None:
            epochs_total = item.epochs
        if item.step is not None:
            last_step = item.step
        if item.kind != "eval":
            continue
        final = eval_metrics(item)
        epochs_done = item.epoch if item.epoch is not None else epochs_done
        top1, best_top1 = item.category_top1, best.get("category_top1")
        if top1 is not None and (best_top1 is None or top1 > best_top1):
            best = {**final, "epoch": float(item.epoch) if item.epoch is not None else None}
    return replace(record, final_metrics=final, best_metrics=best, epochs_done=epochs_done,
                   epochs_total=epochs_total, last_step=last_step)  # fmt: skip


def observe(record: RunRecord, host: Host, jobs: Sequence[Job | None]) -> RunRecord:
    """``record`` as its jobs and its run folder on ``host`` (node 0's) show it now.
    Raises HostError subclasses when the host cannot be read."""
    state, code, ended = jobs_state(jobs)
    reader = MetricsReader(host, record.metrics_path, record.metrics_offset)
    new = reader.read_new()
    restarted = reader.offset < record.metrics_offset or (bool(new) and new[0].offset < record.metrics_offset)
    updated = fold_metrics(record, new, restarted)
    skipped = reader.skipped + (0 if restarted else record.metrics_skipped)
    updated = replace(updated, metrics_offset=reader.offset, metrics_skipped=skipped, state=state,
                      exit_code=code, ended=ended if state is not RunState.RUNNING else None)  # fmt: skip
    if updated.config is None:
        config = read_json(host, f"{record.run_dir}/{CONFIG_FILE}")
        if config is not None:
            updated = replace(updated, config=config)
    if state is RunState.RUNNING:
        return updated
    marker = read_json(host, f"{record.run_dir}/{INTERRUPTED_MARKER}")
    spot_end = any(item.kind == "end" and item.reason == "spot interruption" for item in new)
    if state in (RunState.FAILED, RunState.LOST) and (marker is not None or spot_end):
        updated = replace(updated, state=RunState.INTERRUPTED)
    return replace(updated, checkpoint_step=checkpoint_step(host, record.run_dir, marker, updated))


def checkpoint_step(host: Host, run_dir: str, marker: dict[str, Any] | None, record: RunRecord) -> int | None:
    """The global step of the run folder's latest checkpoint (see the module's docstring)."""
    path = f"{run_dir}/{LAST_CHECKPOINT}"
    try:
        size = host.stat(path).size
    except RemoteFileError:
        size = None
    if size is not None:
        fields, _ = read_sidecar(read_small(host, path + ".json"), size)
        if fields.get("step") is not None:
            return fields["step"]
    step = (marker or {}).get("global_step")
    if isinstance(step, int) and not isinstance(step, bool):
        return step
    return record.checkpoint_step if record.checkpoint_step is not None else None
