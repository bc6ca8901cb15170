"""Jupyter on a host: the server already running there, or one started as a job.

``jupyter server list --json`` (jupyter_server 2: one JSON object per running server, read
from the runtime folder of the user that asks) says which servers run, with their port and
token. When none does, a job named ``jupyter`` starts one bound to the host's loopback
address (``jupyter lab`` where JupyterLab is installed, as on the Deep Learning AMIs, else
``jupyter server``), without a browser, on 8888 or the next free port, and the list is read
again until the server shows (or the job ends: its last line says why). The console never
sees the token in a command line: it is read from the list, and shown to the user only in
the URL they asked for.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from console.errors import ConsoleError, JobError
from console.hosts.base import Host
from console.jobs.manager import JobManager
from console.models import JobSpec

LIST_ARGV = ("jupyter", "server", "list", "--json")
#: picks JupyterLab when the host has it; the server's options follow as "$@" (as root, as in
#: many containers, Jupyter asks for --allow-root before it serves)
START_SCRIPT = ('[ "$(id -u)" = 0 ] && set -- "$@" --allow-root; '
                'if command -v jupyter-lab >/dev/null 2>&1; then exec jupyter lab "$@"; '
                'else exec jupyter server "$@"; fi')  # fmt: skip
START_OPTIONS = ("--no-browser", "--ip=127.0.0.1", "--port=8888", "--port-retries=50")
JOB_NAME = "jupyter"
#: exit status of a shell that did not find the command
NOT_FOUND = 127


class JupyterError(ConsoleError):
    title = "Jupyter"


class JupyterMissingError(JupyterError):
    """The host has no ``jupyter`` command (or no jupyter_server behind it)."""


@dataclass(frozen=True, slots=True)
class JupyterServer:
    """A Jupyter server on a host, as its own list says."""

    port: int
    token: str
    base_url: str = "/"
    root_dir: str = ""
    pid: int | None = None
    #: the job that started it, when the console did
    job_id: str | None = None

    def local_url(self, port: int | None = None) -> str:
        """The URL with its token, on this machine's loopback address (``port``: a forward's
        local end; default the server's own port, for a server on this machine)."""
        base = self.base_url if self.base_url.startswith("/") else "/" + self.base_url
        base = base if base.endswith("/") else base + "/"
        return f"http://127.0.0.1:{port or self.port}{base}?token={self.token}"


def parse_server_list(text: str) -> list[JupyterServer]:
    """The servers of ``jupyter server list --json``'s output; lines that are not a server's
    JSON (warnings, a hostile runtime file) are left out."""
    servers = []
    for line in text.splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        port, token = data.get("port"), data.get("token")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            continue
        if not isinstance(token, str) or not token.isascii() or not token.isalnum():
            continue  # tokens are hex; anything else is not put in a URL
        base = data.get("base_url") if isinstance(data.get("base_url"), str) else "/"
        if not all(c.isalnum() or c in "/-_." for c in base):
            base = "/"
        root = data.get("root_dir") if isinstance(data.get("root_dir"), str) else ""
        pid = data.get("pid") if isinstance(data.get("pid"), int) else None
        servers.append(JupyterServer(port, token, base, root, pid))
    return servers


def list_servers(host: Host, env: Mapping[str, str] | None = None) -> list[JupyterServer]:
    """The Jupyter servers running on ``host`` for its user. Raises JupyterMissingError when
    the host has no jupyter_server, HostError subclasses."""
    result = host.run(LIST_ARGV, timeout=60, env=env)
    said = (result.stderr or b"").decode("utf-8", "replace").strip()
    if result.exit_code == NOT_FOUND or "not found" in said.lower() or "no such" in said.lower():
        raise JupyterMissingError(f"{host.name} has no Jupyter (`jupyter server list`: "
                                  f"{said.splitlines()[-1] if said else 'not found'}).",
                                  hint="pip install jupyterlab there (the Deep Learning AMIs "
                                       "have it).")  # fmt: skip
    return parse_server_list(result.stdout.decode("utf-8", "replace"))


def find_or_start(
    host: Host,
    manager: JobManager,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 90.0,
    poll: float = 0.5,
    cancel: threading.Event | None = None,
    options: Sequence[str] = START_OPTIONS,
) -> JupyterServer:
    """The server already running on ``host``, else one started as a job and waited for.
    Raises JupyterMissingError, JupyterError (the job ended, or no server within
    ``timeout``), JobError, HostError subclasses."""
    running = list_servers(host, env)
    if running:
        return running[0]
    job = manager.start(JobSpec(command=("sh", "-c", START_SCRIPT, "jupyter", *options),
                                name=JOB_NAME, cwd="~", env=tuple((env or {}).items())))  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        running = list_servers(host, env)
        if running:
            mine = [s for s in running if s.pid is not None] or running
            server = mine[-1]
            return JupyterServer(server.port, server.token, server.base_url, server.root_dir,
                                 server.pid, job.id)  # fmt: skip
        try:
            job = manager.get(job.id)
        except JobError:
            job = None
        if job is not None and job.status.finished:
            line = job.last_line or "no output"
            if job.status.exit_code == NOT_FOUND or "not found" in line:
                raise JupyterMissingError(f"{host.name} has no Jupyter: {line}",
                                          hint="pip install jupyterlab there.")  # fmt: skip
            raise JupyterError(f"Jupyter on {host.name} ended before it served (job {job.id}, "
                               f"exit {job.status.exit_code}): {line}",
                               hint="Its log is in the Jobs view.")  # fmt: skip
        if time.monotonic() > deadline:
            raise JupyterError(f"Jupyter on {host.name} did not start within {timeout:.0f} s "
                               f"(job {job.id if job else '?'}).",
                               hint="Its log is in the Jobs view.")  # fmt: skip
        if cancel is not None and cancel.wait(poll):
            raise JupyterError("Cancelled while Jupyter started.")
        if cancel is None:
            time.sleep(poll)
