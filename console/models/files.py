"""Files on this machine, hosts and S3: counts and comparisons, unpack progress and failures, transfers and the names they refused."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class ExtensionCount:
    """Regular files with one extension (lower-cased, ``""`` for none) and their bytes
    (0 when sizes were not measured: the count's ``bytes`` is then None)."""

    extension: str
    files: int
    bytes: int


@dataclass(frozen=True, slots=True)
class CountProgress:
    """A partial count while a big tree is still being walked."""

    location: str
    files: int
    dirs: int
    symlinks: int
    other: int
    bytes: int


@dataclass(frozen=True, slots=True)
class FileCount:
    """What lies under a path of this machine, a host or an S3 prefix (the root not counted).

    ``bytes`` sums regular files only and is None when it was not measured; ``paths`` holds
    the files' paths relative to the root (``/``-separated) when they were asked for.
    """

    location: str
    files: int
    dirs: int
    symlinks: int
    other: int
    bytes: int | None
    recursive: bool
    by_extension: tuple[ExtensionCount, ...] = ()
    paths: frozenset[str] | None = None
    error_count: int = 0
    errors: tuple[str, ...] = ()
    #: how it was counted: "scandir" (python on the host), "find" (no python there), "s3"
    method: str = "scandir"
    cancelled: bool = False

    @property
    def entries(self) -> int:
        return self.files + self.dirs + self.symlinks + self.other


#: the comparison row of folders a top-level compare adds (no file extension holds a "/")
FOLDERS_ROW = "/"


@dataclass(frozen=True, slots=True)
class ExtensionComparison:
    """One extension across the compared locations; index 0 is the reference."""

    extension: str
    files: tuple[int, ...]
    #: per location: files of the reference this location lacks (0 for the reference)
    missing: tuple[int, ...]
    #: per location: files this location has beyond the reference
    extra: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CountComparison:
    """Two or three counts side by side: did everything arrive?

    With ``by_path`` the missing/extra figures come from the sets of relative paths (and
    ``missing_paths``/``extra_paths`` list them per location); otherwise from counts.
    """

    counts: tuple[FileCount, ...]
    by_extension: tuple[ExtensionComparison, ...]
    by_path: bool
    missing_paths: tuple[tuple[str, ...], ...] = ()
    extra_paths: tuple[tuple[str, ...], ...] = ()

    @property
    def matches(self) -> bool:
        return all(not any(row.missing) and not any(row.extra) for row in self.by_extension)


class UnpackFailureKind(StrEnum):
    CORRUPT = "corrupt"  # the archive cannot be read: the others go on
    REFUSED = "refused"  # one entry would land outside the destination: skipped
    UNSUPPORTED = "unsupported"  # a device node, fifo or other entry not extracted
    ERROR = "error"  # writing failed (disk full, permission)


@dataclass(frozen=True, slots=True)
class UnpackFailure:
    archive: str
    kind: UnpackFailureKind
    reason: str
    #: the entry inside the archive, for refusals and unsupported entries
    entry: str | None = None


@dataclass(frozen=True, slots=True)
class UnpackProgress:
    archives_done: int
    archives_total: int
    #: archive bytes processed so far (the total is the sum of the archives' sizes)
    bytes_done: int
    bytes_total: int
    files_written: int
    written_bytes: int
    failed: int


@dataclass(frozen=True, slots=True)
class UnpackResult:
    directory: str
    destination: str
    parallel: int
    archives_total: int
    archives_ok: int
    files_written: int
    written_bytes: int
    failures: tuple[UnpackFailure, ...]
    #: distinct worker processes that extracted archives (never more than ``parallel``)
    workers_used: int
    seconds: float


class TransferState(StrEnum):
    """Where a transfer stands: the one status model of the queue, the bucket browser and
    ``awsconsole cp``.

    A transfer is *active* while queued, running or paused, and *finished* once done,
    skipped, failed or cancelled. A copy between a host and S3 runs as a job on the host and
    stays running until that job ends: its exit status makes it done or failed.

    A copy whose folder held names the containment rule refused is **done**, with the
    refused names counted beside the state ("done, 2 refused"): everything that could be
    written was written and verified, and each refused name is listed with its reason. It is
    never failed (nothing went wrong with what was copied) and never plain done (the words
    always name the refusals; ``awsconsole cp`` exits 1).
    """

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    SKIPPED = "skipped"  # an identical file was already there (policy "skip")
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        return self in (TransferState.QUEUED, TransferState.RUNNING, TransferState.PAUSED)

    @property
    def finished(self) -> bool:
        return not self.active


@dataclass(frozen=True, slots=True)
class TransferProgress:
    """Where one transfer stands; ``rate`` in bytes/s over the last seconds, ``eta`` in s."""

    transfer_id: int
    source: str
    destination: str
    state: TransferState
    bytes_done: int
    bytes_total: int
    files_done: int
    files_total: int
    rate: float = 0.0
    eta: float | None = None
    #: the file being copied now (relative to the source folder for a folder transfer)
    current: str = ""
    #: connections that dropped and were re-opened, resuming where they stopped
    resumes: int = 0
    #: bytes an earlier, interrupted run had already copied (counted in ``bytes_done``,
    #: not sent again)
    bytes_resumed: int = 0
    #: names from the source refused so far (see ``RefusedName``)
    refused: int = 0
    #: why it failed or was cancelled (one line; empty otherwise)
    reason: str = ""
    #: a host <-> S3 copy runs as a job on the host: its id, and the host it runs on
    job_id: str | None = None
    job_host: str = ""


@dataclass(frozen=True, slots=True)
class TransferTotals:
    """Transfers counted apart by state, with the bytes and files of all of them.

    ``done`` includes the transfers skipped as identical; ``with_refused`` counts the done
    ones that refused names (``refused`` is the number of names).
    """

    queued: int = 0
    running: int = 0
    paused: int = 0
    done: int = 0
    failed: int = 0
    cancelled: int = 0
    with_refused: int = 0
    refused: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    files_done: int = 0
    files_total: int = 0
    #: bytes/s of the running transfers together, and the seconds left at that rate
    rate: float = 0.0
    eta: float | None = None

    @property
    def count(self) -> int:
        return self.queued + self.running + self.paused + self.done + self.failed + self.cancelled

    @property
    def active(self) -> int:
        return self.queued + self.running + self.paused

    @classmethod
    def of(cls, items: Iterable[TransferProgress]) -> TransferTotals:
        """The totals of ``items`` (each transfer's latest progress)."""
        states = Counter[TransferState]()
        with_refused = refused = bytes_done = bytes_total = files_done = files_total = 0
        rate = 0.0
        for item in items:
            states[item.state] += 1
            bytes_done += item.bytes_done
            bytes_total += item.bytes_total
            files_done += item.files_done
            files_total += item.files_total
            refused += item.refused
            if item.refused and item.state in (TransferState.DONE, TransferState.SKIPPED):
                with_refused += 1
            if item.state is TransferState.RUNNING:
                rate += item.rate
        left = max(0, bytes_total - bytes_done)
        return cls(
            queued=states[TransferState.QUEUED],
            running=states[TransferState.RUNNING],
            paused=states[TransferState.PAUSED],
            done=states[TransferState.DONE] + states[TransferState.SKIPPED],
            failed=states[TransferState.FAILED],
            cancelled=states[TransferState.CANCELLED],
            with_refused=with_refused,
            refused=refused,
            bytes_done=bytes_done,
            bytes_total=bytes_total,
            files_done=files_done,
            files_total=files_total,
            rate=rate,
            eta=left / rate if rate > 0 else None,
        )


@dataclass(frozen=True, slots=True)
class RefusedName:
    """A name from outside (an S3 key, a host's listing) that a copy did not write, and why.

    ``name`` is the name as the source gave it, relative to the copied folder (bytes that
    were not UTF-8 kept as surrogate escapes); ``reason`` is the containment rule's words
    (``console.files.paths``): "a '..' segment leads outside the destination", ...
    """

    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class TransferResult:
    """What a finished transfer did; ``files`` lists every file copied, skipped or renamed."""

    transfer_id: int
    source: str
    destination: str
    state: TransferState
    bytes_total: int
    files_copied: int
    files_skipped: int
    seconds: float
    resumes: int = 0
    #: how each file was checked: "sha256", "s3-sha256", "s3-etag-md5", "size"
    verified: str = ""
    #: final paths written (keep-both may have given a file a suffix)
    written: tuple[str, ...] = ()
    error: str | None = None
    #: a host <-> S3 copy runs as a job on the host: its id, and that host
    job_id: str | None = None
    job_host: str = ""
    #: bytes found already copied by an earlier, interrupted run (not sent again)
    bytes_resumed: int = 0
    #: names skipped because writing them would leave the destination (the rest was copied)
    refused: tuple[RefusedName, ...] = ()

    def final_progress(self) -> TransferProgress:
        """The transfer's last progress, as a finished row shows it (files and bytes of
        what it copied or skipped; the reason is the error's first line)."""
        files = self.files_copied + self.files_skipped
        return TransferProgress(
            transfer_id=self.transfer_id,
            source=self.source,
            destination=self.destination,
            state=self.state,
            bytes_done=self.bytes_total if self.error is None else 0,
            bytes_total=self.bytes_total,
            files_done=files,
            files_total=files,
            resumes=self.resumes,
            bytes_resumed=self.bytes_resumed,
            refused=len(self.refused),
            reason=(self.error or "").strip().split("\n")[0],
            job_id=self.job_id,
            job_host=self.job_host,
        )


@dataclass(frozen=True)
class CountOptions:
    #: descend into subdirectories (symlinks are counted, never followed)
    recursive: bool = False
    #: break regular files down by extension
    by_ext: bool = False
    #: stat every file for its size; off, a flat directory of a million names is counted
    #: from the directory listing alone (no per-file stat), several times faster
    with_bytes: bool = True
    #: collect every file's relative path (for a comparison by path)
    with_paths: bool = False
    #: seconds between progress lines of a long count
    progress_every: float = 0.5


@dataclass(frozen=True, slots=True)
class MountOptions:
    """The s3fs options of the classic recipe; None leaves s3fs's own default."""

    #: local cache folder on the host (``-o use_cache=DIR``)
    cache_dir: str | None = None
    #: let other users than the mounting one see the files (``-o allow_other``)
    allow_other: bool = False
    uid: int | None = None
    gid: int | None = None
    #: permission mask of the mounted files, octal text such as "0022" (``-o mp_umask=``)
    umask: str | None = None
    #: parallel requests when listing (``-o multireq_max=``)
    multireq_max: int | None = None
    #: an S3-compatible endpoint: ``-o url=URL -o use_path_request_style``
    endpoint_url: str | None = None
    read_only: bool = False


#: the file-system type /proc/mounts shows for an s3fs mount
S3FS_TYPE = "fuse.s3fs"


@dataclass(frozen=True, slots=True)
class MountEntry:
    """One S3 mount on a host, as /proc/mounts lists it."""

    #: the device field: "s3fs" for s3fs, "mountpoint-s3" for mount-s3
    source: str
    mountpoint: str
    fstype: str
    options: tuple[str, ...]
    #: ``s3://bucket[/prefix]`` when this console made the mount (s3fs shows only "s3fs")
    url: str | None = None

    @property
    def tool(self) -> str:
        return "s3fs" if self.fstype == S3FS_TYPE else "mount-s3"


@dataclass(frozen=True, slots=True)
class MountTools:
    """What a host offers for S3 mounts: the two FUSE clients and the FUSE device."""

    s3fs: bool
    mount_s3: bool
    fuse: bool
    #: the device looked for (``/dev/fuse``)
    fuse_device: str = "/dev/fuse"

    @property
    def client(self) -> bool:
        return self.s3fs or self.mount_s3


class Policy(StrEnum):
    """What happens to a file that already exists: ``skip`` (an identical one is skipped, a
    different one is an error: nothing is overwritten), ``overwrite``, or ``keep-both``
    (the new copy gets a `` (1)`` suffix)."""

    SKIP = "skip"
    OVERWRITE = "overwrite"
    KEEP_BOTH = "keep-both"


@dataclass(frozen=True)
class TransferSpec:
    source: str
    destination: str
    recursive: bool = False
    policy: Policy = Policy.SKIP
    #: ssh streams per big file (None: chosen from the file's size and the host's round
    #: trip, see console.files.transfer.ssh_streams)
    streams: int | None = None
