"""Jobs over a real SSH connection survive the console's death and the network's."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from console.jobs.manager import JobManager
from console.models import JobState
from tests.integration.test_jobs import wait_finished, wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_console_killed_and_connection_dropped_the_remote_job_runs_on(ssh_jobs, ssh_env):
    release = f"{ssh_jobs.jobs_root}/release"
    job_script = (
        "import os, sys, time\n"
        "print('working', flush=True)\n"
        f"while not os.path.exists({release!r}): time.sleep(0.02)\n"
        "sys.exit(12)\n"
    )
    console_script = (
        "import sys, time\n"
        "from console.hosts.ssh.host import SshHost\n"
        "from console.jobs.manager import JobManager\n"
        "from console.models import JobSpec\n"
        f"host = SshHost('testhost', config_path={str(ssh_env.config_path)!r},"
        f" known_hosts_path={str(ssh_env.known_hosts_path)!r})\n"
        f"manager = JobManager(host, tmux_socket={ssh_jobs.tmux_socket!r},"
        f" jobs_root={ssh_jobs.jobs_root!r})\n"
        f"job = manager.start(JobSpec(command=('python3', '-c', {job_script!r}), name='remote'))\n"
        "print(job.id, flush=True)\n"
        "time.sleep(600)\n"
    )
    console = subprocess.Popen([sys.executable, "-c", console_script], stdout=subprocess.PIPE,
                               text=True, cwd=ROOT)  # fmt: skip
    try:
        job_id = console.stdout.readline().strip()
        assert job_id, "the console process printed no job id"
    finally:
        console.send_signal(signal.SIGKILL)
        console.wait()

    running = wait_until(
        lambda: (j := ssh_jobs.get(job_id)).last_line == "working" and j, "the job's output"
    )
    assert running.status.state is JobState.RUNNING
    assert ssh_env.server.kill_connections() > 0  # the network drops too

    again = JobManager(ssh_env.host(), tmux_socket=ssh_jobs.tmux_socket,
                       jobs_root=ssh_jobs.jobs_root)  # fmt: skip
    assert again.get(job_id).status.state is JobState.RUNNING
    again.host.write(release, b"")
    done = wait_finished(again, job_id)
    assert done.status.exit_code == 12
    assert done.spec.name == "remote"
    assert done.log_size == len(b"working\n")
