"""console.jobs.directory: which hosts, every job on them, which job a reference names."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from console.errors import ConfigError
from console.format.jobs import format_duration, runtime
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
