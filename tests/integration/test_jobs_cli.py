"""``awsconsole run / jobs / logs / kill`` as separate processes against real tmux."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from console.jobs.manager import JobManager
from console.models import JobState
from tests.integration.test_jobs import wait_finished, wait_until
from tests.integration.test_jobs_hostile import REPORT, hostile_strings

ROOT = Path(__file__).resolve().parents[2]
# The console's entry point, with the job commands registered should console.cli not list
# them yet.
ENTRY = (
    "import sys, console.cli as cli\n"
    "cli.COMMAND_MODULES = tuple(dict.fromkeys(cli.COMMAND_MODULES + ('run', 'jobs', 'logs', 'kill')))\n"
    "sys.exit(cli.main(sys.argv[1:]))\n"
)


@pytest.fixture
def cli(local_home, tmux_socket, tmp_path):
    """Runs ``awsconsole ARGS…`` with HOME = the sandbox and jobs on the test's tmux socket."""
    config = tmp_path / "config.toml"
    config.write_text(f'[jobs]\ntmux_socket = "{tmux_socket}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWSCONSOLE_")}
    env["HOME"] = str(local_home)

    def run(*args: str, stdin: str = "", popen: bool = False):
        argv = [sys.executable, "-c", ENTRY, "--config", str(config), *args]
        if popen:
            return subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE)
        return subprocess.run(
            argv, env=env, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=120
        )

    return run


def started_id(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    (record,) = json.loads(result.stdout)
    return record["id"]


@pytest.mark.slow
def test_run_jobs_logs_round_trip_with_hostile_text(cli, local_jobs, local_home):
    canary = local_home / "CANARY"
    hostile = hostile_strings(str(canary))
    hostile.remove("--")  # after the first `--`, a second one is the command's own argument
    workdir = local_home / 'it\'s $(touch CANARY); "dir" ü'
    workdir.mkdir()
    name = "job; $(touch CANARY) 'quoted' ü"

    result = cli(
        "run", "local", "--name", name, "--cwd", str(workdir), "--env", "HOSTILE=$(x) ' \"",
        "--json", "--", "python3", "-c", REPORT, *hostile, "--",
    )  # fmt: skip
    job_id = started_id(result)

    done = wait_finished(local_jobs, job_id)
    assert done.status.exit_code == 0
    logs = cli("logs", job_id)
    assert logs.returncode == 0, logs.stderr
    report = json.loads(logs.stdout)
    assert report == {"argv": [*hostile, "--"], "cwd": str(workdir), "env": "$(x) ' \""}
    assert not canary.exists() and not (workdir / "CANARY").exists()

    listed = json.loads(cli("jobs", "--json").stdout)
    assert [(j["id"], j["name"], j["state"], j["exit_code"]) for j in listed] == [
        (job_id, name, "exited", 0)
    ]
    table = cli("jobs").stdout
    assert job_id in table and "exited (0)" in table


@pytest.mark.slow
def test_logs_follow_survives_a_killed_console_and_ends_with_the_job(cli, local_jobs, tmp_path):
    release = tmp_path / "release"
    script = (
        "import os, time\n"
        "i = 0\n"
        f"while not os.path.exists({str(release)!r}):\n"
        "    print('tick', i, flush=True); i += 1; time.sleep(0.01)\n"
        "print('bye', flush=True)\n"
        "raise SystemExit(6)\n"
    )
    job_id = started_id(
        cli("run", "local", "--json", "--name", "ticker", "--", "python3", "-c", script)
    )

    first = cli("logs", "-f", "ticker", popen=True)
    assert first.stdout.readline().startswith(b"tick ")
    first.send_signal(signal.SIGKILL)  # the console dies; the job must not
    first.wait()
    assert local_jobs.get(job_id).status.state is JobState.RUNNING

    second = cli("logs", "-f", f"local:{job_id}", popen=True)
    assert second.stdout.readline() == b"tick 0\n"
    release.touch()
    rest = second.stdout.read()  # to the end: `logs -f` exits once the job has ended

    assert second.wait(60) == 0
    done = local_jobs.get(job_id)
    assert done.status.exit_code == 6
    log = Path(done.log_path).read_bytes()
    assert b"tick 0\n" + rest == log
    assert log.endswith(b"bye\n")


@pytest.mark.slow
def test_kill_asks_first_and_is_refused_when_read_only(cli, local_jobs):
    job_id = started_id(cli("run", "local", "--json", "--", "sleep", "600"))
    wait_until(lambda: local_jobs.get(job_id).status.state is JobState.RUNNING, "running")

    refused = cli("--read-only", "kill", "--yes", job_id)
    assert refused.returncode == 2
    assert "read-only" in refused.stderr
    declined = cli("kill", job_id, stdin="n\n")
    assert declined.returncode == 1
    assert "[y/N]" in declined.stderr
    assert local_jobs.get(job_id).status.state is JobState.RUNNING

    accepted = cli("kill", job_id, stdin="y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert wait_finished(local_jobs, job_id).status.exit_code == 128 + signal.SIGHUP


def test_bad_input_gets_a_clear_message(cli, local_jobs):
    missing_dir = cli("run", "local", "--cwd", "~/nowhere", "--", "true")
    assert missing_dir.returncode == 2
    assert "'~/nowhere' does not exist" in missing_dir.stderr
    bad_env = cli("run", "local", "--env", "NOEQUALS", "--", "true")
    assert bad_env.returncode == 2 and "NOEQUALS" in bad_env.stderr
    no_command = cli("run", "local", "--")
    assert no_command.returncode == 2 and "No command given" in no_command.stderr
    unknown = cli("logs", "no-such-job")
    assert unknown.returncode == 2 and "No job 'no-such-job'" in unknown.stderr
    assert "Traceback" not in missing_dir.stderr + bad_env.stderr + unknown.stderr
    assert local_jobs.list_jobs() == []


def test_template_from_the_config_file(cli, local_jobs, local_home, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        config.read_text()
        + '\n[templates."say hello"]\ncommand = ["sh", "-c", "echo hello $WHO"]\n'
        + 'env = { WHO = "world" }\n'
    )
    job_id = started_id(cli("run", "local", "--template", "say hello", "--json"))
    done = wait_finished(local_jobs, job_id)
    assert done.spec.name == "say hello"
    assert Path(done.log_path).read_text() == "hello world\n"


def test_a_job_started_by_the_cli_is_seen_by_a_fresh_manager(cli, local_host, tmux_socket):
    job_id = started_id(cli("run", "local", "--json", "--", "sh", "-c", "exit 11"))
    fresh = JobManager(local_host, tmux_socket=tmux_socket)
    assert wait_finished(fresh, job_id).status.exit_code == 11


@pytest.mark.slow
def test_a_two_node_group_from_run_to_kill(cli, local_jobs):
    script = (
        "import os, time\n"
        "print(*(os.environ[k] for k in ('MASTER_ADDR', 'MASTER_PORT', 'NNODES', 'NODE_RANK')),"
        " flush=True)\n"
        "time.sleep(600)\n"
    )
    # two nodes on this machine (the same host twice is allowed: two ranks on one box)
    started = cli("run", "local,local", "--name", "ddp", "--master-port", "29433", "--json",
                  "--", "python3", "-c", script)  # fmt: skip
    assert started.returncode == 0, started.stderr
    records = json.loads(started.stdout)
    group = records[0]["group"]
    assert [(r["group"], r["node_rank"], r["group_size"]) for r in records] == [
        (group, 0, 2),
        (group, 1, 2),
    ]
    for record in records:
        wait_until(lambda r=record: local_jobs.get(r["id"]).last_line, "the node's output")
    assert [local_jobs.get(r["id"]).last_line for r in records] == [
        "127.0.0.1 29433 2 0",
        "127.0.0.1 29433 2 1",
    ]

    lines = cli("jobs").stdout.splitlines()
    group_lines = [line for line in lines if line.startswith(group)]
    assert len(group_lines) == 1 and "2 nodes" in group_lines[0] and "running" in group_lines[0]
    assert sum("node 0" in line or "node 1" in line for line in lines) == 2
    node1 = cli("logs", group, "--node", "1")
    assert node1.returncode == 0 and node1.stdout == "127.0.0.1 29433 2 1\n"

    refused = cli("--read-only", "kill", "--yes", group)
    assert refused.returncode == 2 and "read-only" in refused.stderr
    declined = cli("kill", "ddp", stdin="n\n")  # the group's name names it too
    assert declined.returncode == 1
    assert "Kill job group 'ddp'" in declined.stderr and "2 of 2 nodes" in declined.stderr
    assert all(local_jobs.get(r["id"]).status.state is JobState.RUNNING for r in records)

    accepted = cli("kill", group, stdin="y\n")
    assert accepted.returncode == 0, accepted.stderr
    codes = [wait_finished(local_jobs, r["id"]).status.exit_code for r in records]
    assert codes == [128 + signal.SIGHUP] * 2
    finished = [line for line in cli("jobs").stdout.splitlines() if line.startswith(group)]
    assert f"exited ({128 + signal.SIGHUP}) on node" in finished[0]
