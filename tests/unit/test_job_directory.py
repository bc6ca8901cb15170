"""console.jobs.directory: which hosts, every job on them, which job a reference names."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from console.errors import ConfigError, HostConfigError
from console.format.jobs import format_duration, runtime
from console.hosts import HostPool
from console.jobs import directory as job_directory
from console.jobs.manager import JobNotFoundError
from console.models import Job, JobSpec, JobState, JobStatus
from console.settings import Settings

T0 = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def job(job_id: str, name: str = "", host: str = "local", state=JobState.RUNNING, **kw) -> Job:
    status = JobStatus(state, 0 if state is JobState.EXITED else None)
    return Job(id=job_id, host=host, spec=JobSpec(("true",), name=name), status=status,
               started=kw.pop("started", T0), **kw)  # fmt: skip


JOBS = [
    job("20261126-120000-train-aaaa", "train"),
    job("20261126-120500-train-bbbb", "train"),
    job("20261126-121000-eval-cccc", "eval"),
]


def test_match_by_id_prefix_and_name():
    assert job_directory.match_job(JOBS, "20261126-121000-eval-cccc") is JOBS[2]
    assert job_directory.match_job(JOBS, "20261126-1205") is JOBS[1]
    assert job_directory.match_job(JOBS, "eval") is JOBS[2]
    assert job_directory.match_job(JOBS, "nothing") is None


def test_an_ambiguous_reference_names_the_candidates():
    with pytest.raises(JobNotFoundError) as raised:
        job_directory.match_job(JOBS, "train")
    assert "local:20261126-120000-train-aaaa" in str(raised.value)
    assert "local:20261126-120500-train-bbbb" in str(raised.value)
    with pytest.raises(JobNotFoundError, match="names several jobs"):
        job_directory.match_job(JOBS, "20261126-12")


def test_runtime_and_its_format():
    running = job("a", started=T0)
    assert runtime(running, now=T0 + dt.timedelta(seconds=3725)).seconds == 3725
    ended = job("b", state=JobState.EXITED, started=T0, ended=T0 + dt.timedelta(minutes=2))
    assert format_duration(runtime(ended)) == "0:02:00"
    lost = job("c", state=JobState.LOST)
    assert runtime(lost) == dt.timedelta(0)
    assert format_duration(dt.timedelta(hours=27, seconds=5)) == "27:00:05"


def test_known_targets_are_local_running_demo_instances_and_extra(aws_endpoint):
    import boto3

    from console.startup import build_services
    from tests.ui.conftest import launch

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


def test_configured_hosts_come_from_the_jobs_table(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[jobs]\nhosts = ["gpu-box", "trainer@10.0.0.5:2222"]\n', encoding="utf-8")
    services = SimpleNamespace(settings=Settings.load(config, environ={}), ec2=None)
    assert job_directory.known_targets(services, ["gpu-box", "other"]) == [
        "local",
        "gpu-box",
        "trainer@10.0.0.5:2222",
        "other",
    ]
    config.write_text('[jobs]\nhosts = "gpu-box"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[jobs\] hosts"):  # named when the settings load
        Settings.load(config, environ={})


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
