"""Checkpoints in a run folder (on a host or this machine) or under an S3 prefix, read without
torch: each one's JSON sidecar (``last.pt.json`` beside ``last.pt``, written by the trainer, see
trainer/checkpoint.py) says its kind, epoch, global step, metrics, config digest and when it was
saved. A checkpoint without a sidecar, with one that is not readable, or with one whose
``size`` differs from the file (it describes an earlier save of that name) is listed with its
size and modification time only, and ``sidecar_problem`` says why.

Everything here comes from outside (file names, keys, sidecar text): a sidecar is read up to
``MAX_SIDECAR_BYTES``, its values are kept only when they have the expected types, and the
local copies of a checkpoint are placed by the containment rule (``cache_path``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import posixpath
from collections.abc import Callable, Iterable
from typing import Any

from console.errors import RemoteFileError
from console.files.paths import UnsafeName, contained_path, name_parts
from console.hosts.base import Host
from console.models import Checkpoint, FileKind, S3Object
from console.models.location import Location, LocationKind
from console.runs.errors import CheckpointListError

#: what counts as a checkpoint file
CHECKPOINT_SUFFIXES = (".pt", ".pth")
SIDECAR_SUFFIX = ".json"
#: a sidecar is a few KB; anything bigger is not one
MAX_SIDECAR_BYTES = 256 * 1024
#: the names the trainer saves: listed first
TRAINER_NAMES = ("last.pt", "best.pt")


def is_checkpoint_name(name: str) -> bool:
    """A ``*.pt``/``*.pth`` file that is not a temporary one (``.last.pt.123.tmp``, dot files)."""
    return not name.startswith(".") and name.endswith(CHECKPOINT_SUFFIXES)


def sidecar_name(name: str) -> str:
    return name + SIDECAR_SUFFIX


def _whole(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def read_sidecar(raw: bytes | None, size: int | None) -> tuple[dict[str, Any], str | None]:
    """The fields a sidecar gives a Checkpoint, and why none were taken (None: they were).

    ``raw`` None: no sidecar. ``size``: the checkpoint's size, which a current sidecar states.
    """
    if raw is None:
        return {}, None
    if len(raw) > MAX_SIDECAR_BYTES:
        return {}, "sidecar too big to be one"
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return {}, "sidecar is not JSON"
    if not isinstance(data, dict):
        return {}, "sidecar is not a JSON object"
    stated = _whole(data, "size")
    if size is not None and stated is not None and stated != size:
        return {}, "sidecar describes an earlier save (its size differs)"
    metrics = data.get("metrics")
    saved = data.get("saved_at")
    saved_at = None
    if isinstance(saved, int | float) and not isinstance(saved, bool) and math.isfinite(saved) and saved > 0:
        try:
            saved_at = dt.datetime.fromtimestamp(saved, dt.UTC)
        except (OverflowError, OSError, ValueError):
            saved_at = None
    return {
        "has_sidecar": True,
        "kind": _text(data, "kind"),
        "epoch": _whole(data, "epoch"),
        "epoch_step": _whole(data, "epoch_step"),
        "step": _whole(data, "step"),
        "reason": _text(data, "reason"),
        "metrics": {
            str(k): float(v)
            for k, v in (metrics.items() if isinstance(metrics, dict) else ())
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        },
        "metrics_epoch": _whole(data, "metrics_epoch"),
        "config_digest": _text(data, "config_digest"),
        "saved_at": saved_at,
    }, None


def make_checkpoint(
    location: str, name: str, size: int | None, mtime: float | None, sidecar: bytes | None
) -> Checkpoint:
    """A Checkpoint from a listing entry and its sidecar's bytes (None: no sidecar)."""
    fields, problem = read_sidecar(sidecar, size)
    modified = dt.datetime.fromtimestamp(mtime, dt.UTC) if mtime else None
    return Checkpoint(location=location, name=name, size=size, modified=modified,
                      sidecar_problem=problem, **fields)  # fmt: skip


def order(checkpoints: Iterable[Checkpoint]) -> list[Checkpoint]:
    """The trainer's own names first (last.pt, best.pt), then the newest first."""
    def key(c: Checkpoint) -> tuple[int, float, str]:
        rank = TRAINER_NAMES.index(c.name) if c.name in TRAINER_NAMES else len(TRAINER_NAMES)
        when = c.when.timestamp() if c.when else 0.0
        return rank, -when, c.name

    return sorted(checkpoints, key=key)


def list_folder(host: Host, folder: str, label: str | None) -> list[Checkpoint]:
    """The checkpoints of ``folder`` on ``host`` (``ls -la FOLDER`` and ``cat NAME.json`` of
    each; links are not followed). Their locations read ``LABEL:/path`` (``/path`` with no
    label: this machine). Raises CheckpointListError when the folder cannot be listed."""
    try:
        entries = host.listdir(folder)
    except RemoteFileError as exc:
        raise CheckpointListError(f"Cannot list checkpoints in {_where(label, folder)}: {exc.message}") from exc
    files = {e.name: e for e in entries if e.kind is FileKind.FILE}
    found = []
    for name, entry in files.items():
        if not is_checkpoint_name(name):
            continue
        raw = None
        side = files.get(sidecar_name(name))
        if side is not None and side.size <= MAX_SIDECAR_BYTES:
            try:
                raw = host.read_range(side.path, 0, MAX_SIDECAR_BYTES + 1)
            except RemoteFileError:
                raw = None
        elif side is not None:
            raw = b" " * (MAX_SIDECAR_BYTES + 1)  # reported as too big, never read
        found.append(make_checkpoint(_where(label, entry.path), name, entry.size, entry.mtime, raw))
    return order(found)


def list_s3(
    bucket: str,
    objects: Iterable[S3Object],
    read_object: Callable[[str], bytes | None],
) -> list[Checkpoint]:
    """The checkpoints among ``objects`` (one folder-like page of a prefix), each with its
    sidecar object read through ``read_object(key)`` (None when it cannot be read)."""
    by_key = {o.key: o for o in objects}
    found = []
    for key, obj in by_key.items():
        name = key.rsplit("/", 1)[-1]
        if not is_checkpoint_name(name):
            continue
        side = by_key.get(sidecar_name(key))
        raw = None
        if side is not None:
            raw = read_object(side.key) if side.size <= MAX_SIDECAR_BYTES else b" " * (MAX_SIDECAR_BYTES + 1)
        mtime = obj.modified.timestamp() if obj.modified else None
        found.append(make_checkpoint(f"s3://{bucket}/{key}", name, obj.size, mtime, raw))
    return order(found)


def _where(label: str | None, path: str) -> str:
    return f"{label}:{path}" if label else path


# --- local copies ----------------------------------------------------------------------------------


def cache_path(cache_root: str, location: Location, version: str) -> str:
    """Where the local copy of the checkpoint at ``location`` goes:
    ``CACHE/s3/BUCKET/KEY…`` or ``CACHE/hosts/HOST/PATH…``, with a ``version`` folder before the
    file name (a newer save of ``last.pt`` gets a folder of its own and nothing is replaced).
    Every segment passes the containment rule. Raises CheckpointListError for a name it refuses."""
    if location.kind == LocationKind.S3:
        parts = ["s3", str(location.bucket), location.path]
    elif location.kind == LocationKind.HOST:
        path = location.path
        path = "home/" + path[2:] if path.startswith("~/") else path.lstrip("/")
        parts = ["hosts", str(location.host), path]
    else:
        raise CheckpointListError(f"{location} is on this machine already: nothing to fetch.")
    try:
        segments = [segment for part in parts for segment in name_parts(part)]
        return contained_path(cache_root, posixpath.join(*segments[:-1], f"v-{version}", segments[-1]))
    except UnsafeName as exc:
        raise CheckpointListError(f"Refusing to fetch {location}: {exc.reason}.") from exc
