"""A copy between a host and S3 runs as ``aws s3 cp`` in a job on the host: its transfer stays
running until that job ends and then says how it ended — done, or failed with the AWS CLI's
own words — instead of "done" the moment the job started. Real jobs in real tmux on a local
host, the real AWS CLI against moto's server; the failures are real ones: no credentials in
the job's environment, an endpoint that never answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.files.transfer.engine import TransferEngine, TransferError, TransferSpec
from console.models import JobState, TransferState

AWS = os.path.join(os.path.dirname(sys.executable), "aws")
AWSCONSOLE = str(Path(sys.executable).with_name("awsconsole"))

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="model.pt", Body=b"weights" * 100)
    return "data"


def without_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS credentials anywhere the AWS CLI looks (the job's tmux server starts after
    this, with this environment)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))


def engine_on(local_host, local_jobs, s3, endpoint: str) -> TransferEngine:
    return TransferEngine(
        {"box": local_host}.__getitem__,
        lambda: s3,
        jobs_for=lambda host: local_jobs,
        aws_cli=(AWS, "--endpoint-url", endpoint),
    )


def job_of(local_jobs, job_id: str):
    return local_jobs.get(job_id)


def test_the_queue_follows_a_host_job_to_done(s3, bucket, aws_endpoint, local_host, local_jobs):
    engine = engine_on(local_host, local_jobs, s3, aws_endpoint)
    seen = []
    handle = engine.submit(TransferSpec("s3://data/model.pt", "box:~/model.pt"), seen.append)

    result = handle.result(120)

    assert result.state is TransferState.DONE, result.error
    assert result.job_id and result.job_host == "local"
    # while the job ran the transfer said so, with the job's id
    assert any(p.state is TransferState.RUNNING and p.job_id == result.job_id for p in seen)
    assert job_of(local_jobs, result.job_id).status.exit_code == 0
    assert (Path(local_host.home()) / "model.pt").read_bytes() == b"weights" * 100


def test_a_recursive_copy_of_one_object_writes_that_file(
    s3, bucket, aws_endpoint, local_host, local_jobs
):
    """ "folder (recursive)" is on by default in the transfer form: on a key that is one
    object it copies the object, not the (empty) prefix ``model.pt/`` into a new folder."""
    engine = engine_on(local_host, local_jobs, s3, aws_endpoint)
    spec = TransferSpec("s3://data/model.pt", "box:~/model.pt", recursive=True)

    result = engine.submit(spec).result(120)

    assert result.state is TransferState.DONE, result.error
    assert (Path(local_host.home()) / "model.pt").read_bytes() == b"weights" * 100


def test_a_host_job_without_credentials_is_failed_with_the_cli_words(
    s3, bucket, aws_endpoint, local_host, local_jobs, monkeypatch, tmp_path
):
    without_credentials(monkeypatch, tmp_path)
    engine = engine_on(local_host, local_jobs, s3, aws_endpoint)
    handle = engine.submit(TransferSpec("s3://data/model.pt", "box:~/model.pt"))

    result = handle.result(120)

    assert result.state is TransferState.FAILED
    assert "Unable to locate credentials" in result.error
    progress = handle.progress()
    assert progress.state is TransferState.FAILED
    assert progress.reason.startswith(f"The copy job {result.job_id} on local failed: exit status")
    assert job_of(local_jobs, result.job_id).status.exit_code not in (0, None)
    assert not (Path(local_host.home()) / "model.pt").exists()

    # ``cp`` follows the job too: the failure is raised, not a "started" line
    with pytest.raises(TransferError, match="Unable to locate credentials"):
        engine.run(TransferSpec("s3://data/model.pt", "box:~/model.pt"), follow_job=True)


@pytest.fixture
def silent_endpoint():
    """A loopback port that takes connections and never answers (an S3 that hangs)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_cancelling_a_followed_job_ends_the_job(
    s3, bucket, local_host, local_jobs, silent_endpoint
):
    engine = engine_on(local_host, local_jobs, s3, silent_endpoint)
    handle = engine.submit(TransferSpec("s3://data/model.pt", "box:~/model.pt"))
    deadline = time.monotonic() + 60
    while handle.progress().job_id is None:
        assert time.monotonic() < deadline, "the copy job did not start"
        assert not handle.future.done(), handle.future.result()
        time.sleep(0.05)
    job_id = handle.progress().job_id
    assert job_of(local_jobs, job_id).status.state is JobState.RUNNING

    handle.cancel()
    result = handle.result(60)

    assert result.state is TransferState.CANCELLED
    assert f"job {job_id} on local was ended" in result.error
    assert job_of(local_jobs, job_id).status.finished


def test_detaching_leaves_the_job_running(s3, bucket, local_host, local_jobs, silent_endpoint):
    engine = engine_on(local_host, local_jobs, s3, silent_endpoint)
    handle = engine.submit(TransferSpec("s3://data/model.pt", "box:~/model.pt"))
    deadline = time.monotonic() + 60
    while handle.progress().job_id is None:
        assert time.monotonic() < deadline, "the copy job did not start"
        time.sleep(0.05)

    handle.detach()
    result = handle.result(60)

    assert result.state is TransferState.RUNNING and result.job_id
    assert job_of(local_jobs, result.job_id).status.state is JobState.RUNNING
    local_jobs.kill(result.job_id)


# --- awsconsole cp ---------------------------------------------------------------------------


def cli(home: Path, tmux_socket: str, endpoint: str, *args: str, credentials: bool):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AWSCONSOLE_"))}
    env.update(
        HOME=str(home),
        PATH=f"{os.path.dirname(sys.executable)}:{env.get('PATH', '')}",
        AWSCONSOLE_CONFIG=str(home / "no-config.toml"),
        AWSCONSOLE_JOBS_TMUX_SOCKET=tmux_socket,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-credentials"),
        AWS_CONFIG_FILE=str(home / "no-config"),
    )
    if credentials:
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    return subprocess.run(
        [AWSCONSOLE, "--endpoint-url", endpoint, "cp", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=150,
        check=False,
    )


def test_cp_waits_for_the_job_and_says_done(bucket, aws_endpoint, tmp_path, tmux_socket):
    home = tmp_path / "home"
    home.mkdir()

    done = cli(
        home, tmux_socket, aws_endpoint, "s3://data/model.pt", "local:~/a.pt", credentials=True
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("done: job "), done.stdout
    assert (home / "a.pt").read_bytes() == b"weights" * 100


def test_cp_of_a_failing_job_fails_with_its_reason(bucket, aws_endpoint, tmp_path, tmux_socket):
    home = tmp_path / "home"
    home.mkdir()

    failed = cli(
        home, tmux_socket, aws_endpoint, "s3://data/model.pt", "local:~/b.pt", credentials=False
    )

    assert failed.returncode == 2, failed.stdout
    assert "Unable to locate credentials" in failed.stderr
    assert "done" not in failed.stdout and not (home / "b.pt").exists()

    detached = cli(
        home, tmux_socket, aws_endpoint, "s3://data/model.pt", "local:~/c.pt", "--detach",
        credentials=False,
    )  # fmt: skip
    assert detached.returncode == 0, detached.stderr
    assert detached.stdout.startswith("running: job "), detached.stdout
    assert "awsconsole logs" in detached.stdout
