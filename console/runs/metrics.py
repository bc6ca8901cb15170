"""Reading a run's ``metrics.jsonl`` from its host, a few new lines at a time.

What the trainer writes (``trainer/engine.py`` and ``trainer/train.py``), one JSON object per
line, every line with ``kind`` and ``time`` (seconds since the epoch):

``start``  at every start, resumed or not: ``epoch`` (epochs completed), ``epochs`` (total),
           ``step`` (global step: the saved one when resumed), ``epoch_step``,
           ``steps_per_epoch``, ``world_size``, ``batch_size``, ``train_images``, ``device``,
           ``precision``, ``resumed_from`` (a checkpoint path or null), ``config_digest``
``train``  every ``--log-every`` steps: ``epoch`` (the one in progress, 1-based), ``epochs``,
           ``step``, ``epoch_step``, ``steps_per_epoch``, ``loss``, ``loss_category``,
           ``loss_attribute``, ``loss_landmark`` (means over the window), ``lr``,
           ``images_per_s``, ``epoch_eta_s`` (seconds left in this epoch's steps)
``eval``   after each epoch: ``split``, ``epoch`` (epochs completed), ``epochs``, ``step``,
           ``images``, ``category_top1/3/5`` (percent), ``attr_<type>_recall@3/5`` (percent;
           types texture, fabric, shape, part, style and ``all``), ``landmark_<name>`` and
           ``landmark_mean`` (normalised error), ``loss`` and its three parts,
           ``epoch_seconds`` (training and evaluation of the epoch), ``eval_seconds``
``end``    when the trainer stops on its own: ``reason`` ("finished" or "spot interruption"),
           ``epoch``, ``step``, ``exit_status`` (0 or 75), ``best`` (finished only)

An undefined metric (no positives of a type) is null. Older trainers wrote ``train`` and
``eval`` lines without the totals, times and ETA; those fields read as None.

``MetricsReader`` keeps a byte offset and reads only what was appended since (ranged reads
through the host, as ``console.logs.follower.read_chunks`` does): it advances only past whole
lines, so a line still being written is read once it is complete, and a reader made again
from the saved offset after a dropped connection repeats nothing and skips nothing.
``follow`` streams new records as they are written (``tail -c +N -F``, see LogFollower).
"""

from __future__ import annotations

import errno
import json
import math
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from console.errors import RemoteFileError
from console.hosts.base import Host
from console.logs.follower import LogFollower, read_chunks
from console.models import AttributeRecall, MetricRecord

#: a line longer than this is not the trainer's: it is skipped, not held in memory
MAX_LINE_BYTES = 1 << 20
#: the attribute types and landmarks in the order the paper's tables list them
ATTRIBUTE_TYPES = ("texture", "fabric", "shape", "part", "style", "all")
LANDMARKS = (
    "left_collar", "right_collar", "left_sleeve", "right_sleeve",
    "left_waistline", "right_waistline", "left_hem", "right_hem",
)  # fmt: skip
#: at most this many attribute types and landmarks are kept from one line (it comes from a host)
MAX_NAMED = 64
_RECALL_KEY = re.compile(r"attr_(.+)_recall@([35])\Z")


def _number(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _whole(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _recalls(data: Mapping[str, Any]) -> tuple[AttributeRecall, ...]:
    found: dict[str, dict[str, float | None]] = {}
    for key in data:
        match = _RECALL_KEY.match(key) if isinstance(key, str) else None
        if match is None:
            continue
        kind = match.group(1)
        if kind not in found and len(found) >= MAX_NAMED:
            continue
        found.setdefault(kind, {})[match.group(2)] = _number(data, key)
    order = {name: i for i, name in enumerate(ATTRIBUTE_TYPES)}
    kinds = sorted(found, key=lambda k: (k == "all", order.get(k, len(order)), k))
    return tuple(AttributeRecall(k, found[k].get("3"), found[k].get("5")) for k in kinds)


def _landmarks(data: Mapping[str, Any]) -> tuple[tuple[str, float | None], ...]:
    names = [
        key[len("landmark_") :]
        for key in data
        if isinstance(key, str) and key.startswith("landmark_") and key != "landmark_mean"
    ][:MAX_NAMED]
    order = {name: i for i, name in enumerate(LANDMARKS)}
    names.sort(key=lambda name: (order.get(name, len(order)), name))
    return tuple((name, _number(data, f"landmark_{name}")) for name in names)


def parse_record(data: Any, offset: int = 0) -> MetricRecord | None:
    """One decoded line as a MetricRecord; None when it is not a JSON object with a kind."""
    if not isinstance(data, dict):
        return None
    kind = data.get("kind")
    if not isinstance(kind, str) or not kind:
        return None
    return MetricRecord(
        kind=kind,
        offset=offset,
        time=_number(data, "time"),
        epoch=_whole(data, "epoch"),
        epochs=_whole(data, "epochs"),
        step=_whole(data, "step"),
        epoch_step=_whole(data, "epoch_step"),
        steps_per_epoch=_whole(data, "steps_per_epoch"),
        loss=_number(data, "loss"),
        loss_category=_number(data, "loss_category"),
        loss_attribute=_number(data, "loss_attribute"),
        loss_landmark=_number(data, "loss_landmark"),
        lr=_number(data, "lr"),
        images_per_s=_number(data, "images_per_s"),
        epoch_eta_s=_number(data, "epoch_eta_s"),
        split=_text(data, "split"),
        category_top1=_number(data, "category_top1"),
        category_top3=_number(data, "category_top3"),
        category_top5=_number(data, "category_top5"),
        attribute_recall=_recalls(data),
        landmark_error=_number(data, "landmark_mean"),
        landmark_errors=_landmarks(data),
        epoch_seconds=_number(data, "epoch_seconds"),
        eval_seconds=_number(data, "eval_seconds"),
        resumed_from=_text(data, "resumed_from"),
        reason=_text(data, "reason"),
        exit_status=_whole(data, "exit_status"),
    )


def parse_line(line: bytes, offset: int = 0) -> MetricRecord | None:
    """One line (without its newline) as a record; None for anything else (a line longer
    than ``MAX_LINE_BYTES`` is not the trainer's, whatever it holds)."""
    if len(line) > MAX_LINE_BYTES:
        return None
    try:
        return parse_record(json.loads(line), offset)
    except (ValueError, RecursionError):
        return None


def parse_lines(data: bytes, offset: int = 0) -> list[MetricRecord]:
    """The records of whole lines ``data`` (starting at byte ``offset`` of the file)."""
    records = []
    position = offset
    for line in data.splitlines(keepends=True):
        record = parse_line(line.rstrip(b"\r\n"), position)
        if record is not None:
            records.append(record)
        position += len(line)
    return records


def eval_metrics(record: MetricRecord) -> dict[str, float | None]:
    """An eval record's headline figures as the ledger keeps them (``final_metrics``)."""
    metrics: dict[str, float | None] = {
        "loss": record.loss,
        "category_top1": record.category_top1,
        "category_top3": record.category_top3,
        "category_top5": record.category_top5,
        "landmark_mean": record.landmark_error,
    }
    for recall in record.attribute_recall:
        metrics[f"attr_{recall.type}_recall@3"] = recall.at3
        metrics[f"attr_{recall.type}_recall@5"] = recall.at5
    return metrics


class MetricsReader:
    """The new records of ``path`` on ``host`` since byte ``offset``, on each ``read_new``."""

    def __init__(self, host: Host, path: str, offset: int = 0):
        self.host = host
        self.path = path
        #: everything before it was read as whole lines
        self.offset = offset
        #: lines that were not a record (not JSON, no kind, too long)
        self.skipped = 0
        self._discarding = False

    def read_new(self) -> list[MetricRecord]:
        """The records of the lines appended since the last call, in order.

        Stands for ``tail -c +OFFSET+1 metrics.jsonl`` with ranged reads. A file not written
        yet gives []. A file now shorter than the offset was replaced (a new run in the same
        folder): it is read again from its start, and its records' offsets start over (a
        record whose offset is below one seen before means exactly that). Raises HostError
        subclasses when the host cannot be read.
        """
        try:
            size = self.host.stat(self.path).size
        except RemoteFileError as exc:
            if getattr(exc, "errno", errno.ENOENT) == errno.ENOENT:
                return []
            raise
        if size < self.offset:
            self.offset, self._discarding = 0, False
        records: list[MetricRecord] = []
        buffer = b""
        start = self.offset
        for chunk in read_chunks(self.host, self.path, self.offset):
            buffer += chunk.data
            buffer, start = self._whole_lines(buffer, start, records)
            if chunk.end >= size:
                break
        return records

    def _whole_lines(self, buffer: bytes, start: int, records: list[MetricRecord]) -> tuple[bytes, int]:
        """Parse the whole lines of ``buffer`` (which begins at byte ``start``); return what is
        left (an unfinished line) and where it begins. Advances ``offset``."""
        if self._discarding:
            cut = buffer.find(b"\n") + 1
            if not cut:
                self.offset = start + len(buffer)
                return b"", self.offset
            self._discarding, buffer, start = False, buffer[cut:], start + cut
            self.offset = start
        cut = buffer.rfind(b"\n") + 1
        if cut:
            parsed = parse_lines(buffer[:cut], start)
            records.extend(parsed)
            self.skipped += buffer[:cut].count(b"\n") - len(parsed)
            buffer, start = buffer[cut:], start + cut
            self.offset = start
        if len(buffer) > MAX_LINE_BYTES:  # an endless line: not the trainer's, skip it
            self.skipped += 1
            self._discarding = True
            self.offset = start + len(buffer)
            return b"", self.offset
        return buffer, start

    def follow(self, cancel: threading.Event) -> Iterator[list[MetricRecord]]:
        """The new records as they are written, from ``offset``, until ``cancel`` is set
        (``tail -c +OFFSET+1 -F metrics.jsonl``, restarted from the last whole line after a
        dropped connection: nothing lost, nothing repeated). Raises LogError when the file
        shrinks below what was read."""
        follower = LogFollower(self.host, self.path, self.offset, cancel=cancel)
        try:
            for chunk in follower:
                records = parse_lines(chunk.data, chunk.offset)
                self.offset = chunk.end
                if records:
                    yield records
        finally:
            follower.close()


def read_all(host: Host, path: str) -> list[MetricRecord]:
    """Every record of the file (``cat metrics.jsonl``); [] when it does not exist yet."""
    return MetricsReader(host, path).read_new()


def latest(records: Iterable[MetricRecord], kind: str) -> MetricRecord | None:
    """The last record of ``kind``."""
    found = None
    for record in records:
        if record.kind == kind:
            found = record
    return found
