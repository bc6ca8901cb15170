"""Jobs in real tmux on a sandboxed local host: start, status, exit codes, control."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from console.errors import ReadOnlyError
from console.format.jobs import status_word
from console.hosts.local import LocalHost
from console.jobs.manager import (
    JobError,
    JobManager,
    JobNotFoundError,
    control_group,
    group_jobs,
    start_group,
)
from console.models import JobSpec, JobState
from console.models.jobspec import parse_env, template_spec
from tests.fixtures.tmux_server import tmux

PY = sys.executable


def wait_until(predicate, what: str, timeout: float = 30.0):
    """Poll until ``predicate()`` returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def wait_finished(manager: JobManager, job_id: str):
    return wait_until(
        lambda: (job := manager.get(job_id)).status.finished and job, f"job {job_id} to finish"
    )


def gated(release: Path, code: int = 0, message: str = "started") -> tuple[str, ...]:
    """A command that prints ``message``, waits for ``release`` to exist, exits ``code``."""
    script = (
        "import os, sys, time\n"
        f"print({message!r}, flush=True)\n"
        f"while not os.path.exists({str(release)!r}): time.sleep(0.02)\n"
        f"sys.exit({code})\n"
    )
    return (PY, "-c", script)


def test_job_runs_and_records_its_exit_code(local_jobs, local_home):
    spec = JobSpec(command=("sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 7"), name="t")
    job = local_jobs.start(spec)

    done = wait_finished(local_jobs, job.id)

    assert done.status.state is JobState.EXITED
    assert done.status.exit_code == 7
    assert status_word(done.status) == "exited (7)"
    log = Path(done.log_path).read_bytes()
    assert b"to-stdout\n" in log and b"to-stderr\n" in log
    job_dir = local_home / ".awsconsole" / "jobs" / job.id
    record = json.loads((job_dir / "job.json").read_text())
    assert record["command"] == list(spec.command)
    assert (job_dir / "exit_code").read_text().strip() == "7"
    assert done.ended is not None and done.ended >= done.started


def test_a_job_here_needs_no_python3_on_the_path(local_home, tmux_socket, tmp_path):
    """This machine's job helpers (folder, runner, lister) run on the console's own
    interpreter by its path: a PATH holding tmux and a few tools but no python3 starts, lists
    and records a job (a version manager's python3 shim is never asked either)."""
    import shutil

    tools = tmp_path / "tools"
    tools.mkdir()
    for name in ("tmux", "sh", "env", "rm"):
        (tools / name).symlink_to(shutil.which(name))
    host = LocalHost(name="local", home=str(local_home), env={"PATH": str(tools)})
    assert host.run(["sh", "-c", "command -v python3"]).exit_code != 0  # none on this PATH
    jobs = JobManager(host, tmux_socket=tmux_socket)
    assert jobs.python == sys.executable

    job = jobs.start(JobSpec(command=("sh", "-c", "echo here; exit 3"), name="no-python3"))

    done = wait_finished(jobs, job.id)
    assert done.status.exit_code == 3
    assert b"here\n" in Path(done.log_path).read_bytes()
    assert [listed.id for listed in jobs.list_jobs()] == [job.id]
    host.close()


def test_status_is_running_until_the_command_ends(local_jobs, tmp_path):
    release = tmp_path / "release"
    job = local_jobs.start(JobSpec(command=gated(release, code=3), name="gated"))

    running = wait_until(
        lambda: (j := local_jobs.get(job.id)).last_line == "started" and j, "first output"
    )
    assert running.status.state is JobState.RUNNING
    assert running.status.exit_code is None
    assert tmux(local_jobs.tmux_socket, "has-session", "-t", f"={job.session}").returncode == 0

    release.touch()
    assert wait_finished(local_jobs, job.id).status.exit_code == 3


def test_the_job_sees_a_terminal_and_its_environment(local_jobs, local_home):
    script = (
        "import os, sys\n"
        "print(sys.stdout.isatty(), os.environ['HOME'], os.environ['GREETING'], os.getcwd())\n"
        "print(os.environ['AWSCONSOLE_JOB_ID'], os.environ['AWSCONSOLE_JOB_DIR'])\n"
    )
    (local_home / "work").mkdir()
    job = local_jobs.start(
        JobSpec(command=(PY, "-c", script), cwd="~/work", env=(("GREETING", "hi there"),))
    )
    done = wait_finished(local_jobs, job.id)
    assert Path(done.log_path).read_text() == (
        f"True {local_home} hi there {local_home / 'work'}\n"
        f"{job.id} {local_home / '.awsconsole' / 'jobs' / job.id}\n"
    )


def test_console_killed_with_sigkill_finds_its_job_again(
    local_host, local_home, tmux_socket, tmp_path
):
    """A separate console process starts a job and is killed -9; a new manager finds it."""
    release = tmp_path / "release"
    console_script = (
        "import sys, time\n"
        "from console.hosts.local import LocalHost\n"
        "from console.jobs.manager import JobManager\n"
        "from console.models import JobSpec\n"
        f"manager = JobManager(LocalHost(name='local', home={str(local_home)!r}),"
        f" tmux_socket={tmux_socket!r})\n"
        f"job = manager.start(JobSpec(command={gated(release, code=5)!r}, name='survivor'))\n"
        "print(job.id, flush=True)\n"
        "time.sleep(600)\n"
    )
    console = subprocess.Popen(
        [PY, "-c", console_script],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        job_id = console.stdout.readline().strip()
        assert job_id, "the console process printed no job id"
    finally:
        console.send_signal(signal.SIGKILL)
        console.wait()
    assert console.returncode == -signal.SIGKILL

    fresh = JobManager(local_host, tmux_socket=tmux_socket)
    found = [job for job in fresh.list_jobs() if job.id == job_id]
    assert len(found) == 1
    assert found[0].spec.name == "survivor"
    assert found[0].status.state is JobState.RUNNING

    release.touch()
    assert wait_finished(fresh, job_id).status.exit_code == 5


def test_ctrl_c_interrupts_the_command(local_jobs, tmp_path):
    script = (
        "import time\n"
        "print('ready', flush=True)\n"
        "try:\n    time.sleep(600)\n"
        "except KeyboardInterrupt:\n    print('interrupted', flush=True)\n    raise SystemExit(42)\n"
    )
    job = local_jobs.start(JobSpec(command=(PY, "-c", script)))
    wait_until(lambda: local_jobs.get(job.id).last_line == "ready", "the job to be ready")

    local_jobs.interrupt(job.id)

    done = wait_finished(local_jobs, job.id)
    assert done.status.exit_code == 42
    assert done.last_line.endswith("interrupted")  # after the "^C" the terminal echoed


def test_kill_ends_the_job_and_keeps_its_exit_code(local_jobs):
    job = local_jobs.start(JobSpec(command=("sleep", "600"), name="long"))
    wait_until(lambda: local_jobs.get(job.id).status.state is JobState.RUNNING, "running")

    with pytest.raises(ReadOnlyError, match="read-only"):
        local_jobs.kill(job.id, read_only=True)
    assert local_jobs.get(job.id).status.state is JobState.RUNNING

    local_jobs.kill(job.id)
    done = wait_finished(local_jobs, job.id)
    assert done.status.exit_code == 128 + signal.SIGHUP
    with pytest.raises(JobError, match="exited"):
        local_jobs.kill(job.id)


def test_a_job_whose_runner_vanished_is_lost(local_jobs):
    job = local_jobs.start(JobSpec(command=("sleep", "600")))
    wait_until(lambda: local_jobs.get(job.id).status.state is JobState.RUNNING, "running")
    # the runner got going (a job with no runner yet, just started, is still starting)
    ready = Path(local_jobs.expand(local_jobs.job_dir(job.id))) / "runner.pid"
    wait_until(ready.exists, "the runner ready")
    panes = tmux(local_jobs.tmux_socket, "list-panes", "-t", f"={job.session}", "-F", "#{pane_pid}")
    os.kill(int(panes.stdout.split()[0]), signal.SIGKILL)

    lost = wait_until(
        lambda: (j := local_jobs.get(job.id)).status.state is JobState.LOST and j, "lost"
    )
    assert status_word(lost.status) == "lost"
    assert lost.status.exit_code is None


def test_a_job_between_its_folder_and_its_session_is_starting_not_lost(
    local_home, tmux_socket, tmp_path
):
    # a slow host: its tmux takes two seconds to make a session (a group's second node, a
    # loaded instance); a listing in between sees the job's folder and no session yet
    slow = tmp_path / "slow-bin"
    slow.mkdir()
    real = subprocess.run(["which", "tmux"], capture_output=True, text=True).stdout.strip()
    (slow / "tmux").write_text(
        f'#!/bin/sh\ncase " $* " in *" new-session "*) sleep 2;; esac\nexec {real} "$@"\n'
    )
    (slow / "tmux").chmod(0o755)
    host = LocalHost(name="local", home=str(local_home),
                     env={"PATH": f"{slow}{os.pathsep}{os.environ['PATH']}"})  # fmt: skip
    jobs = JobManager(host, tmux_socket=tmux_socket)
    started: list = []
    starting = threading.Thread(
        target=lambda: started.append(jobs.start(JobSpec(command=("true",), name="slow"))))
    starting.start()
    try:
        listed = wait_until(lambda: jobs.list_jobs(), "the job's folder", timeout=10)
        listed_while_starting = starting.is_alive()
    finally:
        starting.join()
    assert listed_while_starting  # the listing fell in the two seconds
    assert listed[0].status.state is JobState.RUNNING
    done = wait_finished(jobs, started[0].id)
    assert (done.status.state, done.status.exit_code) == (JobState.EXITED, 0)
    host.close()


def test_forget_only_finished_jobs(local_jobs, local_home, tmp_path):
    release = tmp_path / "release"
    job = local_jobs.start(JobSpec(command=gated(release)))
    with pytest.raises(JobError, match="still running"):
        local_jobs.forget(job.id)
    release.touch()
    wait_finished(local_jobs, job.id)
    with pytest.raises(ReadOnlyError):
        local_jobs.forget(job.id, read_only=True)

    local_jobs.forget(job.id)

    assert not (local_home / ".awsconsole" / "jobs" / job.id).exists()
    with pytest.raises(JobNotFoundError):
        local_jobs.get(job.id)


def test_rerun_starts_a_new_job_with_the_same_spec(local_jobs, local_home):
    (local_home / "d").mkdir()
    spec = JobSpec(
        command=("sh", "-c", 'echo "$V"; exit 4'), name="again", cwd="~/d", env=(("V", "x y"),)
    )
    first = wait_finished(local_jobs, local_jobs.start(spec).id)

    second = wait_finished(local_jobs, local_jobs.rerun(first.id).id)

    assert second.id != first.id
    assert first.spec == spec
    # the same spec under a name of its own: "again" is taken on this host
    assert second.spec == dataclasses.replace(spec, name="again-2")
    assert second.status.exit_code == 4
    assert Path(second.log_path).read_text() == "x y\n"


def test_bad_input_is_refused_with_a_clear_error(local_jobs):
    with pytest.raises(JobError, match="'~/no such dir' does not exist"):
        local_jobs.start(JobSpec(command=("true",), cwd="~/no such dir"))
    with pytest.raises(JobError, match="no command"):
        local_jobs.start(JobSpec(command=()))
    with pytest.raises(JobError, match="'BAD NAME' is not a valid environment variable"):
        local_jobs.start(JobSpec(command=("true",), env=(("BAD NAME", "v"),)))
    with pytest.raises(JobError, match="has no '='"):
        parse_env(["JUSTNAME"])
    with pytest.raises(JobNotFoundError):
        local_jobs.get("../../etc")
    assert local_jobs.list_jobs() == []


def test_command_not_found_exits_127_with_a_message(local_jobs):
    job = local_jobs.start(JobSpec(command=("no-such-program-xyz", "arg")))
    done = wait_finished(local_jobs, job.id)
    assert done.status.exit_code == 127
    assert "no-such-program-xyz" in done.last_line


def test_attach_argv_names_the_live_session(local_jobs):
    job = local_jobs.start(JobSpec(command=("sleep", "600")))
    argv = local_jobs.attach_argv(job.id)
    assert argv[:3] == ["tmux", "-L", local_jobs.tmux_socket]
    assert argv[3] == "attach-session"
    target = argv[argv.index("-t") + 1]
    assert tmux(local_jobs.tmux_socket, "has-session", "-t", target).returncode == 0


@pytest.mark.slow
def test_list_fifty_jobs(local_jobs):
    started = [
        local_jobs.start(JobSpec(command=("sh", "-c", f"echo job {i}; exit {i % 5}"), name=f"n{i}"))
        for i in range(50)
    ]

    def all_finished():
        jobs = local_jobs.list_jobs()
        return all(job.status.finished for job in jobs) and jobs

    listed = wait_until(all_finished, "all 50 jobs to finish")

    assert [job.id for job in listed] == [job.id for job in started]
    assert [job.status.exit_code for job in listed] == [i % 5 for i in range(50)]
    assert [job.last_line for job in listed] == [f"job {i}" for i in range(50)]


def test_group_start_sets_torchrun_variables(local_host, tmux_socket, tmp_path):
    from console.hosts.local import LocalHost

    other_home = tmp_path / "other-home"
    other_home.mkdir()
    managers = [
        JobManager(local_host, tmux_socket=tmux_socket),
        JobManager(LocalHost(name="node1", home=str(other_home)), tmux_socket=tmux_socket),
    ]
    script = "import os; print(*(os.environ[k] for k in ('MASTER_ADDR','MASTER_PORT','NNODES','NODE_RANK')))"
    spec = JobSpec(command=(PY, "-c", script), name="ddp")

    jobs = start_group(managers, spec, master_addr="10.0.0.5", master_port=29400)

    done = [wait_finished(m, j.id) for m, j in zip(managers, jobs, strict=True)]
    assert [Path(j.log_path).read_text() for j in done] == [
        "10.0.0.5 29400 2 0\n",
        "10.0.0.5 29400 2 1\n",
    ]
    groups = group_jobs(done)
    assert list(groups) == [jobs[0].spec.group]
    assert [j.spec.node_rank for j in groups[jobs[0].spec.group]] == [0, 1]
    assert done[1].host == "node1"


def test_a_group_is_killed_as_one(local_host, tmux_socket, tmp_path):
    from console.hosts.local import LocalHost

    other_home = tmp_path / "other-home"
    other_home.mkdir()
    managers = [
        JobManager(local_host, tmux_socket=tmux_socket),
        JobManager(LocalHost(name="node1", home=str(other_home)), tmux_socket=tmux_socket),
    ]
    jobs = start_group(managers, JobSpec(command=("sleep", "600")), master_addr="127.0.0.1")
    members = list(zip(managers, jobs, strict=True))
    with pytest.raises(ReadOnlyError):
        control_group(members, "kill", read_only=True)

    assert control_group(members, "kill") == {}

    codes = [wait_finished(m, j.id).status.exit_code for m, j in members]
    assert codes == [128 + signal.SIGHUP] * 2


def test_template_from_settings():
    templates = {
        "train deepfashion": {
            "command": "python -m trainer train --epochs 2",
            "cwd": "~/work",
            "env": {"OMP_NUM_THREADS": 4},
        },
        "broken": {"command": 5},
    }
    spec = template_spec(templates, "train deepfashion")
    assert spec.command == ("python", "-m", "trainer", "train", "--epochs", "2")
    assert spec.cwd == "~/work"
    assert spec.env == (("OMP_NUM_THREADS", "4"),)
    assert spec.name == "train deepfashion"
    with pytest.raises(JobError, match="'broken'"):
        template_spec(templates, "broken")
    with pytest.raises(JobError, match="No job template 'nope'.*broken, train deepfashion"):
        template_spec(templates, "nope")


@pytest.mark.slow
def test_a_job_killed_the_moment_it_starts_still_records_how_it_ended(local_host, tmux_socket):
    """A kill right after start, while the pane's ``python3`` may still be starting (behind a
    wrapper such as pyenv's shim, a shell that a hang-up ends at once), waits until the
    runner says it is ready (runner.pid): it is recorded as SIGHUP, never as a lost job."""
    manager = JobManager(local_host, tmux_socket=tmux_socket)
    jobs = []
    for _ in range(12):
        job = manager.start(JobSpec(command=("sleep", "600")))
        manager.kill(job.id)  # at once: the runner may not have read job.json yet
        jobs.append(job)
    codes = [wait_finished(manager, job.id).status.exit_code for job in jobs]
    assert codes == [128 + signal.SIGHUP] * len(jobs)


@pytest.mark.slow
def test_a_job_interrupted_the_moment_it_starts_still_records_how_it_ended(local_host, tmux_socket):
    """Ctrl-C right after start reaches the command, not a runner still starting (whose
    terminal would turn it into SIGINT for the runner itself): the command ends by SIGINT
    and the runner records it."""
    manager = JobManager(local_host, tmux_socket=tmux_socket)
    jobs = []
    for _ in range(12):
        job = manager.start(JobSpec(command=("sleep", "600")))
        manager.interrupt(job.id)  # at once, as with the kill above
        jobs.append(job)
    codes = [wait_finished(manager, job.id).status.exit_code for job in jobs]
    assert codes == [128 + signal.SIGINT] * len(jobs)


def test_a_job_gets_its_host_variables_whichever_host_started_the_tmux_server(
    local_jobs, tmux_socket, tmp_path
):
    """Two sandbox hosts on one tmux server (the demo's instances): the first starts the
    server and keeps it up, the second's variables still reach its own job."""
    release = tmp_path / "release"
    first = local_jobs.start(JobSpec(command=gated(release), name="holds-the-server"))
    wait_until(lambda: "started" in Path(local_jobs.get(first.id).log_path).read_text(),
               "the first job to start")  # fmt: skip
    script = "import os\nprint(os.environ.get('WHOSE', 'none'), os.environ['GREETING'])\n"
    other_home = tmp_path / "other"
    other_home.mkdir()
    other_host = LocalHost(name="other", home=other_home, env={"WHOSE": "other", "GREETING": "x"})
    other_jobs = JobManager(other_host, tmux_socket=tmux_socket)
    second = other_jobs.start(JobSpec(command=(PY, "-c", script), env=(("GREETING", "b"),)))
    second_done = wait_finished(other_jobs, second.id)
    release.touch()
    wait_finished(local_jobs, first.id)

    assert Path(second_done.log_path).read_text() == "other b\n"  # the job's own env wins
    assert second_done.spec.env == (("GREETING", "b"),)  # the host's are not the job's
