"""Jupyter on a host, opened from this machine: the server found or started there
(``console.jobs.jupyter``), and for a host reached over SSH a local port forwarded to it.

The forward is OpenSSH's own ``ssh -N -o ExitOnForwardFailure=yes -L 127.0.0.1:LOCAL:
127.0.0.1:PORT HOST`` (``console.hosts.interactive.port_forward_argv``: the same alias, key,
ProxyJump and known_hosts as every other ssh the console starts; the local end bound to the
loopback address only), started in the background on a free local port and kept while the
console runs: ``close()`` (the services' close) ends every forward. A second ``open`` of the
same host reuses its forward while that still runs. A server on this machine (``local``, a
demo instance) needs none: its URL is its own.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from console.errors import HostConfigError
from console.hosts.interactive import SshOptions, port_forward_argv
from console.hosts.local import LocalHost
from console.jobs.jupyter import JupyterError, find_or_start
from console.models import JupyterLink

#: how long a new forward may take to listen
FORWARD_SECONDS = 20.0


def free_local_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def local_environment() -> dict[str, str]:
    """For a server on this machine: the console's interpreter folder first on PATH, so a
    Jupyter installed beside the console (pip install jupyterlab) is the one found."""
    folder = os.path.dirname(os.path.abspath(sys.executable))
    rest = [p for p in os.environ.get("PATH", os.defpath).split(os.pathsep) if p and p != folder]
    return {"PATH": os.pathsep.join([folder, *rest])}


@dataclass
class _Forward:
    process: subprocess.Popen
    local_port: int
    remote_port: int
    argv: list[str]


class JupyterLinks:
    """The Jupyter servers opened from this console, and their forwards."""

    def __init__(self, services) -> None:
        self._services = services
        self._lock = threading.Lock()
        self._forwards: dict[str, _Forward] = {}

    def open(self, target: str, cancel: threading.Event | None = None) -> JupyterLink:
        host = self._services.hosts.host_for(target)
        manager = self._services.jobs.manager(target)
        local = isinstance(host, LocalHost)
        server = find_or_start(host, manager, env=local_environment() if local else None,
                               cancel=cancel)  # fmt: skip
        if local:
            return JupyterLink(target, server.local_url(), server.port, server.port,
                               job_id=server.job_id)  # fmt: skip
        forward = self.forward(target, host, server.port)
        return JupyterLink(target, server.local_url(forward.local_port), server.port,
                           forward.local_port, shlex.join(forward.argv), server.job_id)  # fmt: skip

    def forward(self, target: str, host, remote_port: int) -> _Forward:
        """A free local port forwarded to ``remote_port`` on ``host``'s loopback address (the
        running forward of ``target`` when it goes there already). Raises JupyterError."""
        with self._lock:
            known = self._forwards.get(target)
            if known is not None and known.process.poll() is None and known.remote_port == remote_port:
                return known
            if known is not None:
                _end(known)
            try:
                options = SshOptions.for_host(host)
            except HostConfigError as exc:
                raise JupyterError(f"Cannot forward a port to {target}: {exc.message}") from exc
            port = free_local_port()
            argv = port_forward_argv(options, port, remote_port, remote_host="127.0.0.1")
            # the ssh's own stdin is closed: it may never ask a question in the console's
            # terminal (BatchMode: a key it would need to confirm fails instead)
            argv = [argv[0], "-o", "BatchMode=yes", *argv[1:]]
            try:
                process = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                           start_new_session=True)  # fmt: skip
            except OSError as exc:
                raise JupyterError(f"Cannot start ssh for the forward: {exc.strerror}.") from exc
            deadline = time.monotonic() + FORWARD_SECONDS
            while not listening(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    said = _stop_and_read(process)
                    raise JupyterError(f"The forward to {target} did not start: "
                                       f"{said or 'no answer'}", hint=shlex.join(argv))  # fmt: skip
                time.sleep(0.1)
            forward = _Forward(process, port, remote_port, argv)
            self._forwards[target] = forward
            return forward

    def close(self) -> None:
        """End every forward this console started (the servers keep running)."""
        with self._lock:
            forwards, self._forwards = list(self._forwards.values()), {}
        for forward in forwards:
            _end(forward)


def _end(forward: _Forward) -> None:
    _stop_and_read(forward.process)


def _stop_and_read(process: subprocess.Popen) -> str:
    """Stop ``process`` (if it runs) and the last line it wrote on stderr."""
    if process.poll() is None:
        process.terminate()
    try:
        _, err = process.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    lines = (err or b"").decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else ""
