"""console.jobs.directory against real services: the targets a moto account offers, and every
job of the hosts on a real tmux server."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from console.errors import HostConfigError
from console.hosts import HostPool
from console.jobs import directory as job_directory
from console.jobs.manager import JobNotFoundError
from console.models import JobSpec
from console.settings import Settings


def test_known_targets_are_local_running_demo_instances_and_extra(aws_endpoint):
    import boto3

    from console.startup import build_services
    from tests.fixtures.moto_server import launch

    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint, region_name="us-east-1")
    launch(ec2, "fashion-train")
    stopped = launch(ec2, "stopped-box")
    ec2.stop_instances(InstanceIds=[stopped])
    services = build_services(Settings(endpoint_url=aws_endpoint, region="us-east-1"))
    try:
        demo = SimpleNamespace(settings=Settings(demo=True), ec2=services.ec2)
        assert job_directory.known_targets(demo, ["gpu-box", "local"]) == [
            "local",
            "fashion-train",
            "gpu-box",
        ]
        assert job_directory.known_targets(services) == ["local"]  # a real account: no guessing
    finally:
        services.close()


def test_collect_reports_an_unknown_host_and_still_lists_the_others(
    local_host, local_jobs, tmux_socket, tmp_path
):
    started = local_jobs.start(JobSpec(("true",), name="quick"))
    config = tmp_path / "config.toml"
    config.write_text(f'[jobs]\ntmux_socket = "{tmux_socket}"\n', encoding="utf-8")
    hosts = HostPool(config_path=str(tmp_path / "empty_ssh_config"))
    (tmp_path / "empty_ssh_config").write_text("", encoding="utf-8")
    hosts.register("local", local_host)
    services = SimpleNamespace(settings=Settings.load(config, environ={}), ec2=None, hosts=hosts)

    listing = job_directory.collect(services, ["no-such-alias"])

    assert [j.id for j in listing.jobs] == [started.id]
    assert listing.manager_of(listing.jobs[0]).tmux_socket == tmux_socket
    assert set(listing.errors) == {"no-such-alias"}
    assert isinstance(listing.errors["no-such-alias"], HostConfigError)
    found, manager = job_directory.find_job(services, "quick")
    assert found.id == started.id and manager.host is local_host
    with pytest.raises(JobNotFoundError, match="No job 'nope' on local"):
        job_directory.find_job(services, "nope")
