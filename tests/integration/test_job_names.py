"""Job names are unique on a host: a second ``train`` is ``train-2``, a re-run too, the next
``train-3``; the nodes of a group keep theirs; and a job is named by its id wherever its name
is not enough (a name on two hosts)."""

from __future__ import annotations

import pytest

from console.errors import JobNotFoundError
from console.jobs.directory import match_job
from console.jobs.folder import free_name
from console.jobs.manager import start_group
from console.models import JobSpec
from tests.integration.test_jobs import wait_finished

pytestmark = pytest.mark.timeout(180)


def test_a_second_job_and_a_rerun_get_a_numbered_name(local_jobs):
    first = wait_finished(local_jobs, local_jobs.start(JobSpec(("true",), name="train")).id)
    second = local_jobs.start(JobSpec(("true",), name="train"))
    assert second.spec.name == "train-2"
    assert wait_finished(local_jobs, second.id).spec.name == "train-2"  # as the host has it

    again = local_jobs.rerun(first.id)
    assert again.spec.name == "train-3"
    # a re-run of train-2 is the next train, not train-2-2
    assert local_jobs.rerun(second.id).spec.name == "train-4"

    names = sorted(job.spec.name for job in local_jobs.list_jobs())
    assert names == ["train", "train-2", "train-3", "train-4"]
    # a name given as is keeps its own number
    assert local_jobs.start(JobSpec(("true",), name="resnet-50")).spec.name == "resnet-50"
    assert local_jobs.start(JobSpec(("true",), name="resnet-50")).spec.name == "resnet-50-2"
    # a job without a name has none
    assert local_jobs.start(JobSpec(("true",))).spec.name == ""
    assert local_jobs.start(JobSpec(("true",))).spec.name == ""


def test_names_are_unique_over_ssh_too(ssh_jobs):
    ssh_jobs.start(JobSpec(("true",), name="remote"))
    assert ssh_jobs.start(JobSpec(("true",), name="remote")).spec.name == "remote-2"


def test_the_nodes_of_a_group_keep_their_names(local_jobs):
    spec = JobSpec(("true",), name="pair")
    first = start_group([local_jobs, local_jobs], spec, master_addr="127.0.0.1")
    second = start_group([local_jobs, local_jobs], spec, master_addr="127.0.0.1")
    assert [job.spec.name for job in first] == [job.spec.name for job in second]
    assert [job.spec.name for job in first] == ["pair [node 0/2]", "pair [node 1/2]"]


def test_free_name_numbers_from_the_first_free_one():
    assert free_name("train", set()) == "train"
    assert free_name("train", {"train"}) == "train-2"
    assert free_name("train", {"train", "train-2", "train-3"}) == "train-4"
    assert free_name("train-2", {"train", "train-2"}) == "train-3"
    assert free_name("v-1", {"v-1"}) == "v-1-2"  # "v" was never a job here
    assert free_name("", {""}) == ""
    assert free_name("a\nb-2", {"a\nb", "a\nb-2"}) == "a\nb-3"  # any name, newlines too


def test_the_same_name_on_two_hosts_is_named_by_id(local_jobs, ssh_jobs):
    """The CLI's resolution of a reference (``match_job``): ids when a name is not enough."""
    here = local_jobs.start(JobSpec(("true",), name="twin"))
    there = ssh_jobs.start(JobSpec(("true",), name="twin"))
    assert here.spec.name == there.spec.name == "twin"  # unique per host, not everywhere
    jobs = [*local_jobs.list_jobs(), *ssh_jobs.list_jobs()]
    with pytest.raises(JobNotFoundError, match="names several jobs") as raised:
        match_job(jobs, "twin")
    assert here.id in raised.value.message and there.id in raised.value.message
    assert (match_job(jobs, here.id).id, match_job(jobs, here.id).host) == (here.id, here.host)
    assert (match_job(jobs, there.id).id, match_job(jobs, there.id).host) == (there.id, there.host)
