"""Which job a process belongs to: a real job in real tmux, its pane and its children."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psutil
import pytest

from console.gpu import jobs_by_process_tree
from console.models import JobSpec
from tests.fixtures.tmux_server import tmux

pytestmark = pytest.mark.timeout(60)


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


def started_child(pidfile: Path) -> int:
    """The pid the job's shell wrote once its background child was started."""
    text = wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), "the pid file")
    return int(text)


def test_a_job_pane_and_its_child_processes_map_to_the_job(local_jobs, local_host, tmp_path):
    pidfile = tmp_path / "pidfile"
    spec = JobSpec(command=("sh", "-c", f"sleep 60 & echo $! > {pidfile}; wait"), name="gpu-job")
    job = local_jobs.start(spec)
    child = started_child(pidfile)

    roots = local_jobs.pane_roots()

    # the pane tmux itself reports for the job's session, mapped to that job
    shown = tmux(local_jobs.tmux_socket, "list-panes", "-t", f"={job.session}", "-F", "#{pane_pid}")
    pane_pid = int(shown.stdout.split()[0])
    assert roots == {pane_pid: job.id}
    # and that pane really is where the job's command runs: an ancestor of its child
    assert pane_pid in {parent.pid for parent in psutil.Process(child).parents()}

    lookup = jobs_by_process_tree(local_host, local_jobs.pane_roots)
    # the child belongs to the job; this test's own process belongs to none
    assert lookup([child, os.getpid()]) == {child: job.id}


def test_each_of_two_jobs_keeps_its_own_processes(local_jobs, local_host, tmp_path):
    children = {}
    for name in ("first", "second"):
        pidfile = tmp_path / f"{name}.pid"
        spec = JobSpec(command=("sh", "-c", f"sleep 60 & echo $! > {pidfile}; wait"), name=name)
        job = local_jobs.start(spec)
        children[job.id] = started_child(pidfile)

    assert sorted(local_jobs.pane_roots().values()) == sorted(children)
    lookup = jobs_by_process_tree(local_host, local_jobs.pane_roots)
    assert lookup(list(children.values())) == {pid: job_id for job_id, pid in children.items()}


def test_sessions_that_are_not_jobs_are_left_out(local_jobs):
    made = tmux(local_jobs.tmux_socket, "new-session", "-d", "-s", "my notes", "sleep", "60")
    assert made.returncode == 0, made.stderr
    assert local_jobs.pane_roots() == {}


def test_no_tmux_server_means_no_pane_roots(local_jobs, tmp_path):
    assert local_jobs.pane_roots() == {}  # nothing ever started on this socket

    pidfile = tmp_path / "pidfile"
    job = local_jobs.start(JobSpec(command=("sh", "-c", f"echo $$ > {pidfile}; sleep 60")))
    started_child(pidfile)
    assert list(local_jobs.pane_roots().values()) == [job.id]
    local_jobs.kill(job.id)  # the last session: the server goes away with it
    wait_until(lambda: local_jobs.pane_roots() == {}, "the killed job's pane to go")
