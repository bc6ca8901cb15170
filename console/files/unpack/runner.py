"""Unpack many archives in a host folder with bounded parallelism, progress and failures.

The work is done on the host by one ``python3`` command
(``remote_helpers/unpack_archives.py`` shipped inside it, with the containment rule of
``paths.py`` ahead of it) that forks P workers; the console only reads its JSON lines. What
it refuses (entries and links that would lead out of the destination, special files, what
the tar ``data`` filter refuses) comes back as failures of kind ``refused`` with a reason. ``unpack_command`` gives the same command as an argument
list, so the jobs engine can start it inside tmux where it survives a lost connection.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from console.errors import UnpackError
from console.files.count.engine import expand_home
from console.files.remote_helpers import python_command
from console.hosts.base import Host
from console.models import UnpackFailure, UnpackFailureKind, UnpackProgress, UnpackResult


def unpack_command(
    directory: str, *, dest: str | None = None, parallel: int | None = None
) -> list[str]:
    """The argument list that unpacks every archive under ``directory`` on a host.

    Stands for ``find DIR -name '*.zip' -print0 | xargs -0 -I {} -P N unzip -q -o {} -d DEST``
    (and the same for tar, tar.gz, tgz, tar.bz2, tar.xz). ``directory`` and ``dest`` must
    already be absolute or ``~``-relative to the host's real home. Raises UnpackError for a
    parallelism below 1.
    """
    if parallel is not None and parallel < 1:
        raise UnpackError(f"Parallelism must be at least 1, not {parallel}.")
    args: list[str] = []
    if dest:
        args += ["--dest", dest]
    if parallel:
        args += ["-P", str(parallel)]
    return python_command("unpack_archives", *args, "--", directory)


def unpack_on_host(
    host: Host,
    directory: str,
    *,
    dest: str | None = None,
    parallel: int | None = None,
    on_progress: Callable[[UnpackProgress], None] | None = None,
    on_failure: Callable[[UnpackFailure], None] | None = None,
    cancel: threading.Event | None = None,
) -> UnpackResult:
    """Unpack every archive under ``directory`` on ``host`` into ``dest`` (default: itself).

    ``parallel`` defaults to the host's cores. A corrupt archive or a refused entry is in
    ``result.failures`` (and passed to ``on_failure`` as it happens); it does not stop the
    others. Raises UnpackError when the folder does not exist, the destination cannot be
    created, or the command ends without a result (cancelled or killed).
    """
    root = expand_home(host, directory)
    target = expand_home(host, dest) if dest else None
    reader = _UnpackReader(on_progress, on_failure)
    stream = host.stream(unpack_command(root, dest=target, parallel=parallel), cancel=cancel)
    with stream:
        for chunk in stream:
            reader.feed(chunk)
        exit_code = stream.exit_code  # read before closing (closing may forget it)
    if reader.error is not None:
        raise UnpackError(f"Cannot unpack {host.name}:{directory}: {reader.error}.")
    if reader.result is None:
        if cancel is not None and cancel.is_set():
            raise UnpackError(f"The unpack of {host.name}:{directory} was cancelled.")
        raise UnpackError(
            f"The unpack of {host.name}:{directory} ended without a result "
            f"(exit status {exit_code})."
        )
    return reader.finish()


def read_unpack_output(
    output: bytes,
) -> tuple[UnpackProgress | None, tuple[UnpackFailure, ...], UnpackResult | None]:
    """What an unpack started as a job has printed so far (its ``output.log``).

    Returns the last progress, the failures so far, and the result once it has finished
    (None before). A last line still being written is ignored.
    """
    progress: list[UnpackProgress] = []
    reader = _UnpackReader(progress.append, None)
    reader.feed(output)
    result = reader.finish() if reader.result is not None else None
    return (progress[-1] if progress else None), tuple(reader.failures), result


class _UnpackReader:
    def __init__(self, on_progress, on_failure):
        self.on_progress = on_progress
        self.on_failure = on_failure
        self.failures: list[UnpackFailure] = []
        self.result: dict | None = None
        self.error: str | None = None
        self._buffer = b""

    def feed(self, chunk: bytes) -> None:
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for raw in lines:
            if raw.strip():
                self._line(json.loads(raw))

    def _line(self, line: dict) -> None:
        event = line.get("event")
        if event == "progress" and self.on_progress is not None:
            self.on_progress(_progress(line))
        elif event == "failure":
            failure = UnpackFailure(
                archive=line["archive"],
                kind=UnpackFailureKind(line["kind"]),
                reason=line["reason"],
                entry=line.get("entry"),
            )
            self.failures.append(failure)
            if self.on_failure is not None:
                self.on_failure(failure)
        elif event == "result":
            self.result = line
        elif event == "error":
            self.error = line.get("message", "unknown error")

    def finish(self) -> UnpackResult:
        line = self.result or {}
        return UnpackResult(
            directory=line["directory"],
            destination=line["destination"],
            parallel=line["parallel"],
            archives_total=line["archives_total"],
            archives_ok=line["archives_ok"],
            files_written=line["files_written"],
            written_bytes=line["written_bytes"],
            failures=tuple(self.failures),
            workers_used=line["workers_used"],
            seconds=line["seconds"],
        )


def _progress(line: dict) -> UnpackProgress:
    return UnpackProgress(
        archives_done=line["archives_done"],
        archives_total=line["archives_total"],
        bytes_done=line["bytes_done"],
        bytes_total=line["bytes_total"],
        files_written=line["files_written"],
        written_bytes=line["written_bytes"],
        failed=line["failed"],
    )
