"""``awsconsole jupyter HOST``, the ``j`` key's twin, as a user runs it: a real jupyter_server
started as a job on this machine, its URL printed (answering with the token), found again
by a second call, refused read-only before any job starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from console.hosts.local import LocalHost
from console.jobs.manager import JobManager

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
ENTRY = "import sys, console.cli as cli; sys.exit(cli.main(sys.argv[1:]))"


def awsconsole(home: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWSCONSOLE_", "XDG_"))}
    env["HOME"] = str(home)
    argv = [sys.executable, "-c", ENTRY, "--config", str(config), *args]
    return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)


@pytest.fixture
def config(tmp_path: Path, tmux_socket: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[jobs]\ntmux_socket = "{tmux_socket}"\n')
    return path


def test_jupyter_local_prints_a_url_that_answers_and_a_second_call_finds_it(
    local_home: Path, config: Path, tmux_socket: str
):
    first = awsconsole(local_home, config, "jupyter", "local", "--json")
    assert first.returncode == 0, first.stderr
    [link] = json.loads(first.stdout)
    second = awsconsole(local_home, config, "jupyter", "local")
    base, token = link["url"].split("?token=")
    with urllib.request.urlopen(f"{base}api/status?token={token}", timeout=10) as reply:
        status = json.loads(reply.read())
    JobManager(LocalHost(home=str(local_home)), tmux_socket=tmux_socket).kill(link["job_id"])

    assert link["url"].startswith(f"http://127.0.0.1:{link['server_port']}/?token=")
    assert link["forward"] is None and link["job_id"]  # this machine: started, no forward
    assert "started" in status
    assert second.returncode == 0 and second.stdout.strip() == link["url"]
    assert "it was running already" in second.stderr


def test_jupyter_is_refused_read_only_and_starts_no_job(
    local_home: Path, config: Path, tmux_socket: str
):
    refused = awsconsole(local_home, config, "--read-only", "jupyter", "local")
    jobs = JobManager(LocalHost(home=str(local_home)), tmux_socket=tmux_socket).list_jobs()

    assert refused.returncode == 2 and refused.stdout == ""
    assert "read-only" in refused.stderr.lower()
    assert jobs == []
