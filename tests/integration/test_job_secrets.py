"""A job's environment values stay private: its folder is 0700 and its files 0600 on every
host (this machine and the real sshd's user), the values sit in env.json only, and neither
``awsconsole run``/``jobs``/``jobs --json`` nor any process's command line shows them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from console.hosts.base import Host
from console.models import FileKind, JobSpec
from tests.integration.test_jobs import wait_finished

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[2]
#: prints whether the job saw its token, never the token itself
SAYS_IF_IT_HAS_THE_TOKEN = ("sh", "-c", 'test "$API_TOKEN" = "$EXPECTED" && echo token-seen')


def secret() -> str:
    return f"s3cr3t-{uuid.uuid4().hex}"


def walk(host: Host, folder: str) -> list:
    """Every entry under ``folder`` on ``host`` (lstat), depth first."""
    entries = []
    for entry in host.listdir(folder):
        entries.append(entry)
        if entry.kind is FileKind.DIRECTORY:
            entries.extend(walk(host, entry.path))
    return entries


def holding(host: Host, folder: str, text: str) -> list[str]:
    """The names of the files under ``folder`` whose bytes contain ``text``."""
    return [
        entry.name
        for entry in walk(host, folder)
        if entry.kind is FileKind.FILE and text.encode() in host.read_range(entry.path)
    ]


def command_lines_with(text: str) -> list[str]:
    """Every process of this machine (the sshd's sessions too) whose argv contains ``text``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if text.encode() in argv:
            found.append(argv.replace(b"\0", b" ").decode("utf-8", "replace"))
    return found


def test_job_folders_are_private_and_the_value_is_in_env_json_only(any_jobs):
    token = secret()
    spec = JobSpec(
        command=SAYS_IF_IT_HAS_THE_TOKEN,
        name="private",
        env=(("API_TOKEN", token), ("EXPECTED", token)),
    )
    job = any_jobs.start(spec)
    assert command_lines_with(token) == []  # not on tmux's, the runner's or ssh's argv
    done = wait_finished(any_jobs, job.id)

    host = any_jobs.host
    assert done.status.exit_code == 0
    assert host.read_range(done.log_path) == b"token-seen\n"
    root = host.stat(any_jobs.jobs_root)
    assert stat.S_IMODE(root.mode) == 0o700
    entries = walk(host, any_jobs.jobs_root)
    folders = [e for e in entries if e.kind is FileKind.DIRECTORY]
    files = [e for e in entries if e.kind is FileKind.FILE]
    assert [f.name for f in folders] == [job.id]
    assert {f.name for f in files} == {
        "job.json", "env.json", "output.log", "exit_code", "runner.pid", "runner.py"
    }  # fmt: skip
    assert {f.name: oct(stat.S_IMODE(f.mode)) for f in folders + files} == {
        f.name: "0o700" if f.kind is FileKind.DIRECTORY else "0o600" for f in folders + files
    }
    assert holding(host, any_jobs.jobs_root, token) == ["env.json"]
    record = json.loads(host.read_range(f"{any_jobs.job_dir(job.id)}/job.json"))
    assert record["env_names"] == ["API_TOKEN", "EXPECTED"] and "env" not in record

    # a re-run has the values again (from env.json), and writes them nowhere else either
    again = wait_finished(any_jobs, any_jobs.rerun(job.id).id)
    assert host.read_range(again.log_path) == b"token-seen\n"
    assert again.spec.env == spec.env
    assert sorted(holding(host, any_jobs.jobs_root, token)) == ["env.json", "env.json"]


def test_a_jobs_folder_made_open_by_an_older_console_is_closed(local_jobs, local_home):
    root = local_home / ".awsconsole" / "jobs"
    root.mkdir(parents=True)
    root.chmod(0o755)
    job = local_jobs.start(JobSpec(command=("true",), env=(("K", secret()),)))
    wait_finished(local_jobs, job.id)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / job.id).stat().st_mode) == 0o700


def test_a_job_written_before_env_json_existed_still_runs_and_reruns(local_jobs, local_home):
    """job.json of an older console held the values itself: they are still used."""
    token = secret()
    job = wait_finished(local_jobs, local_jobs.start(JobSpec(command=("true",))).id)
    folder = local_home / ".awsconsole" / "jobs" / job.id
    record = json.loads((folder / "job.json").read_text())
    record.pop("env_names")
    record["env"] = {"API_TOKEN": token, "EXPECTED": token}
    record["command"] = list(SAYS_IF_IT_HAS_THE_TOKEN)
    (folder / "job.json").write_text(json.dumps(record))
    (folder / "env.json").unlink()

    again = wait_finished(local_jobs, local_jobs.rerun(job.id).id)

    assert Path(again.log_path).read_bytes() == b"token-seen\n"
    assert dict(again.spec.env) == {"API_TOKEN": token, "EXPECTED": token}


# --- the commands -----------------------------------------------------------------------------


@pytest.fixture
def cli(local_home, tmux_socket, tmp_path):
    """``awsconsole ARGS…`` as a separate process, HOME = the sandbox, jobs on the test's
    tmux socket; returns the finished process (stdout and stderr as text)."""
    config = tmp_path / "config.toml"
    config.write_text(f'[jobs]\ntmux_socket = "{tmux_socket}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWSCONSOLE_")}
    env["HOME"] = str(local_home)

    def run(*args: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "console.cli", "--config", str(config), *args]
        return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)

    return run


def test_run_and_jobs_show_names_and_never_values(cli, local_jobs, local_home):
    token = secret()
    started = cli(
        "run", "local", "--env", f"API_TOKEN={token}", "--env", f"EXPECTED={token}",
        "--json", "--", *SAYS_IF_IT_HAS_THE_TOKEN,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    [record] = json.loads(started.stdout)
    done = wait_finished(local_jobs, record["id"])
    assert Path(done.log_path).read_bytes() == b"token-seen\n"  # the job had the value

    outputs = [started, cli("jobs"), cli("jobs", "--json"), cli("run", "local", "--", "true")]
    for result in outputs:
        assert result.returncode == 0, result.stderr
        assert token not in result.stdout + result.stderr
    assert record["env"] == {"API_TOKEN": "***", "EXPECTED": "***"}
    listed = {r["id"]: r for r in json.loads(outputs[2].stdout)}
    assert listed[record["id"]]["env"] == {"API_TOKEN": "***", "EXPECTED": "***"}
    assert holding(local_jobs.host, local_jobs.jobs_root, token) == ["env.json"]
