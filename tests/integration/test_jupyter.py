"""Jupyter opened on a host: a real jupyter_server started as a job on this machine (its
token read from its own list, the URL answering with it and refusing without it, a second
open finding the same server), a clear error where no Jupyter is installed, and a local port
forwarded through the test's real sshd by OpenSSH."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.hosts.local import LocalHost
from console.jobs.jupyter import JupyterMissingError, find_or_start
from console.services.jupyter import JupyterLinks, listening
from console.settings import JobsSettings, Settings
from console.startup import build_services

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture
def services(tmux_socket: str, local_home: Path) -> Iterator:
    built = build_services(Settings(jobs=JobsSettings(tmux_socket=tmux_socket)))
    built.hosts.register("local", LocalHost(name="local", home=str(local_home)))
    yield built
    built.close()


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_jupyter_is_started_as_a_job_once_and_answers_with_its_token(services):
    link = services.jobs.jupyter("local")
    again = services.jobs.jupyter("local")
    manager = services.jobs.manager("local")
    job = manager.get(link.job_id)
    base = link.url.split("?")[0]
    token = link.url.split("token=")[1]
    status, body = get(f"{base}api/status?token={token}")
    refused, _ = get(f"{base}api/status")
    manager.kill(link.job_id)

    assert link.url.startswith(f"http://127.0.0.1:{link.server_port}/?token=")
    assert link.forward == "" and link.local_port == link.server_port  # this machine: no forward
    assert job.spec.name == "jupyter" and "--ip=127.0.0.1" in job.spec.command
    assert status == 200 and "started" in json.loads(body)
    assert refused == 403  # the token is what lets one in
    assert again.server_port == link.server_port and again.job_id is None  # found, not started


def test_a_host_without_jupyter_says_so(local_home: Path, tmux_socket: str):
    from console.jobs.manager import JobManager

    host = LocalHost(name="bare", home=str(local_home))
    manager = JobManager(host, tmux_socket=tmux_socket)
    with pytest.raises(JupyterMissingError) as raised:
        find_or_start(host, manager, env={"PATH": "/usr/bin:/bin"}, timeout=30)

    assert "bare has no Jupyter" in raised.value.message
    assert "pip install jupyterlab" in (raised.value.hint or "")


@pytest.fixture
def web_server() -> Iterator[int]:
    """A web server on this machine's loopback: the far end of the forward (sshd runs here)."""

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = b"through the forward"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_port_on_an_ssh_host_is_forwarded_to_loopback_here_and_ended_on_close(
    ssh_env, web_server: int
):
    links = JupyterLinks(services=None)
    host = ssh_env.host("testhost")
    try:
        forward = links.forward("testhost", host, web_server)
        again = links.forward("testhost", host, web_server)
        status, body = get(f"http://127.0.0.1:{forward.local_port}/")
    finally:
        links.close()

    assert (status, body) == (200, b"through the forward")
    assert again is forward  # a running forward is reused
    assert f"127.0.0.1:{forward.local_port}:127.0.0.1:{web_server}" in forward.argv
    assert forward.process.poll() is not None and not listening(forward.local_port)
