"""A job's runner shows in ``ps`` as a short line naming the job: tmux starts it from the copy
in the job's folder (``python3 -I -S JOB_DIR/runner.py JOB_DIR``), never as ``python3 -c`` with
its whole source, on this machine and over SSH, for a first run and a re-run alike."""

from __future__ import annotations

import errno
import signal
import stat
from pathlib import Path

import pytest

from console.errors import RemoteFileError
from console.jobs.manager import JobManager
from console.models import JobSpec, JobState
from tests.integration.test_jobs import wait_finished, wait_until

pytestmark = pytest.mark.timeout(180)

RUNNER_SOURCE = (Path(__file__).resolve().parents[2] / "console/jobs/runner.py").read_bytes()
#: far below the runner's source (thousands of characters), far above any real command line
SHORT_LINE = 300


def runner_pid(manager: JobManager, job_id: str) -> int:
    """The pid the job's runner wrote to ``runner.pid`` once ready (waited for)."""

    def read() -> int | None:
        try:
            text = manager.host.read_range(f"{manager.job_dir(job_id)}/runner.pid")
        except RemoteFileError as exc:
            if getattr(exc, "errno", None) != errno.ENOENT:
                raise
            return None
        return int(text) if text.strip() else None

    return wait_until(read, f"the runner of {job_id} to be ready")


def process_line(manager: JobManager, pid: int) -> str:
    """``ps -ww -o args= -p PID`` on the job's host (``-ww``: the whole line, whatever width
    ps would otherwise cut it to)."""
    result = manager.host.run(["ps", "-ww", "-o", "args=", "-p", str(pid)], timeout=30)
    assert result.ok, result.stderr
    return result.text().strip()


def assert_short_line_naming(manager: JobManager, job_id: str) -> None:
    line = process_line(manager, runner_pid(manager, job_id))
    job_dir = manager.job_dir(job_id)
    # exactly: the interpreter, its two flags, the runner's file and the job's folder (how long
    # the line is depends on where the folder is, not on the runner's source)
    interpreter, *rest = line.split(" ")
    assert interpreter == manager.python == manager.host.helper_python, line
    assert rest == ["-I", "-S", f"{job_dir}/runner.py", job_dir], line
    assert len(line) < SHORT_LINE + 2 * len(job_dir), line
    assert job_id in line
    assert "def main" not in line and "import" not in line


def test_ps_shows_the_runner_as_a_short_line_naming_the_job(any_jobs):
    job = any_jobs.start(JobSpec(command=("sleep", "600"), name="short-line"))

    assert_short_line_naming(any_jobs, job.id)
    copy = any_jobs.host.stat(f"{any_jobs.job_dir(job.id)}/runner.py")
    assert stat.S_IMODE(copy.mode) == 0o600
    assert any_jobs.host.read_range(copy.path) == RUNNER_SOURCE

    # the runner started from its copy still handles a kill: the exit code is recorded
    any_jobs.kill(job.id)
    done = wait_finished(any_jobs, job.id)
    assert done.status.exit_code == 128 + signal.SIGHUP

    again = any_jobs.rerun(job.id)
    assert again.id != job.id
    assert_short_line_naming(any_jobs, again.id)
    assert any_jobs.get(again.id).status.state is JobState.RUNNING
    any_jobs.kill(again.id)
    assert wait_finished(any_jobs, again.id).status.exit_code == 128 + signal.SIGHUP
