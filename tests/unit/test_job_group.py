"""The combined status of a multi-node job group, from its members' own statuses."""

from __future__ import annotations

import datetime as dt

from console.format.jobs import status_text
from console.jobs.manager import with_groups
from console.models import Job, JobGroup, JobSpec, JobState, JobStatus

T0 = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def member(rank: int, status: JobStatus, ended_after: int | None = None, host: str = "") -> Job:
    spec = JobSpec(command=("torchrun",), name=f"ddp [node {rank}/3]", group="g1",
                   node_rank=rank, group_name="ddp", group_size=3)  # fmt: skip
    return Job(
        id=f"job-{rank}",
        host=host or f"gpu-{rank}",
        spec=spec,
        status=status,
        started=T0,
        ended=None if ended_after is None else T0 + dt.timedelta(seconds=ended_after),
    )


def group(*members: Job) -> JobGroup:
    (row,) = with_groups(members)
    assert isinstance(row, JobGroup)
    return row


RUNNING = JobStatus(JobState.RUNNING)
LOST = JobStatus(JobState.LOST)


def exited(code: int) -> JobStatus:
    return JobStatus(JobState.EXITED, code)


def test_running_while_any_node_runs():
    g = group(member(0, exited(0), 5), member(1, RUNNING), member(2, exited(1), 3))
    assert g.status == RUNNING
    assert status_text(g) == "running (1/3 nodes)"


def test_failed_with_the_first_non_zero_code_and_its_node():
    # node 2 failed first (t=3), node 0 later (t=9) with another code
    g = group(member(0, exited(137), 9), member(1, exited(0), 10), member(2, exited(1), 3))
    assert g.status == exited(1)
    assert g.failed_member.spec.node_rank == 2
    assert status_text(g) == "exited (1) on node 2 (gpu-2)"


def test_exited_zero_only_when_every_node_did():
    g = group(member(0, exited(0), 5), member(1, exited(0), 6), member(2, exited(0), 7))
    assert g.status == exited(0)
    assert status_text(g) == "exited (0)"
    assert g.ended == T0 + dt.timedelta(seconds=7)
    lost = group(member(0, exited(0), 5), member(1, LOST), member(2, exited(0), 7))
    assert lost.status == LOST
    assert status_text(lost) == "lost (node 1, gpu-1)"


def test_a_node_missing_from_the_listing_is_said():
    g = group(member(0, exited(0), 5), member(2, exited(0), 6))
    assert g.nodes == 3 and g.hosts == ("gpu-0", "gpu-2")
    assert status_text(g) == "exited (0), 1 node not found"


def test_groups_replace_their_members_in_place_and_single_jobs_stay():
    alone = Job(id="solo", host="local", spec=JobSpec(command=("true",)), status=exited(0),
                started=T0 - dt.timedelta(seconds=1))  # fmt: skip
    later = Job(id="later", host="local", spec=JobSpec(command=("true",)), status=RUNNING,
                started=T0 + dt.timedelta(seconds=1))  # fmt: skip
    rows = with_groups([alone, member(1, RUNNING), member(0, RUNNING), later])
    assert [type(row).__name__ for row in rows] == ["Job", "JobGroup", "Job"]
    assert [job.spec.node_rank for job in rows[1].members] == [0, 1]
    assert rows[1].name == "ddp" and rows[1].rank0.id == "job-0"
