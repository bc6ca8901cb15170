"""A host <-> S3 copy: ``aws s3 cp`` started on the host as a job, so it survives the console
and the network going away (also for this machine reached as a host: the demo's
sandboxed instances).

From S3, the keys are listed here first and judged by the containment rule on the host: a
refused key is reported and left out with an ``--exclude`` that matches it alone (a key
added after the listing meets the CLI's own parent-folder check). To S3, links on the host
are not followed (``--no-follow-symlinks``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from console.files.paths import UnsafeName, name_parts
from console.files.transfer import s3 as transfer_s3
from console.files.transfer.endpoints import Endpoint, S3Endpoint, refused_on_host
from console.files.transfer.endpoints.base import EntryKind, Refuse
from console.files.transfer.errors import TransferError
from console.files.transfer.plan import basename, check_own_name
from console.hosts.argv import tool_path
from console.hosts.base import Host
from console.models import JobSpec

#: refused keys a host <-> S3 job leaves out with ``--exclude`` (each one is an argument)
MAX_EXCLUDES = 5000


@dataclass(frozen=True)
class JobRunner:
    """What starting a copy on a host takes: ``jobs_for(host)`` a JobManager (None: there
    is none here), ``aws_cli`` the argv prefix of ``aws``, ``python`` the interpreter for
    the containment check."""

    jobs_for: Callable[[Host], Any] | None
    aws_cli: tuple[str, ...]
    python: str


class HostS3Job(ABC):
    """One ``aws s3 cp [--recursive] SRC DST`` job; ``start()`` returns its id, or None
    when there was nothing to copy."""

    def __init__(
        self,
        runner: JobRunner,
        source: Endpoint,
        destination: Endpoint,
        *,
        recursive: bool,
        into: bool,
        refuse: Refuse,
    ):
        self.runner = runner
        self.source = source
        self.destination = destination
        self.recursive = recursive
        self.into = into
        self.refuse = refuse
        self.refused = 0
        #: the JobManager the job was started with (to follow it), once started
        self.manager: Any = None

    def _refuse(self, name: str, reason: str) -> None:
        self.refused += 1
        self.refuse(name, reason)

    def start(self) -> str | None:
        """Start the job on the host. Stands for ``ssh HOST aws s3 cp …`` in tmux. Raises
        TransferError (no job runner, too many refused keys), HostError subclasses."""
        host = self.host
        if self.runner.jobs_for is None:
            raise TransferError("Copies between a host and S3 need the job runner.")
        arguments = self.arguments()  # may find the source is one file: no --recursive
        if arguments is None:
            return None  # every key was refused: nothing to start
        argv = [*self.runner.aws_cli, "s3", "cp"]
        if self.recursive:
            argv.append("--recursive")
        argv += arguments
        path = self.source.path
        name = f"cp {basename(path) or path}"
        self.manager = self.runner.jobs_for(host)
        return self.manager.start(JobSpec(command=tuple(argv), name=name)).id

    @property
    @abstractmethod
    def host(self) -> Host:
        """The host the job runs on."""

    @abstractmethod
    def arguments(self) -> list[str] | None:
        """``SRC DST`` and the options of their direction; None when nothing is left to
        copy (every key was refused)."""


class HostToS3Job(HostS3Job):
    """A host's file or folder to S3, with a SHA-256 checksum per object."""

    destination: S3Endpoint

    @property
    def host(self) -> Host:
        return self.source.job_host

    def arguments(self) -> list[str]:
        argv = [tool_path(self.source.path), self.destination.label()]
        argv += ["--checksum-algorithm", "SHA256"]
        if self.recursive:
            argv.append("--no-follow-symlinks")
        return argv


class S3ToHostJob(HostS3Job):
    """An S3 key or prefix to a host, the keys the host refuses left out."""

    source: S3Endpoint

    @property
    def host(self) -> Host:
        return self.destination.job_host

    def arguments(self) -> list[str] | None:
        argv = [self.source.label(), tool_path(self.destination.path)]
        if self.recursive and self._source_is_one_object():
            # "folder (recursive)" on one object copies that object, as between other
            # sides; the CLI's --recursive would read it as the prefix KEY/ and copy nothing
            self.recursive = False
        if self.recursive:
            excludes = self._keys_refused_on_host()
            if excludes is None:
                return None
            for rel in excludes:
                # one argument, "--exclude=PATTERN": a pattern starting with "-" given
                # apart would be read by the aws CLI as an option of its own
                argv.append(f"--exclude={glob_literal(rel)}")
        elif self.into or self.destination.is_folder(self.destination.path):
            check_own_name(self.source, basename(self.source.path))
        return argv

    def _source_is_one_object(self) -> bool:
        """The source key is an object and no key lies below it as a folder."""
        entry = self.source.stat(self.source.path)
        return entry is not None and entry.kind is EntryKind.FILE and not (
            transfer_s3.list_objects(
                self.source.client, self.source.bucket, self.source.path.rstrip("/") + "/"
            )
        )

    def _keys_refused_on_host(self) -> list[str] | None:
        """The names (relative to the source prefix) to leave out of a recursive copy from
        S3 to a host: the refused ones, each reported, and the folder markers (keys ending
        in ``/``: nothing to write, and the CLI fails on them). None when no file would be
        left to copy."""
        source, destination = self.source, self.destination
        base = source.path.rstrip("/")
        prefix = f"{base}/" if base else ""
        files: list[str] = []
        excluded: list[str] = []
        for key, _size in transfer_s3.list_objects(source.client, source.bucket, prefix):
            rel = key[len(prefix) :]
            if not rel or rel.endswith("/"):
                excluded.append(rel)
                continue
            try:
                name_parts(rel)
            except UnsafeName as exc:
                self._refuse(rel, exc.reason)
                excluded.append(rel)
                continue
            files.append(rel)
        judged = refused_on_host(self.host, self.runner.python, destination.path, files)
        for index, reason in sorted(judged.items()):
            self._refuse(files[index], reason)
            excluded.append(files[index])
        if len(judged) == len(files) and self.refused:
            return None
        if len(excluded) > MAX_EXCLUDES:
            raise TransferError(
                f"{len(excluded)} keys under {source.label()} cannot be written on "
                f"{destination.label()}: too many to leave out of one copy.",
                hint="Copy the prefix to this machine first (the refused keys are reported there).",
            )
        return excluded


def glob_literal(name: str) -> str:
    """A pattern of ``aws s3 cp --exclude`` that matches ``name`` only (fnmatch has no
    escape character: ``*``, ``?`` and ``[`` become one-character classes). A leading ``/``
    is a class too: the CLI joins the pattern to the source folder with ``os.path.join``,
    which would drop the folder for an absolute-looking pattern."""
    escaped = "".join(f"[{char}]" if char in "*?[" else char for char in name)
    return f"[/]{escaped[1:]}" if escaped.startswith("/") else escaped
