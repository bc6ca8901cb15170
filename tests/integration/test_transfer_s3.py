"""Transfers between this machine and S3 (moto's server over HTTP), checked with checksums."""

from __future__ import annotations

import base64
import hashlib
import os
import threading

import boto3
import pytest

from console.files.transfer.engine import (
    Policy,
    TransferCancelled,
    TransferEngine,
    TransferError,
    TransferSpec,
)
from console.models import TransferState


@pytest.fixture
def s3(aws_endpoint):
    client = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="data")
    return client


@pytest.fixture
def engine(s3):
    return TransferEngine(lambda name: pytest.fail(f"no host {name}"), lambda: s3)


def sha256(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.mark.parametrize("size", [200_000, 40 * 1024 * 1024], ids=["single-part", "multipart"])
def test_upload_and_download_verify_checksums(engine, s3, tmp_path, size):
    source = tmp_path / "model.pt"
    source.write_bytes(os.urandom(size))
    up = engine.run(TransferSpec(str(source), "s3://data/runs/model.pt"))
    assert up.state is TransferState.DONE and up.verified == "s3-sha256"
    head = s3.head_object(Bucket="data", Key="runs/model.pt", ChecksumMode="ENABLED")
    if size < 16 * 1024 * 1024:
        expected = base64.b64encode(hashlib.sha256(source.read_bytes()).digest()).decode()
        assert head["ChecksumSHA256"] == expected
    assert head["ContentLength"] == size

    back = tmp_path / "back"
    back.mkdir()
    down = engine.run(TransferSpec("s3://data/runs/model.pt", f"{back}/"))
    assert down.state is TransferState.DONE
    assert sha256(back / "model.pt") == sha256(source)
    assert [p.name for p in back.iterdir()] == ["model.pt"]


def test_folder_to_s3_and_back_with_skip_policy(engine, s3, tmp_path):
    tree = tmp_path / "dataset"
    (tree / "img dir").mkdir(parents=True)
    for index in range(3):
        (tree / "img dir" / f"it's {index}.jpg").write_bytes(os.urandom(1000 + index))
    (tree / "list.txt").write_text("a\nb\n")
    engine.run(TransferSpec(str(tree), "s3://data/sets/", recursive=True))
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="data")["Contents"])
    assert keys == ["sets/dataset/img dir/it's 0.jpg", "sets/dataset/img dir/it's 1.jpg",
                    "sets/dataset/img dir/it's 2.jpg", "sets/dataset/list.txt"]  # fmt: skip
    again = engine.run(TransferSpec(str(tree), "s3://data/sets/", recursive=True))
    assert again.state is TransferState.SKIPPED and again.files_skipped == 4

    (tree / "list.txt").write_text("changed\n")
    with pytest.raises(TransferError, match="already exists and differs"):
        engine.run(TransferSpec(str(tree / "list.txt"), "s3://data/sets/dataset/list.txt"))
    engine.run(
        TransferSpec(str(tree / "list.txt"), "s3://data/sets/dataset/list.txt",
                     policy=Policy.KEEP_BOTH)
    )  # fmt: skip
    body = s3.get_object(Bucket="data", Key="sets/dataset/list (1).txt")["Body"].read()
    assert body == b"changed\n"

    out = tmp_path / "out"
    out.mkdir()
    engine.run(TransferSpec("s3://data/sets/dataset", str(out), recursive=True))
    assert sha256(out / "dataset" / "img dir" / "it's 2.jpg") == sha256(
        tree / "img dir" / "it's 2.jpg"
    )


def test_missing_object_is_named(engine, tmp_path):
    with pytest.raises(TransferError, match="s3://data/nope.bin does not exist"):
        engine.run(TransferSpec("s3://data/nope.bin", str(tmp_path)))
    assert list(tmp_path.iterdir()) == []


def test_cancelled_download_leaves_no_file(engine, s3, tmp_path):
    s3.put_object(Bucket="data", Key="big.bin", Body=os.urandom(48 * 1024 * 1024))
    cancel = threading.Event()

    def on_progress(progress):
        # the first report comes as the transfer starts (reports are throttled, and on a
        # quiet machine the next one may only come when all 48 MiB have arrived)
        if progress.state is TransferState.RUNNING:
            cancel.set()

    with pytest.raises(TransferCancelled):
        engine.run(TransferSpec("s3://data/big.bin", str(tmp_path)), on_progress, cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def wait_for_job(jobs, job_id, timeout=90.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.get(job_id)
        if job.status.finished:
            return job
        time.sleep(0.2)
    pytest.fail(f"the job {job_id} did not finish")


def test_host_to_s3_runs_as_a_job_on_the_host(s3, aws_endpoint, local_host, local_jobs):
    import sys

    aws = os.path.join(os.path.dirname(sys.executable), "aws")
    engine = TransferEngine(
        lambda name: {"box": local_host}[name],
        lambda: s3,
        jobs_for=lambda host: local_jobs,
        aws_cli=(aws, "--endpoint-url", aws_endpoint),
    )
    local_host.makedirs("~/run dir")
    local_host.write("~/run dir/model.pt", b"weights" * 1000)
    result = engine.run(TransferSpec("box:~/run dir/model.pt", "s3://data/models/model.pt"))
    assert result.job_id is not None and result.state is TransferState.RUNNING
    job = wait_for_job(local_jobs, result.job_id)
    assert job.status.exit_code == 0, local_host.read_range(job.log_path).decode()
    body = s3.get_object(Bucket="data", Key="models/model.pt")["Body"].read()
    assert body == b"weights" * 1000

    back = engine.run(TransferSpec("s3://data/models/model.pt", "box:~/copy.pt"))
    assert wait_for_job(local_jobs, back.job_id).status.exit_code == 0
    assert local_host.read_range("~/copy.pt") == b"weights" * 1000


def test_the_bucket_root_takes_a_file_and_gives_back_every_object(engine, s3, tmp_path):
    # `cp FILE s3://bucket/` once sent head-object an empty key ("Parameter validation failed")
    note = tmp_path / "note.txt"
    note.write_bytes(b"to the bucket's root\n")
    up = engine.run(TransferSpec(str(note), "s3://data/"))
    s3.put_object(Bucket="data", Key="deep/er.txt", Body=b"below")
    whole = tmp_path / "whole"
    whole.mkdir()
    down = engine.run(TransferSpec("s3://data/", f"{whole}/", recursive=True))
    with pytest.raises(TransferError, match="no-such-bucket"):
        engine.run(TransferSpec(str(note), "s3://no-such-bucket/"))

    assert up.state is TransferState.DONE
    assert s3.get_object(Bucket="data", Key="note.txt")["Body"].read() == note.read_bytes()
    assert down.state is TransferState.DONE and down.files_copied == 2
    # the bucket's root copied into a folder is named by its bucket, as `cp -r src dst/` is
    copied = sorted(str(p.relative_to(whole)) for p in whole.rglob("*") if p.is_file())
    assert copied == ["data/deep/er.txt", "data/note.txt"]
    assert (whole / "data" / "deep" / "er.txt").read_bytes() == b"below"
