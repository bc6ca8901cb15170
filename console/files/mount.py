"""S3 buckets mounted as folders on a host: s3fs (or mount-s3), listed and unmounted.

Stands for the classic recipe::

    echo KEY:SECRET > ~/.passwd-s3fs && chmod 600 ~/.passwd-s3fs
    s3fs BUCKET MOUNTPOINT -o passwd_file=~/.passwd-s3fs -o use_cache=/tmp/s3fs \\
         -o allow_other -o uid=1000 -o gid=1000 -o mp_umask=002 -o multireq_max=5

Credentials never appear on a command line (where ``ps`` would show them): s3fs reads them
from a 0600 file written with ``Host.write`` and removed once the mount has started (s3fs
reads it only at start-up); mount-s3 reads them from a 0600 shared-credentials file kept
while it is mounted. Both files live in a 0700 folder under ``~/.cache``. A session token
reaches s3fs as ``AWSSESSIONTOKEN`` in its environment (over SSH that passes through an
``env`` argument list for an instant). Every command is an argument list and works the same
on ``LocalHost`` and over SSH.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import posixpath
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from console.errors import (
    FuseUnavailableError,
    HostError,
    MountError,
    MountpointError,
    MountToolMissingError,
)
from console.hosts.argv import tool_path
from console.hosts.base import Host
from console.models import S3FS_TYPE, FileKind, MountEntry, MountOptions, MountTools
from console.models.location import MOUNTABLE_BUCKET, parse_s3_url

#: the filesystem types /proc/mounts gives the two FUSE clients
MOUNT_S3_TYPE = "fuse.mountpoint-s3"
S3_MOUNT_TYPES = frozenset({S3FS_TYPE, MOUNT_S3_TYPE})

#: where the short-lived password file and the s3fs log live on the host
STATE_DIR = "~/.cache/awsconsole/mounts"
#: how long a fresh mount may take to appear in /proc/mounts and answer a listing
MOUNT_WAIT_SECONDS = 30.0
LOG_TAIL_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __repr__(self) -> str:  # keep secrets out of tracebacks and logs
        return f"Credentials(access_key_id={self.access_key_id!r}, secret=***)"


# --- list -------------------------------------------------------------------------------


def _unescape(field: str) -> str:
    r"""/proc/mounts writes space, tab, newline and backslash as octal (``\040``)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_proc_mounts(text: str) -> list[MountEntry]:
    """The S3 mounts (s3fs, mount-s3) among the lines of /proc/mounts."""
    found = []
    for line in text.splitlines():
        fields = line.split(" ")
        if len(fields) < 4 or fields[2] not in S3_MOUNT_TYPES:
            continue
        found.append(
            MountEntry(
                source=_unescape(fields[0]),
                mountpoint=_unescape(fields[1]),
                fstype=fields[2],
                options=tuple(fields[3].split(",")),
            )
        )
    return found


def list_mounts(host: Host) -> list[MountEntry]:
    """The S3 mounts of ``host`` (``grep -E 'fuse.(s3fs|mountpoint-s3)' /proc/mounts``).

    Raises HostError subclasses when the host cannot be reached, MountError when it has no
    /proc/mounts.
    """
    # `cat`, not a file read: /proc files say their size is 0, and a read over SFTP that
    # trusts the size gets nothing
    result = host.run(["cat", "/proc/mounts"], timeout=30)
    if not result.ok:
        raise MountError(f"Cannot read /proc/mounts on {host.name}: {_tail(result.stderr)}")
    # surrogateescape: a mountpoint whose name is not UTF-8 still reads back as itself
    entries = parse_proc_mounts(result.stdout.decode("utf-8", "surrogateescape"))
    return [replace(entry, url=_recorded_url(host, entry.mountpoint)) for entry in entries]


def _state_path(host: Host, mountpoint: str, suffix: str) -> str:
    """Per-mountpoint files (record, log, password) under STATE_DIR on the host."""
    digest = hashlib.sha256(mountpoint.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return _absolute(host, f"{STATE_DIR}/{digest}{suffix}")


def _recorded_url(host: Host, mountpoint: str) -> str | None:
    try:
        record = json.loads(host.read_range(_state_path(host, mountpoint, ".json")))
    except (HostError, ValueError):
        return None
    return record.get("url") if record.get("mountpoint") == mountpoint else None


def _record(host: Host, mountpoint: str, url: str) -> None:
    record = json.dumps({"mountpoint": mountpoint, "url": url}).encode()
    host.write(_state_path(host, mountpoint, ".json"), record)


def _forget(host: Host, mountpoint: str) -> None:
    for suffix in (".json", ".log", ".credentials"):
        with contextlib.suppress(HostError):
            host.remove(_state_path(host, mountpoint, suffix))


def _mounted_at(host: Host, mountpoint: str) -> MountEntry | None:
    for entry in list_mounts(host):
        if entry.mountpoint == mountpoint:
            return entry
    return None


# --- mount ------------------------------------------------------------------------------


def s3fs_argv(
    bucket: str,
    prefix: str,
    mountpoint: str,
    options: MountOptions,
    *,
    passwd_file: str,
    log_file: str | None = None,
    binary: str = "s3fs",
) -> list[str]:
    """The s3fs command line (no secrets on it: they are in ``passwd_file``).

    The bucket starts with a letter or digit (``parse_s3_url``) and the mountpoint is
    absolute, so neither reads as an option. s3fs splits ``-o`` values at commas: a value
    holding one would add an option of its choosing, and is refused (MountError).
    """
    _check_bucket(bucket)
    source = f"{bucket}:/{prefix}" if prefix else bucket
    opts = [f"passwd_file={passwd_file}"]
    if options.cache_dir:
        opts.append(f"use_cache={options.cache_dir}")
    if options.allow_other:
        opts.append("allow_other")
    if options.uid is not None:
        opts.append(f"uid={options.uid}")
    if options.gid is not None:
        opts.append(f"gid={options.gid}")
    if options.umask is not None:
        opts.append(f"mp_umask={options.umask}")
    if options.multireq_max is not None:
        opts.append(f"multireq_max={options.multireq_max}")
    if options.endpoint_url:
        # S3-compatible endpoints (and moto) serve buckets as a path, not a subdomain
        opts += [f"url={options.endpoint_url}", "use_path_request_style"]
    if options.read_only:
        opts.append("ro")
    if log_file:
        # s3fs daemonizes: its own errors (bad bucket, endpoint down) only reach this log
        opts += ["dbglevel=err", f"logfile={log_file}"]
    argv = [binary, source, tool_path(mountpoint)]
    for opt in opts:
        if "," in opt:
            raise MountError(
                f"s3fs reads its -o options up to a comma: {opt!r} cannot be passed to it.",
                hint="Choose a path (or endpoint) without a comma.",
            )
        argv += ["-o", opt]
    return argv


def _check_bucket(bucket: str) -> None:
    if not MOUNTABLE_BUCKET.fullmatch(bucket):
        raise MountError(f"{bucket!r} is not a bucket name.")


def mount_s3_argv(
    bucket: str, prefix: str, mountpoint: str, options: MountOptions, *, binary: str = "mount-s3"
) -> list[str]:
    """The mount-s3 command line (credentials come through its environment). Values are
    joined to their option (``--prefix=VALUE``): a prefix that starts with ``-`` stays a
    value."""
    _check_bucket(bucket)
    argv = [binary, bucket, tool_path(mountpoint)]
    if prefix:
        argv.append(f"--prefix={prefix}/")
    if options.cache_dir:
        argv.append(f"--cache={options.cache_dir}")
    if options.allow_other:
        argv.append("--allow-other")
    if options.uid is not None:
        argv += ["--uid", str(options.uid)]
    if options.gid is not None:
        argv += ["--gid", str(options.gid)]
    if options.endpoint_url:
        argv += [f"--endpoint-url={options.endpoint_url}", "--force-path-style"]
    if options.read_only:
        argv.append("--read-only")
    else:
        argv += ["--allow-overwrite", "--allow-delete"]
    return argv


def _installed(host: Host, binary: str) -> bool:
    # exit 127: the host found no such command
    return host.run([binary, "--version"], timeout=30).exit_code != 127


def check_fuse(host: Host) -> None:
    """``test -c /dev/fuse``. Raises FuseUnavailableError."""
    if not host.run(["test", "-c", "/dev/fuse"], timeout=30).ok:
        raise FuseUnavailableError(
            f"FUSE is unavailable on {host.name}: there is no /dev/fuse.",
            hint="Load the module (`modprobe fuse`) or, in a container, start it with "
            "`--device /dev/fuse --cap-add SYS_ADMIN`.",
        )


def _check_mountpoint(host: Host, mountpoint: str) -> None:
    try:
        entry = host.stat(mountpoint)
    except HostError as exc:
        raise MountpointError(
            f"The mountpoint {mountpoint} does not exist on {host.name}.",
            hint="Create it first (`mkdir -p`), or pass --mkdir.",
        ) from exc
    if entry.kind is not FileKind.DIRECTORY:
        raise MountpointError(f"The mountpoint {mountpoint} on {host.name} is not a folder.")
    if _mounted_at(host, mountpoint) is not None:
        raise MountpointError(f"{mountpoint} on {host.name} is already an S3 mount.")
    if host.listdir(mountpoint):
        raise MountpointError(
            f"The mountpoint {mountpoint} on {host.name} is not empty: its files would be "
            "hidden under the mount. Pick an empty folder."
        )


def mount(
    host: Host,
    s3_url: str,
    mountpoint: str,
    credentials: Credentials,
    options: MountOptions | None = None,
    *,
    prefer_mount_s3: bool = False,
    s3fs_binary: str = "s3fs",
    mount_s3_binary: str = "mount-s3",
    make_mountpoint: bool = False,
    wait_seconds: float = MOUNT_WAIT_SECONDS,
) -> MountEntry:
    """Mount ``s3://bucket[/prefix]`` at ``mountpoint`` on ``host`` and return the mount.

    Stands for ``s3fs BUCKET[:/PREFIX] MOUNTPOINT -o passwd_file=… -o use_cache=… …``, or
    ``mount-s3 BUCKET MOUNTPOINT …`` when ``prefer_mount_s3`` and it is installed (also when
    s3fs is not). Raises MountToolMissingError (with the install command),
    FuseUnavailableError, MountpointError (missing, not empty, already mounted) and
    MountError with the tail of the client's error output when the mount does not come up.
    """
    options = options or MountOptions()
    bucket, prefix = parse_s3_url(s3_url)
    if mountpoint == "~" or mountpoint.startswith("~/"):  # the home of the host, not ours
        mountpoint = host.expand(mountpoint)
    mountpoint = posixpath.normpath(mountpoint)
    if not mountpoint.startswith("/"):
        raise MountpointError(f"The mountpoint {mountpoint!r} must be an absolute path.")
    has_s3fs = _installed(host, s3fs_binary)
    use_mount_s3 = (prefer_mount_s3 or not has_s3fs) and _installed(host, mount_s3_binary)
    if not has_s3fs and not use_mount_s3:
        raise MountToolMissingError(
            f"s3fs is not installed on {host.name} ({s3fs_binary} not found).",
            hint="Install it with `sudo apt-get install s3fs` (Debian/Ubuntu) or "
            "`sudo yum install s3fs-fuse` (Amazon Linux); or install mount-s3.",
        )
    check_fuse(host)
    if make_mountpoint:
        host.makedirs(mountpoint)
    _check_mountpoint(host, mountpoint)
    if use_mount_s3:
        _start_mount_s3(host, bucket, prefix, mountpoint, credentials, options, mount_s3_binary)
        try:
            entry = _wait_for_mount(host, mountpoint, wait_seconds, log_file=None, stderr=b"")
        except MountError:
            _forget(host, mountpoint)  # its credentials file too
            raise
    else:
        entry = _start_s3fs(
            host, bucket, prefix, mountpoint, credentials, options, s3fs_binary, wait_seconds
        )
    url = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
    _record(host, mountpoint, url)
    return replace(entry, url=url)


def _prepare_state_dir(host: Host) -> None:
    """``mkdir -p STATE_DIR && chmod 700 STATE_DIR``: secret files are written there under a
    temporary name first, before their 0600 mode is set."""
    host.makedirs(STATE_DIR)
    result = host.run(["chmod", "700", "--", tool_path(_absolute(host, STATE_DIR))], timeout=30)
    if not result.ok:
        raise MountError(f"Cannot protect {STATE_DIR} on {host.name}: {_tail(result.stderr)}")


def _start_s3fs(
    host: Host,
    bucket: str,
    prefix: str,
    mountpoint: str,
    credentials: Credentials,
    options: MountOptions,
    binary: str,
    wait_seconds: float,
) -> MountEntry:
    _prepare_state_dir(host)
    passwd_file = _state_path(host, mountpoint, ".passwd")
    log_file = _state_path(host, mountpoint, ".log")
    with contextlib.suppress(HostError):  # this attempt's errors only
        host.remove(log_file)
    # s3fs refuses a password file others can read: 0600 from the start
    secret = f"{credentials.access_key_id}:{credentials.secret_access_key}\n"
    host.write(passwd_file, secret.encode(), mode=0o600)
    try:
        argv = s3fs_argv(
            bucket, prefix, mountpoint, options,
            passwd_file=passwd_file, log_file=log_file, binary=binary,
        )  # fmt: skip
        env = {"AWSSESSIONTOKEN": credentials.session_token} if credentials.session_token else None
        result = host.run(argv, timeout=wait_seconds + 30, env=env)
        if not result.ok:
            raise MountError(
                f"s3fs could not mount s3://{bucket} at {mountpoint} on {host.name} "
                f"(exit {result.exit_code}): {_tail(result.stderr) or _read_tail(host, log_file)}"
            )
        return _wait_for_mount(host, mountpoint, wait_seconds, log_file, result.stderr)
    finally:
        # s3fs has read the file at start-up: secrets do not stay on the host's disk
        with contextlib.suppress(HostError):
            host.remove(passwd_file)


def _start_mount_s3(
    host: Host,
    bucket: str,
    prefix: str,
    mountpoint: str,
    credentials: Credentials,
    options: MountOptions,
    binary: str,
) -> None:
    # over SSH, variables travel as `env K=V` arguments, which ps shows: the keys go into a
    # 0600 shared-credentials file instead, kept while mounted (the client may re-read it)
    lines = [
        "[default]",
        f"aws_access_key_id = {credentials.access_key_id}",
        f"aws_secret_access_key = {credentials.secret_access_key}",
    ]
    if credentials.session_token:
        lines.append(f"aws_session_token = {credentials.session_token}")
    credentials_file = _state_path(host, mountpoint, ".credentials")
    _prepare_state_dir(host)
    host.write(credentials_file, ("\n".join(lines) + "\n").encode(), mode=0o600)
    env = {"AWS_SHARED_CREDENTIALS_FILE": credentials_file, "AWS_PROFILE": "default"}
    argv = mount_s3_argv(bucket, prefix, mountpoint, options, binary=binary)
    result = host.run(argv, timeout=MOUNT_WAIT_SECONDS + 30, env=env)
    if not result.ok:
        _forget(host, mountpoint)
        raise MountError(
            f"mount-s3 could not mount s3://{bucket} at {mountpoint} on {host.name} "
            f"(exit {result.exit_code}): {_tail(result.stderr)}"
        )


def _wait_for_mount(
    host: Host, mountpoint: str, wait_seconds: float, log_file: str | None, stderr: bytes
) -> MountEntry:
    """The client daemonizes before it has talked to S3: wait for the mount to appear, list
    it once (FUSE answers only after the client's start-up check), and see it still stands."""
    deadline = time.monotonic() + wait_seconds
    while _mounted_at(host, mountpoint) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    listing = host.run(["ls", "-A", "--", tool_path(mountpoint)], timeout=wait_seconds + 30)
    entry = _mounted_at(host, mountpoint)
    if entry is not None and listing.ok:
        return entry
    reason = _tail(stderr) or _tail(listing.stderr)
    if log_file:
        reason = _read_tail(host, log_file) or reason
    if entry is not None:
        _force_unmount(host, mountpoint)
    raise MountError(
        f"The S3 mount at {mountpoint} on {host.name} did not come up: "
        f"{reason or 'no error output'}",
        hint="Check the bucket name, the credentials and the endpoint.",
    )


def _absolute(host: Host, path: str) -> str:
    return host.home() + path[1:] if path.startswith("~/") else path


def _tail(data: bytes) -> str:
    return data.decode("utf-8", "replace").strip()[-LOG_TAIL_CHARS:]


#: s3fs log lines that are not errors (timestamp, then the level in brackets)
_QUIET_LOG_LINE = re.compile(r"^\S+ \[(INF|DBG|WAN)\]")


def _read_tail(host: Host, path: str) -> str:
    """The error lines (and what continues them, such as S3's XML) of an s3fs log."""
    try:
        text = host.read_range(path).decode("utf-8", "replace")
    except HostError:
        return ""
    kept = [line for line in text.splitlines() if not _QUIET_LOG_LINE.match(line)]
    return "\n".join(kept).strip()[-LOG_TAIL_CHARS:]


# --- unmount ----------------------------------------------------------------------------

#: tried in order; a missing one (exit 127) passes to the next
UNMOUNT_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("fusermount3", "-u"),
    ("fusermount", "-u"),
    ("umount",),
)


def unmount(
    host: Host, mountpoint: str, commands: Sequence[Sequence[str]] = UNMOUNT_COMMANDS
) -> None:
    """Unmount the S3 mount at ``mountpoint`` (``fusermount3 -u MOUNTPOINT``, else
    ``fusermount -u``, else ``umount``). Raises MountpointError when nothing S3 is mounted
    there and MountError with the command's error output when it stays mounted (busy)."""
    mountpoint = posixpath.normpath(mountpoint)
    if _mounted_at(host, mountpoint) is None:
        raise MountpointError(f"{mountpoint} on {host.name} is not an S3 mount.")
    errors = []
    for command in commands:
        result = host.run([*command, tool_path(mountpoint)], timeout=60)
        if result.exit_code == 127:
            continue
        if result.ok and _mounted_at(host, mountpoint) is None:
            _forget(host, mountpoint)
            return
        errors.append(f"{command[0]}: {_tail(result.stderr) or f'exit {result.exit_code}'}")
        break
    raise MountError(
        f"Could not unmount {mountpoint} on {host.name}: {'; '.join(errors) or 'no unmount tool'}",
        hint="A process may still use it (`fuser -m MOUNTPOINT` shows which).",
    )


def _force_unmount(host: Host, mountpoint: str) -> None:
    """``fusermount3 -u``, then ``umount -l``: clear a half-started mount."""
    target = tool_path(mountpoint)
    for argv in (["fusermount3", "-u", target], ["umount", "-l", target]):
        if host.run(argv, timeout=60).ok:
            return


def mount_tools(
    host: Host, *, s3fs_binary: str, mount_s3_binary: str, fuse_device: str = "/dev/fuse"
) -> MountTools:
    """Which mount clients ``host`` has (``s3fs --version``, ``mount-s3 --version``: exit 127
    means not installed) and whether it has FUSE (``test -c /dev/fuse``).

    Raises HostError subclasses when the host cannot be reached.
    """

    def installed(binary: str) -> bool:
        return host.run([binary, "--version"], timeout=30).exit_code != 127

    return MountTools(
        s3fs=installed(s3fs_binary),
        mount_s3=installed(mount_s3_binary),
        fuse=host.run(["test", "-c", fuse_device], timeout=30).ok,
        fuse_device=fuse_device,
    )
