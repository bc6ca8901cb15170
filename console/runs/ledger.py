"""The run ledger: every training launch, kept on this machine.

One file, ``runs.jsonl`` under the user's data folder
(``platformdirs.user_data_dir("awsconsole")``, or ``[runs] ledger``): one JSON object per
run per line, the run's latest record (format in ``record_to_json``). The folder is 0700 and
the file 0600: a record holds commands and paths of the user's work.

Every change rewrites the whole file atomically (a temporary file in the same folder,
fsync, rename, fsync of the folder) while holding a lock file (``runs.jsonl.lock``,
``flock``), so two consoles updating runs at once lose neither's update and a crash leaves
the previous or the new file, never half of one. A line that cannot be read (cut short,
edited by hand, written by a newer version) is reported as a ``LedgerProblem`` and kept as
it is on every rewrite: nothing in the file is ever lost by the console.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import math
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import platformdirs

from console.jobs.manager import new_job_id
from console.models import LedgerProblem, RunNode, RunRecord, RunState
from console.runs.errors import LedgerError, RunNotFoundError

LEDGER_NAME = "runs.jsonl"
FORMAT_VERSION = 1
FOLDER_MODE = 0o700
FILE_MODE = 0o600


def default_ledger_path() -> Path:
    return Path(platformdirs.user_data_dir("awsconsole")) / LEDGER_NAME


def new_run_id(name: str, now: dt.datetime | None = None) -> str:
    """``run-20261126-124500-train-3fa2``: sortable, readable, never a job id."""
    return f"run-{new_job_id(name, now)}"


# --- one record as JSON ------------------------------------------------------------------------


def record_to_json(record: RunRecord) -> dict[str, Any]:
    """The record as a plain JSON object (the ledger's line format, ``version`` 1)."""
    return {
        "version": FORMAT_VERSION,
        "id": record.id,
        "name": record.name,
        "started": record.started.isoformat(),
        "command": list(record.command),
        "trainer_args": list(record.trainer_args),
        "gpus": record.gpus,
        "cwd": record.cwd,
        "run_dir": record.run_dir,
        "nodes": [
            {
                "host": node.host,
                "job_id": node.job_id,
                "instance_id": node.instance_id,
                "instance_type": node.instance_type,
                "price_per_hour": node.price_per_hour,
                "price_source": node.price_source,
            }
            for node in record.nodes
        ],
        "state": record.state.value,
        "group": record.group,
        "git_commit": record.git_commit,
        "git_dirty": record.git_dirty,
        "s3_uri": record.s3_uri,
        "config": record.config,
        "exit_code": record.exit_code,
        "ended": record.ended.isoformat() if record.ended else None,
        "final_metrics": _finite(record.final_metrics),
        "best_metrics": _finite(record.best_metrics),
        "epochs_done": record.epochs_done,
        "epochs_total": record.epochs_total,
        "last_step": record.last_step,
        "checkpoint_step": record.checkpoint_step,
        "continues": record.continues,
        "resumed_from": record.resumed_from,
        "metrics_offset": record.metrics_offset,
        "metrics_skipped": record.metrics_skipped,
    }


def _finite(metrics: Mapping[str, Any]) -> dict[str, float | None]:
    return {
        str(k): (float(v) if isinstance(v, int | float) and math.isfinite(v) else None)
        for k, v in metrics.items()
    }


def record_from_json(data: Any) -> RunRecord:
    """A record from one line's object. Raises ValueError saying what is wrong with it."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise ValueError(f"format version {version!r} (this console reads {FORMAT_VERSION})")
    nodes = data.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        raise ValueError("no nodes")
    try:
        state = RunState(data.get("state", "running"))
    except ValueError:
        raise ValueError(f"unknown state {data.get('state')!r}") from None
    return RunRecord(
        id=_text(data, "id", required=True),
        name=_text(data, "name") or "",
        started=_time(data, "started", required=True),  # type: ignore[arg-type]
        command=_texts(data, "command"),
        trainer_args=_texts(data, "trainer_args"),
        gpus=_text(data, "gpus") or "1",
        cwd=_text(data, "cwd") or "~",
        run_dir=_text(data, "run_dir", required=True),
        nodes=tuple(_node(node) for node in nodes),
        state=state,
        group=_text(data, "group"),
        git_commit=_text(data, "git_commit"),
        git_dirty=data.get("git_dirty") if isinstance(data.get("git_dirty"), bool) else None,
        s3_uri=_text(data, "s3_uri"),
        config=data["config"] if isinstance(data.get("config"), dict) else None,
        exit_code=_int(data, "exit_code"),
        ended=_time(data, "ended"),
        final_metrics=_metrics(data, "final_metrics"),
        best_metrics=_metrics(data, "best_metrics"),
        epochs_done=_int(data, "epochs_done"),
        epochs_total=_int(data, "epochs_total"),
        last_step=_int(data, "last_step"),
        checkpoint_step=_int(data, "checkpoint_step"),
        continues=_text(data, "continues"),
        resumed_from=_text(data, "resumed_from"),
        metrics_offset=_int(data, "metrics_offset") or 0,
        metrics_skipped=_int(data, "metrics_skipped") or 0,
    )


def _text(data: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if isinstance(value, str) and (value or not required):
        return value
    if value is None and not required:
        return None
    raise ValueError(f"{key!r} is {'missing' if value is None else 'not a text'}")


def _texts(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key!r} is not a list of texts")
    return tuple(value)


def _int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key!r} is not a whole number")
    return value


def _time(data: Mapping[str, Any], key: str, *, required: bool = False) -> dt.datetime | None:
    text = _text(data, key, required=required)
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{key!r} is not a time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _metrics(data: Mapping[str, Any], key: str) -> dict[str, float | None]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ValueError(f"{key!r} is not an object")
    return {
        str(k): (float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None)
        for k, v in value.items()
    }


def _node(data: Any) -> RunNode:
    if not isinstance(data, dict):
        raise ValueError("a node is not an object")
    price = data.get("price_per_hour")
    return RunNode(
        host=_text(data, "host", required=True),  # type: ignore[arg-type]
        job_id=_text(data, "job_id", required=True),  # type: ignore[arg-type]
        instance_id=_text(data, "instance_id"),
        instance_type=_text(data, "instance_type"),
        price_per_hour=float(price) if isinstance(price, int | float) and not isinstance(price, bool) else None,
        price_source=_text(data, "price_source"),
    )


# --- the file ------------------------------------------------------------------------------------


class _Line:
    """One line of the file: a record, or text kept as it is (with why it is unreadable)."""

    def __init__(self, text: str, record: RunRecord | None, problem: str | None):
        self.text = text
        self.record = record
        self.problem = problem


class Ledger:
    """The runs of this machine, in one JSON-lines file (see the module's docstring)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, private_folder: bool | None = None):
        self.path = Path(path) if path is not None else default_ledger_path()
        #: tighten the folder to 0700 even when it exists: the default folder is the
        #: console's own; a folder the user named is left as they keep it
        self._private_folder = path is None if private_folder is None else private_folder

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    # -- reading --

    def read(self) -> tuple[list[RunRecord], list[LedgerProblem]]:
        """The records in file order and the lines that could not be read.
        No file yet is an empty ledger. Raises LedgerError when the file cannot be read."""
        lines = self._lines()
        records = [line.record for line in lines if line.record is not None]
        problems = [
            LedgerProblem(str(self.path), number, line.problem)
            for number, line in enumerate(lines, start=1)
            if line.problem is not None
        ]
        latest: dict[str, RunRecord] = {}
        for record in records:  # a repeated id: its last line wins
            latest[record.id] = record
        return list(latest.values()), problems

    def get(self, reference: str) -> RunRecord:
        """The run ``reference`` names: its id, a unique id prefix, or a unique name.
        Raises RunNotFoundError (naming the candidates when several match)."""
        records, _ = self.read()
        return match_run(records, reference, str(self.path))

    def _lines(self) -> list[_Line]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise LedgerError(f"Cannot read the run ledger {self.path}: {exc.strerror}.") from exc
        lines = []
        for text in raw.decode("utf-8", "surrogateescape").splitlines():
            if not text.strip():
                continue
            try:
                lines.append(_Line(text, record_from_json(json.loads(text)), None))
            except (ValueError, TypeError, KeyError) as exc:
                reason = "not JSON" if isinstance(exc, json.JSONDecodeError) else str(exc)
                lines.append(_Line(text, None, reason))
        return lines

    # -- changing --

    def add(self, record: RunRecord) -> RunRecord:
        """Append ``record``. Raises LedgerError when the file cannot be written."""
        self._rewrite(lambda lines: [*lines, _Line(_dumps(record), record, None)])
        return record

    def update(self, record: RunRecord) -> RunRecord:
        """Replace the run of ``record.id`` with ``record`` (added when missing)."""
        return self.update_many([record])[0]

    def update_many(self, records: Iterable[RunRecord]) -> list[RunRecord]:
        """Replace several runs in one rewrite of the file."""
        new = {record.id: record for record in records}

        def change(lines: list[_Line]) -> list[_Line]:
            out, placed = [], set()
            for line in lines:
                record = line.record
                if record is None or record.id not in new:
                    out.append(line)
                elif record.id not in placed:
                    placed.add(record.id)
                    out.append(_Line(_dumps(new[record.id]), new[record.id], None))
            out += [_Line(_dumps(r), r, None) for rid, r in new.items() if rid not in placed]
            return out

        self._rewrite(change)
        return list(new.values())

    def modify(self, run_id: str, change: Callable[[RunRecord], RunRecord]) -> RunRecord:
        """Read the run's newest record, apply ``change`` and store it, under the lock (no
        update by another console in between is lost). Raises RunNotFoundError."""
        result: list[RunRecord] = []

        def apply(lines: list[_Line]) -> list[_Line]:
            current = [line.record for line in lines if line.record and line.record.id == run_id]
            if not current:
                raise RunNotFoundError(f"No run {run_id!r} in {self.path}.")
            updated = change(current[-1])
            result.append(updated)
            out, placed = [], False
            for line in lines:
                if line.record is None or line.record.id != run_id:
                    out.append(line)
                elif not placed:
                    placed = True
                    out.append(_Line(_dumps(updated), updated, None))
            return out

        self._rewrite(apply)
        return result[0]

    def _rewrite(self, change: Callable[[list[_Line]], list[_Line]]) -> None:
        self._make_folder()
        with self._locked():
            lines = change(self._lines())
            data = "".join(line.text + "\n" for line in lines).encode("utf-8", "surrogateescape")
            self._write_atomically(data)

    def _make_folder(self) -> None:
        folder = self.path.parent
        try:
            if not folder.is_dir():
                folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
                os.chmod(folder, FOLDER_MODE)  # the umask may have taken bits off, never added
            elif self._private_folder and folder.stat().st_mode & 0o077:
                os.chmod(folder, FOLDER_MODE)
        except OSError as exc:
            raise LedgerError(f"Cannot create the ledger's folder {folder}: {exc.strerror}.") from exc

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
        except OSError as exc:
            raise LedgerError(f"Cannot lock the run ledger {self.path}: {exc.strerror}.") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _write_atomically(self, data: bytes) -> None:
        temp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.chmod(temp, FILE_MODE)
            os.replace(temp, self.path)
            _fsync_folder(self.path.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(temp)
            raise LedgerError(f"Cannot write the run ledger {self.path}: {exc.strerror}.") from exc


def _dumps(record: RunRecord) -> str:
    return json.dumps(record_to_json(record), ensure_ascii=False, sort_keys=True)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # a file system that cannot sync a folder still renamed atomically
    finally:
        os.close(fd)


def match_run(records: Iterable[RunRecord], reference: str, where: str = "the ledger") -> RunRecord:
    """The one run whose id is ``reference``, else whose id starts with it, else whose name
    is it. Raises RunNotFoundError naming the candidates when several match, or none."""
    records = list(records)
    for matches in (
        [r for r in records if r.id == reference],
        [r for r in records if reference and r.id.startswith(reference)],
        [r for r in records if reference and r.name == reference],
    ):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            ids = ", ".join(r.id for r in matches)
            raise RunNotFoundError(f"{reference!r} names several runs: {ids}.",
                                   hint="Name one by its id.")  # fmt: skip
    raise RunNotFoundError(
        f"No run {reference!r} in {where}.", hint="`awsconsole runs` lists the runs."
    )

