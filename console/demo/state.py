"""The demo folder's own files: where the shared endpoint says where it listens.

Everything here is the user's alone: the folder 0700 and owned by the user, the files 0600,
created under a temporary name and renamed into place, never through a link. Instance
sandboxes live beside these files; an instance name never starts with a dot, so no sandbox
can take one of these names. Standard library only: ``awsconsole demo status`` loads nothing
else.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import platformdirs

from console.errors import ConfigError

#: pid and port of the running endpoint (written by the endpoint once it is seeded)
STATE_FILE = ".endpoint.json"
#: held while an endpoint is started or stopped, so two consoles start one
LOCK_FILE = ".endpoint.lock"
#: what the endpoint prints (its start, its errors)
LOG_FILE = ".endpoint.log"
FOLDER_MODE = 0o700
FILE_MODE = 0o600


def default_demo_dir() -> Path:
    return Path(platformdirs.user_cache_dir("awsconsole")) / "demo"


def demo_dir_of(configured: str | None) -> Path:
    """The ``demo_dir`` setting, or the platform's cache dir; absolute, not resolved."""
    path = Path(configured).expanduser() if configured else default_demo_dir()
    return Path(os.path.abspath(path))


def prepare_demo_dir(path: Path) -> Path:
    """Create the demo folder (0700) or check the one there: a folder, not a link, owned by
    this user; a folder others could enter is closed to them. Raises ConfigError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=FOLDER_MODE, exist_ok=True)
        info = os.lstat(path)
    except OSError as exc:
        raise ConfigError(f"Cannot create the demo folder {path}: {exc.strerror}") from exc
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"The demo folder {path} is not a folder (a link or a file).")
    if info.st_uid != os.getuid():
        raise ConfigError(
            f"The demo folder {path} belongs to another user (uid {info.st_uid}).",
            hint="Set demo_dir in the config file to a folder of your own.",
        )
    if stat.S_IMODE(info.st_mode) != FOLDER_MODE:
        try:
            os.chmod(path, FOLDER_MODE)
        except OSError as exc:
            raise ConfigError(f"Cannot protect the demo folder {path}: {exc.strerror}") from exc
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (0600): a fresh temporary name, fsync, rename. Safe from
    several threads and processes at once: each writes its own temporary file."""
    # pid and thread: two threads of one console (the GPU and host samplers of a demo
    # host) may install the same file at the same moment
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    fd = os.open(tmp, flags, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_private(path: Path) -> bytes | None:
    """The content of one of our files; None when it is missing, or is not a plain file of
    this user's that others cannot write (then it is not ours to trust)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
            return None
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
