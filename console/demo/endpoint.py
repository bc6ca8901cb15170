"""The demo's one endpoint: found, started, reset and stopped by every console and CLI call.

The endpoint is a background process (``console.demo.server``) that serves moto on a free
port of 127.0.0.1 and keeps its state until ``awsconsole demo stop`` or ``demo reset``. Its
pid and port are in ``DEMO_DIR/.endpoint.json``; a start holds ``DEMO_DIR/.endpoint.lock``
(``flock``), so two consoles starting at once start one endpoint. A state file is trusted
only when its process is alive, is this user's, runs ``console.demo.server`` for this demo
folder, and answers on its port with its own pid; a stale one (the process gone, or its pid
reused by another program) is removed.

Loads no boto3 and no moto: a later ``awsconsole --demo`` pays only for its own clients.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from console.demo.state import (
    FILE_MODE,
    LOCK_FILE,
    LOG_FILE,
    STATE_FILE,
    prepare_demo_dir,
    read_private,
)
from console.errors import ConfigError, ConsoleError, MountError, MountpointError

SERVER_MODULE = "console.demo.server"
#: a first start imports moto and seeds the fleet: seconds, more on a loaded machine
START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
#: a running endpoint answers its status at once; longer means it is not ours or is stuck
STATUS_TIMEOUT = 5.0
LOG_TAIL_CHARS = 1500
#: requests to the endpoint never go through a proxy: it is on this machine
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Endpoint:
    """A running demo endpoint, verified."""

    pid: int
    port: int
    demo_dir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class Stopped:
    """What ``stop_endpoint`` did: the endpoint it stopped (None: none ran) and the
    mountpoints it unmounted first."""

    endpoint: Endpoint | None
    unmounted: tuple[str, ...] = ()


# --- finding -------------------------------------------------------------------------------


def find_endpoint(demo_dir: Path, *, clean: bool = False) -> Endpoint | None:
    """The endpoint running for ``demo_dir``, or None. With ``clean`` (callers holding the
    lock) a stale state file is removed. Raises ConfigError when the endpoint's process is
    there but does not answer (stop it with ``awsconsole demo stop``)."""
    raw = read_private(demo_dir / STATE_FILE)
    if raw is None:
        return None
    try:
        state = json.loads(raw)
        endpoint = Endpoint(int(state["pid"]), int(state["port"]), demo_dir)
    except (ValueError, KeyError, TypeError):
        endpoint = None
    if endpoint is None or not is_endpoint_process(endpoint.pid, demo_dir):
        if clean:
            with contextlib.suppress(FileNotFoundError):
                (demo_dir / STATE_FILE).unlink()
        return None
    try:
        answer = request(endpoint, "GET", "status")
    except ConsoleError as exc:
        raise ConfigError(
            f"The demo endpoint (pid {endpoint.pid}) does not answer on port "
            f"{endpoint.port}: {exc.message}",
            hint="`awsconsole demo stop` ends it; the next --demo starts a new one.",
        ) from exc
    if answer.get("pid") != endpoint.pid:
        if clean:  # another program answers on that port: the state file is stale
            with contextlib.suppress(FileNotFoundError):
                (demo_dir / STATE_FILE).unlink()
        return None
    return endpoint


def is_endpoint_process(pid: int, demo_dir: Path) -> bool:
    """Whether ``pid`` is this user's ``console.demo.server`` for ``demo_dir`` (a pid the
    system gave to another program since is not)."""
    try:
        process = psutil.Process(pid)
        if process.uids().real != os.getuid() or process.status() == psutil.STATUS_ZOMBIE:
            return False
        argv = process.cmdline()
    except (psutil.Error, OSError):
        return False
    return SERVER_MODULE in argv and str(demo_dir) in argv


def request(endpoint: Endpoint, method: str, name: str, timeout: float = STATUS_TIMEOUT) -> dict:
    """One of the endpoint's own requests (``status``, ``release``, ``reset``); its JSON
    answer. Raises ConsoleError naming what went wrong."""
    call = urllib.request.Request(f"{endpoint.url}/_awsconsole/{name}", method=method)
    try:
        with _DIRECT.open(call, timeout=timeout) as reply:
            answer = json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        try:
            said = json.loads(exc.read()).get("error") or exc.reason
        except (ValueError, AttributeError, OSError):
            said = exc.reason
        raise ConsoleError(f"The demo endpoint could not {name}: {said}", title="Demo") from exc
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConsoleError(f"{reason}", title="Demo") from exc
    if not isinstance(answer, dict):
        raise ConsoleError("The demo endpoint gave an answer that is not ours.", title="Demo")
    return answer


# --- starting ------------------------------------------------------------------------------


def ensure_endpoint(demo_dir: Path, *, timeout: float = START_TIMEOUT) -> Endpoint:
    """The running endpoint of ``demo_dir``, started (and seeded) first when none runs.
    Raises ConfigError (folder unusable, moto missing, the endpoint did not start)."""
    found = find_endpoint(demo_dir) if (demo_dir / STATE_FILE).exists() else None
    if found is not None:
        return found
    prepare_demo_dir(demo_dir)
    with locked(demo_dir):
        found = find_endpoint(demo_dir, clean=True)
        if found is not None:  # another console started it while this one waited
            return found
        return _start(demo_dir, timeout)


@contextlib.contextmanager
def locked(demo_dir: Path) -> Iterator[None]:
    """Hold the demo folder's start/stop lock (``flock`` on ``.endpoint.lock``)."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(demo_dir / LOCK_FILE, flags, FILE_MODE)
    except OSError as exc:
        raise ConfigError(f"Cannot lock the demo folder {demo_dir}: {exc.strerror}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _start(demo_dir: Path, timeout: float) -> Endpoint:
    if importlib.util.find_spec("moto") is None:
        raise ConfigError(
            "The demo needs moto's server, which is not installed.",
            hint="pip install 'awsconsole[demo]'",
        )
    log_flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    log = os.open(demo_dir / LOG_FILE, log_flags, FILE_MODE)
    try:
        # -P: the demo folder (the working directory, where sandboxes are named after
        # instances) never shadows a module; the server detaches and prints its pid
        launcher = subprocess.Popen(
            [sys.executable, "-P", "-m", SERVER_MODULE, str(demo_dir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=demo_dir,
            start_new_session=True,
            close_fds=True,
        )
    finally:
        os.close(log)
    assert launcher.stdout is not None
    with launcher.stdout:
        line = launcher.stdout.readline().decode("utf-8", "replace")
    launcher.wait()
    from console.demo.server import PID_PREFIX  # a name only: the server's imports wait

    if not line.startswith(PID_PREFIX):
        raise ConfigError(f"The demo endpoint did not start.{_log_tail(demo_dir)}")
    pid = int(line[len(PID_PREFIX) :])
    deadline = time.monotonic() + timeout
    while True:
        found = find_endpoint(demo_dir)
        if found is not None and found.pid == pid:
            return found
        if not is_endpoint_process(pid, demo_dir):
            raise ConfigError(f"The demo endpoint did not start.{_log_tail(demo_dir)}")
        if time.monotonic() > deadline:
            _end(pid, grace=5.0)
            raise ConfigError(
                f"The demo endpoint was not ready within {timeout:g} s.{_log_tail(demo_dir)}"
            )
        time.sleep(0.05)


def _log_tail(demo_dir: Path) -> str:
    raw = read_private(demo_dir / LOG_FILE) or b""
    text = raw.decode("utf-8", "replace").strip()[-LOG_TAIL_CHARS:]
    lines = [line for line in text.splitlines() if line.strip()]
    return f" It said: {lines[-1]}" if lines else ""


# --- stopping and resetting ----------------------------------------------------------------


def stop_endpoint(demo_dir: Path, *, timeout: float = STOP_TIMEOUT) -> Stopped:
    """Unmount the S3 mounts that read from the endpoint, then end it (SIGTERM; SIGKILL
    after ``timeout``). Nothing is stopped when a mount stays mounted (busy): MountError
    says which. A stale state file is removed."""
    if not demo_dir.is_dir():
        return Stopped(None)
    with locked(demo_dir):
        try:
            endpoint = find_endpoint(demo_dir, clean=True)
        except ConfigError:  # alive but not answering: end it all the same
            endpoint = _stuck_endpoint(demo_dir)
        if endpoint is None:
            return Stopped(None)
        unmounted = unmount_demo_mounts(endpoint)
        _end(endpoint.pid, grace=timeout)
        with contextlib.suppress(FileNotFoundError):
            (demo_dir / STATE_FILE).unlink()
        return Stopped(endpoint, unmounted)


def _stuck_endpoint(demo_dir: Path) -> Endpoint | None:
    try:
        state = json.loads(read_private(demo_dir / STATE_FILE) or b"{}")
        return Endpoint(int(state["pid"]), int(state["port"]), demo_dir)
    except (ValueError, KeyError, TypeError):
        return None


def _end(pid: int, *, grace: float) -> None:
    try:
        process = psutil.Process(pid)
        process.send_signal(signal.SIGTERM)
        process.wait(grace)
    except psutil.TimeoutExpired:
        with contextlib.suppress(psutil.Error):
            process.kill()
            process.wait(grace)
    except psutil.Error:
        pass  # already gone


def reset_endpoint(demo_dir: Path) -> Endpoint:
    """The world as on a first start: moto's reset, then the fleet and the dataset seeded
    again (a fresh endpoint when none ran). Instance sandboxes are kept."""
    endpoint = find_endpoint(demo_dir) if demo_dir.is_dir() else None
    if endpoint is None:
        return ensure_endpoint(demo_dir)
    request(endpoint, "POST", "reset", timeout=START_TIMEOUT)
    return endpoint


def unmount_demo_mounts(endpoint: Endpoint) -> tuple[str, ...]:
    """Unmount every s3fs or mount-s3 mount of this user that reads from ``endpoint``
    (found by the ``url=…``/``--endpoint-url=…`` on the client's command line), before the
    endpoint goes: a mount left pointing at a stopped endpoint is a dead folder. Raises
    MountError when one stays mounted."""
    # the mount layer loads only when there is an endpoint to stop
    from console.files.mount import unmount
    from console.hosts.local import LocalHost

    done = []
    for mountpoint in demo_mountpoints(endpoint.url):
        home = _sandbox_of(mountpoint, endpoint.demo_dir)
        host = LocalHost(home=home) if home is not None else LocalHost()
        try:
            unmount(host, mountpoint)
        except MountpointError:
            continue  # its client still runs, but nothing is mounted there any more
        except MountError as exc:
            raise MountError(
                f"{exc.message} The demo endpoint keeps running.",
                hint="Close what uses the mount, then run `awsconsole demo stop` again.",
            ) from exc
        done.append(mountpoint)
    return tuple(done)


def demo_mountpoints(url: str) -> list[str]:
    """Mountpoints of this user's s3fs and mount-s3 processes whose endpoint is ``url``."""
    wanted = {f"url={url}", f"--endpoint-url={url}"}
    found = []
    for process in psutil.process_iter(["name", "cmdline", "uids"]):
        info = process.info
        argv = info.get("cmdline") or []
        uids = info.get("uids")
        if len(argv) < 3 or uids is None or uids.real != os.getuid():
            continue
        if os.path.basename(argv[0]) not in ("s3fs", "mount-s3"):
            continue
        if wanted.isdisjoint(argv):
            continue
        # both clients take BUCKET MOUNTPOINT first (console.files.mount builds them so)
        found.append(os.path.normpath(argv[2]))
    return list(dict.fromkeys(found))


def _sandbox_of(mountpoint: str, demo_dir: Path) -> Path | None:
    """The instance sandbox holding ``mountpoint`` (its mount records live there)."""
    try:
        relative = Path(mountpoint).relative_to(demo_dir)
    except ValueError:
        return None
    return demo_dir / relative.parts[0] if relative.parts else None
