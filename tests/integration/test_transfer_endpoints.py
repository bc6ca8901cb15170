"""One scenario against every side a copy can have: this machine, a host over SSH (the test
sshd) and S3 (moto's server). Each endpoint lists and stats what is there, reads a range,
writes under a temporary name and publishes it only once size and SHA-256 verify, and
refuses a name from outside that would climb out of the destination.

What is put there and read back goes through the side's own tools (files here, the host's
commands, boto3), never through the endpoint under test.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import pytest
from botocore.exceptions import ClientError

from console.files.paths import UnsafeName
from console.files.transfer.endpoints import (
    Checksum,
    Endpoint,
    EntryKind,
    HostEndpoint,
    LocalEndpoint,
    S3Endpoint,
)
from console.files.transfer.errors import TransferError


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class World:
    """An endpoint rooted at a fresh folder (or prefix), and the side's own tools."""

    endpoint: Endpoint
    root: str
    #: put bytes at a name below the root
    put: Callable[[str, bytes], None]
    #: the bytes at a name below the root, None when nothing is there
    read: Callable[[str], bytes | None]
    #: every name below the root (folders too)
    names: Callable[[], set[str]]
    #: whether the side keeps permission bits
    keeps_modes: bool = True
    #: make ``NAME`` below the root a link to a folder outside it (sides with links)
    plant_link: Callable[[str], None] | None = None


def local_world(tmp_path) -> World:
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()

    def put(name: str, data: bytes) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def read(name: str) -> bytes | None:
        path = root / name
        return path.read_bytes() if path.is_file() else None

    def names() -> set[str]:
        found = set()
        for folder, dirs, files in os.walk(root):
            for name in dirs + files:
                found.add(os.path.relpath(os.path.join(folder, name), root))
        return found

    return World(
        LocalEndpoint(str(root)), str(root), put, read, names,
        plant_link=lambda name: (root / name).symlink_to(outside),
    )  # fmt: skip


def ssh_world(ssh_env, request) -> World:
    host = ssh_env.host("testhost")
    tag = uuid.uuid4().hex[:10]
    root = f"{host.home()}/endpoint-{tag}"
    outside = f"{host.home()}/outside-{tag}"
    host.makedirs(root)
    host.makedirs(outside)
    request.addfinalizer(lambda: host.run(["rm", "-rf", "--", root, outside]))

    def put(name: str, data: bytes) -> None:
        path = f"{root}/{name}"
        host.makedirs(os.path.dirname(path))
        assert host.run(["sh", "-c", 'cat > "$1"', "sh", path], stdin=data).ok

    def read(name: str) -> bytes | None:
        result = host.run(["cat", "--", f"{root}/{name}"])
        return result.stdout if result.ok else None

    def names() -> set[str]:
        result = host.run(["find", root, "-mindepth", "1", "-printf", "%P\\n"])
        assert result.ok, result.stderr
        return set(result.stdout.decode().splitlines())

    def plant_link(name: str) -> None:
        assert host.run(["ln", "-s", "--", outside, f"{root}/{name}"]).ok

    return World(HostEndpoint(host, root), root, put, read, names, plant_link=plant_link)


def s3_world(aws_endpoint) -> World:
    client = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    bucket, root = "conformance", "area"
    client.create_bucket(Bucket=bucket)

    def put(name: str, data: bytes) -> None:
        # with a SHA-256 checksum, as every upload of ours asks for (without one, S3 can
        # tell an object's size but not its SHA-256)
        client.put_object(
            Bucket=bucket, Key=f"{root}/{name}", Body=data, ChecksumAlgorithm="SHA256"
        )

    def read(name: str) -> bytes | None:
        try:
            return client.get_object(Bucket=bucket, Key=f"{root}/{name}")["Body"].read()
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "NoSuchKey"
            return None

    def names() -> set[str]:
        listed = client.list_objects_v2(Bucket=bucket, Prefix=f"{root}/").get("Contents", [])
        return {item["Key"][len(root) + 1 :] for item in listed}

    endpoint = S3Endpoint(bucket, root, lambda: client)
    return World(endpoint, root, put, read, names, keeps_modes=False)


@pytest.fixture(params=["local", "ssh", "s3"])
def world(request, tmp_path) -> World:
    if request.param == "local":
        return local_world(tmp_path)
    if request.param == "ssh":
        return ssh_world(request.getfixturevalue("ssh_env"), request)
    return s3_world(request.getfixturevalue("aws_endpoint"))


def test_an_endpoint_lists_stats_and_reads_what_is_there(world):
    endpoint = world.endpoint
    world.put("a.bin", b"abc")
    world.put("sub dir/b.bin", b"12345")
    refused: list[tuple[str, str]] = []

    listed = endpoint.walk(world.root, lambda name, reason: refused.append((name, reason)))

    assert {(item.name, item.size) for item in listed} == {("a.bin", 3), ("sub dir/b.bin", 5)}
    assert refused == []
    nested = endpoint.child(world.root, "sub dir/b.bin")
    entry = endpoint.stat(nested)
    assert entry is not None and entry.kind is EntryKind.FILE and entry.size == 5
    assert endpoint.stat(world.root).kind is EntryKind.FOLDER
    assert endpoint.is_folder(world.root) and not endpoint.is_folder(nested)
    assert endpoint.stat(endpoint.child(world.root, "missing.bin")) is None
    assert endpoint.read_range(nested, 1, 3) == b"234"
    assert endpoint.checksum(nested) == Checksum(5, sha256(b"12345"))


def test_a_file_is_written_under_a_temporary_name_and_renamed_once_it_verifies(world):
    endpoint = world.endpoint
    data = os.urandom(100_000)
    final = endpoint.child(world.root, "model.pt")
    pending = endpoint.start(final, "/source/model.pt")
    assert endpoint.split(pending.temp)[0] == endpoint.split(final)[0]  # beside it
    assert pending.temp != final

    endpoint.write(pending, data)
    assert world.read("model.pt") is None  # nothing under the final name before the commit
    endpoint.flush(pending)
    endpoint.commit(pending, mode=0o640, size=len(data), sha256=sha256(data))

    assert world.read("model.pt") == data
    assert world.names() == {"model.pt"}  # the temporary name is gone
    assert endpoint.checksum(final) == Checksum(len(data), sha256(data))
    entry = endpoint.stat(final)
    assert entry.kind is EntryKind.FILE and entry.size == len(data)
    if world.keeps_modes:
        assert entry.mode == 0o640


@pytest.mark.parametrize(
    ("size_change", "claimed"), [(0, b"other bytes!!"), (1, None)], ids=["sha256", "size"]
)
def test_a_copy_that_does_not_verify_is_never_published(world, size_change, claimed):
    endpoint = world.endpoint
    data = b"the real bytes"
    final = endpoint.child(world.root, "copy.bin")
    pending = endpoint.start(final, "/source/copy.bin")
    endpoint.write(pending, data)

    with pytest.raises(TransferError, match=re.escape(endpoint.label(final))):
        endpoint.commit(
            pending,
            mode=0o644,
            size=len(data) + size_change,
            sha256=sha256(claimed) if claimed else None,
        )

    assert world.read("copy.bin") is None
    endpoint.discard(pending)
    assert world.names() == set()


def test_every_endpoint_refuses_a_name_that_climbs_out(world):
    endpoint = world.endpoint
    names = ["ok.bin", "../up.bin", "sub/../../up.bin", "/etc/passwd", "a//b", "./img/x.jpg"]

    refused = endpoint.admit(world.root, names)

    assert set(refused) == {1, 2, 3, 4}
    assert "'..'" in refused[1] and "absolute" in refused[3] and "empty" in refused[4]
    assert endpoint.place(world.root, "ok.bin") == endpoint.child(world.root, "ok.bin")
    assert world.names() == set()  # judging names writes nothing


def refusal(endpoint: Endpoint, root: str, name: str) -> str | None:
    """Why ``endpoint`` will not write ``name`` below ``root``, when it was planned or when
    it was about to be written; None when it will."""
    reasons = endpoint.admit(root, [name])
    if reasons:
        return reasons[0]
    try:
        endpoint.place(root, name)
    except UnsafeName as exc:
        return exc.reason
    return None


@pytest.mark.parametrize("world", ["local", "ssh"], indirect=True)
def test_a_name_below_a_link_that_leads_out_is_refused(world):
    world.plant_link("planted")

    assert refusal(world.endpoint, world.root, "planted/x.bin") == (
        "a link on its path leads outside the destination"
    )
    assert refusal(world.endpoint, world.root, "fresh/x.bin") is None


def test_a_copy_from_this_machine_as_a_host_to_s3_runs_as_a_job_on_that_host(
    aws_endpoint, local_host, local_jobs
):
    """The side that is a host says where the job runs, whichever side of the copy it is."""
    import sys
    import time

    from console.files.transfer.engine import TransferEngine, TransferSpec
    from console.models import TransferState

    client = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="jobs")
    asked: list = []

    def jobs_for(host):
        asked.append(host)
        return local_jobs

    aws = os.path.join(os.path.dirname(sys.executable), "aws")
    engine = TransferEngine(
        {"box": local_host}.__getitem__, lambda: client, jobs_for=jobs_for,
        aws_cli=(aws, "--endpoint-url", aws_endpoint),
    )  # fmt: skip
    local_host.write("~/weights.pt", b"weights")

    def finished(job_id: str):
        deadline = time.monotonic() + 90
        while not (job := local_jobs.get(job_id)).status.finished:
            assert time.monotonic() < deadline, f"the job {job_id} did not finish"
            time.sleep(0.2)
        return job

    up = engine.run(TransferSpec("box:~/weights.pt", "s3://jobs/weights.pt"))
    assert up.state is TransferState.RUNNING and asked == [local_host]
    assert finished(up.job_id).status.exit_code == 0
    assert client.get_object(Bucket="jobs", Key="weights.pt")["Body"].read() == b"weights"

    down = engine.run(TransferSpec("s3://jobs/weights.pt", "box:~/back.pt"))
    assert asked == [local_host, local_host]
    assert finished(down.job_id).status.exit_code == 0
    assert local_host.read_range("~/back.pt") == b"weights"
