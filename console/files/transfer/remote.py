"""The small program a transfer runs on the far side of an ssh stream (``python3 -c …``).

It is passed as one argument and its inputs as further arguments, so no path is ever pasted
into the script or a shell line. Modes:

- ``read PATH OFFSET LENGTH``: send bytes OFFSET…OFFSET+LENGTH of PATH to stdout, then
  their SHA-256 on stderr (``awsc-sha256 HEX``);
- ``create PATH``: create PATH (0600, empty) unless it exists; never truncated, never
  through a link;
- ``write PATH OFFSET [existing]``: write stdin into PATH from OFFSET (created 0600 if missing,
  or refused with ENOENT when ``existing`` is given; never truncated, never through a link),
  printing ``ack N`` after every MiB that reached the file (after a dropped
  connection the sender resumes from the last acknowledged byte), and at the end the
  SHA-256 of what it wrote (``sha256 HEX``);
- ``hashranges PATH START:LENGTH…``: the SHA-256 of each span, one per line (the spans a
  dropped stream left unchecked);
- ``finish TEMP FINAL MODE SIZE SHA256``: check the size and SHA-256 of TEMP, then chmod
  and rename it over FINAL (``SHA256`` may be ``-`` to skip the hash);
- ``hash PATH``: print the SHA-256 and size of PATH.

Errors are printed as ``error ERRNO TEXT`` with exit status 3, so the sender can tell a full
disk (ENOSPC) from a dropped connection (ssh exits 255).
"""

from __future__ import annotations

import errno as errno_module
import threading

from console.errors import RemoteFileError
from console.files.remote_helpers import ISOLATED
from console.files.transfer.errors import DiskFullError
from console.files.transfer.retry import HELPER_CALL
from console.hosts.base import Host

REMOTE_HELPER = r"""
import hashlib, os, sys
def fail(exc):
    sys.stdout.write("error %s %s\n" % (getattr(exc, "errno", 0) or 0, exc))
    sys.stdout.flush()
    sys.exit(3)
def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
def big_pipe(fd):
    # a 1 MiB pipe instead of 64 KiB: 16x fewer wake-ups between sshd and this process
    try:
        import fcntl
        fcntl.fcntl(fd, 1031, 1 << 20)  # F_SETPIPE_SZ
    except (ImportError, OSError):
        pass
mode = sys.argv[1]
try:
    if mode == "read":
        path, offset, length = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        fd = os.open(path, os.O_RDONLY)
        h = hashlib.sha256()
        out = sys.stdout.buffer.raw
        big_pipe(1)
        left = length
        while left:
            block = os.pread(fd, min(left, 1 << 20), offset)
            if not block:
                raise OSError(5, "%s ended early at byte %d" % (path, offset))
            h.update(block)
            view = memoryview(block)
            while view:
                view = view[out.write(view):]
            offset += len(block)
            left -= len(block)
        sys.stderr.write("awsc-sha256 %s\n" % h.hexdigest())
    elif mode == "create":
        # never through a link planted under the (predictable) partial name
        os.close(os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600))
    elif mode == "write":
        path, offset = sys.argv[2], int(sys.argv[3])
        # "existing": a stream that starts after its copy was cancelled and the partial file
        # removed must not create it again
        create = 0 if sys.argv[4:] == ["existing"] else os.O_CREAT
        fd = os.open(path, os.O_WRONLY | create | getattr(os, "O_NOFOLLOW", 0), 0o600)
        h = hashlib.sha256()
        done = acked = 0
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        stdin = sys.stdin.buffer.raw
        big_pipe(0)
        while True:
            n = stdin.readinto(buf)
            if not n:
                break
            h.update(view[:n])
            written = 0
            while written < n:
                written += os.pwrite(fd, view[written:n], offset + done + written)
            done += n
            if done - acked >= (1 << 20):
                acked = done
                sys.stdout.write("ack %d\n" % done)
                sys.stdout.flush()
        os.close(fd)
        sys.stdout.write("ack %d\nsha256 %s\ndone\n" % (done, h.hexdigest()))
    elif mode == "hashranges":
        fd = os.open(sys.argv[2], os.O_RDONLY)
        for span in sys.argv[3:]:
            start, length = (int(x) for x in span.split(":"))
            h = hashlib.sha256()
            while length:
                block = os.pread(fd, min(length, 1 << 20), start)
                if not block:
                    break
                h.update(block)
                start += len(block)
                length -= len(block)
            sys.stdout.write(h.hexdigest() + "\n")
    elif mode == "finish":
        temp, final, perm, size, expected = sys.argv[2:7]
        actual_size = os.stat(temp).st_size
        if actual_size != int(size):
            sys.stdout.write("mismatch size %d\n" % actual_size)
            sys.exit(4)
        if expected != "-":
            actual = digest(temp)
            if actual != expected:
                sys.stdout.write("mismatch sha256 %s\n" % actual)
                sys.exit(4)
        os.chmod(temp, int(perm, 8))
        os.replace(temp, final)
        sys.stdout.write("ok\n")
    elif mode == "hash":
        path = sys.argv[2]
        sys.stdout.write("%s %d\n" % (digest(path), os.stat(path).st_size))
    else:
        raise OSError(22, "unknown mode %s" % mode)
except OSError as exc:
    fail(exc)
"""


def helper_argv(python: str, mode: str, *args: object) -> list[str]:
    """``python3 -I -S -c HELPER MODE ARGS…`` as an argument list (standard library only:
    no ``site`` scan at every start, nothing from the remote folder on ``sys.path``)."""
    return [python, *ISOLATED, "-c", REMOTE_HELPER, mode, *(str(arg) for arg in args)]


def remote_call(
    host: Host,
    python: str,
    mode: str,
    *args: object,
    timeout: float = 600,
    cancel: threading.Event | None = None,
) -> str:
    """The helper's output for ``MODE ARGS…``, run through the host's pooled connection
    (tried again after a dropped connection, as HELPER_CALL says; ``cancel`` ends the waits).

    Stands for ``ssh HOST python3 -c HELPER MODE ARGS…``. Raises RemoteFileError with the
    helper's message, DiskFullError for ENOSPC, HostUnreachableError when the host stays
    away, TransferCancelled.
    """
    argv = helper_argv(python, mode, *args)
    result = HELPER_CALL.call(lambda: host.run(argv, timeout=timeout), cancel=cancel)
    output = result.stdout.decode("utf-8", "replace").strip()
    if result.exit_code == 0:
        return output
    if output.startswith(f"error {errno_module.ENOSPC} "):
        raise DiskFullError(f"The disk of {host.name} is full: {output[6:]}")
    detail = output or result.stderr.decode("utf-8", "replace").strip()
    raise RemoteFileError(f"{mode} failed on {host.name}: {detail}")
