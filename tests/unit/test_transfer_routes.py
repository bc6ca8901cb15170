"""Which way a copy goes is decided by the pair of endpoint types, in one table; this
machine reached as a host falls back to this machine's routes except towards S3."""

from __future__ import annotations

import pytest

from console.files.transfer.copiers import BlockCopy, S3Download, S3Upload
from console.files.transfer.endpoints import (
    HostEndpoint,
    LocalEndpoint,
    LocalHostEndpoint,
    S3Endpoint,
    endpoint_for,
)
from console.files.transfer.errors import TransferError
from console.files.transfer.host_copiers import HostDownload, HostUpload
from console.files.transfer.host_s3_job import HostToS3Job, S3ToHostJob
from console.files.transfer.routes import route_for
from console.files.transfer.spec import parse_location
from console.hosts.local import LocalHost
from console.hosts.ssh.host import SshHost


@pytest.fixture
def sides(tmp_path):
    """One endpoint of each kind (none of them is asked anything here)."""
    sandbox = LocalHost("box", home=tmp_path)
    config = tmp_path / "ssh_config"
    config.write_text("Host gpu1\n    HostName 127.0.0.1\n")
    remote = SshHost("gpu1", config_path=str(config))  # connects only when used
    hosts = {"box": sandbox, "gpu1": remote}
    return {
        text: endpoint_for(parse_location(text), hosts.__getitem__, None)
        for text in ("/data/x", "box:~/x", "gpu1:/data/x", "s3://bucket/x")
    }


def test_a_location_becomes_the_endpoint_of_its_kind(sides, tmp_path):
    assert type(sides["/data/x"]) is LocalEndpoint
    assert type(sides["box:~/x"]) is LocalHostEndpoint
    assert sides["box:~/x"].path == str(tmp_path / "x")  # the sandbox's ~
    assert type(sides["gpu1:/data/x"]) is HostEndpoint
    assert type(sides["s3://bucket/x"]) is S3Endpoint


@pytest.mark.parametrize(
    ("source", "destination", "copier"),
    [
        ("/data/x", "/data/x", BlockCopy),
        ("/data/x", "box:~/x", BlockCopy),
        ("box:~/x", "/data/x", BlockCopy),
        ("/data/x", "gpu1:/data/x", HostUpload),
        ("box:~/x", "gpu1:/data/x", HostUpload),
        ("gpu1:/data/x", "/data/x", HostDownload),
        ("gpu1:/data/x", "box:~/x", HostDownload),
        ("/data/x", "s3://bucket/x", S3Upload),
        ("s3://bucket/x", "/data/x", S3Download),
    ],
)
def test_files_go_with_the_copier_of_their_pair(sides, source, destination, copier):
    route = route_for(sides[source], sides[destination])
    assert route.copier is copier and route.job is None and route.refusal is None


@pytest.mark.parametrize(
    ("source", "destination", "job"),
    [
        ("gpu1:/data/x", "s3://bucket/x", HostToS3Job),
        ("s3://bucket/x", "gpu1:/data/x", S3ToHostJob),
        # this machine as a host: the copy runs there as a job, as on any host
        ("box:~/x", "s3://bucket/x", HostToS3Job),
        ("s3://bucket/x", "box:~/x", S3ToHostJob),
    ],
)
def test_a_host_and_s3_copy_runs_as_a_job_on_the_host(sides, source, destination, job):
    route = route_for(sides[source], sides[destination])
    assert route.job is job and route.copier is None


@pytest.mark.parametrize(
    ("source", "destination", "words"),
    [
        ("gpu1:/data/x", "gpu1:/data/x", "one host to another"),
        ("s3://bucket/x", "s3://bucket/x", "S3 to S3"),
    ],
)
def test_pairs_without_a_way_are_refused_with_a_reason(sides, source, destination, words):
    assert words in route_for(sides[source], sides[destination]).refusal


def test_an_s3_destination_with_a_dotdot_segment_is_refused_before_any_route():
    with pytest.raises(TransferError, match="'..' segment"):
        S3Endpoint("bucket", "a/../b", None).check_destination()
    S3Endpoint("bucket", "a/..b", None).check_destination()  # a name, not a segment
