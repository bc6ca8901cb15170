"""Multi-node job groups in real tmux: one node on this machine, one behind the real sshd.

Each node gets MASTER_ADDR / MASTER_PORT / NNODES / NODE_RANK of its own; the group is
listed as one, controlled as one, and its combined status follows the rules of
``console.models.JobGroup``.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from console.errors import ReadOnlyError
from console.format.jobs import status_text
from console.jobs.manager import (
    JobError,
    JobManager,
    control_group,
    forget_group,
    list_all,
    master_address,
    rerun_group,
    start_group,
    with_groups,
)
from console.models import JobGroup, JobSpec, JobState
from tests.fixtures.tmux_server import tmux
from tests.integration.test_jobs import wait_finished, wait_until

pytestmark = pytest.mark.timeout(180)

TORCHRUN_ENV = ("MASTER_ADDR", "MASTER_PORT", "NNODES", "NODE_RANK")
#: prints the torchrun variables it was given, as JSON (python3 of whichever host runs it)
PRINT_ENV = (
    "python3",
    "-c",
    f"import json, os; print(json.dumps({{k: os.environ[k] for k in {TORCHRUN_ENV!r}}}))",
)


def group_of(managers) -> JobGroup:
    jobs, errors = list_all(managers)
    assert errors == {}
    (row,) = with_groups(jobs)
    assert isinstance(row, JobGroup)
    return row


def read_log(manager: JobManager, path: str) -> str:
    return manager.host.read_range(path).decode()


@pytest.fixture
def other_local_jobs(tmp_path, tmux_socket):
    """A second sandboxed local host ("node1") on the test's tmux socket."""
    from console.hosts.local import LocalHost

    home = tmp_path / "node1-home"
    home.mkdir()
    return JobManager(LocalHost(name="node1", home=str(home)), tmux_socket=tmux_socket)


def test_each_node_gets_its_own_torchrun_environment(local_jobs, ssh_jobs):
    managers = [local_jobs, ssh_jobs]
    address = master_address(local_jobs.host)
    assert address == "127.0.0.1"  # this machine: the other node is this machine too

    started = start_group(managers, JobSpec(command=PRINT_ENV, name="ddp env"),
                          master_addr=address, master_port=29411)  # fmt: skip

    done = [wait_finished(m, j.id) for m, j in zip(managers, started, strict=True)]
    envs = [json.loads(read_log(m, j.log_path)) for m, j in zip(managers, done, strict=True)]
    assert envs == [
        {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29411", "NNODES": "2", "NODE_RANK": "0"},
        {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29411", "NNODES": "2", "NODE_RANK": "1"},
    ]
    group = group_of(managers)
    assert group.name == "ddp env" and group.nodes == 2
    assert group.hosts == (local_jobs.host.name, ssh_jobs.host.name)
    assert [job.spec.name for job in group.members] == ["ddp env [node 0/2]", "ddp env [node 1/2]"]
    assert status_text(group) == "exited (0)"


#: what each torchrun worker learns of the whole run, written where the test can read it
WORKER = """
import torch
import torch.distributed as dist
dist.init_process_group("gloo")
value = torch.tensor([dist.get_rank() + 1])
dist.all_reduce(value)
print("rank", dist.get_rank(), "of", dist.get_world_size(), "sum", int(value.item()), flush=True)
dist.destroy_process_group()
"""


@pytest.mark.slow
def test_a_plain_torchrun_on_two_nodes_joins_one_run(local_jobs, other_local_jobs, tmp_path):
    """No --nnodes/--node-rank/--master-addr flags: torchrun takes them from the group's
    PET_* variables, and the two nodes' workers meet in one gloo run of world size 2."""
    import socket
    import sys

    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    with socket.socket() as probe:  # a free port for the rendezvous
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    managers = [local_jobs, other_local_jobs]
    command = (sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "1", str(script))
    started = start_group(managers, JobSpec(command=command, name="ddp"), master_addr="127.0.0.1",
                          master_port=port)  # fmt: skip
    done = [
        wait_until(lambda m=m, j=j: (job := m.get(j.id)).status.finished and job, "a node to finish", 150)
        for m, j in zip(managers, started, strict=True)
    ]
    logs = [read_log(m, j.log_path) for m, j in zip(managers, done, strict=True)]
    assert [(j.status.state, j.status.exit_code) for j in done] == [(JobState.EXITED, 0)] * 2, logs
    # rank 0 on node 0, rank 1 on node 1; all_reduce of (rank + 1) over both is 1 + 2
    assert "rank 0 of 2 sum 3" in logs[0], logs
    assert "rank 1 of 2 sum 3" in logs[1], logs


def test_the_master_address_of_an_ssh_host_is_its_own_first_address(ssh_jobs):
    # the sshd runs on this machine: its `hostname -I` is this machine's
    expected = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    assert master_address(ssh_jobs.host) == expected[0]


def test_a_group_on_two_hosts_is_killed_as_one_and_refused_read_only(local_jobs, ssh_jobs):
    managers = [local_jobs, ssh_jobs]
    started = start_group(managers, JobSpec(command=("sleep", "600"), name="long"),
                          master_addr="127.0.0.1")  # fmt: skip
    members = list(zip(managers, started, strict=True))
    wait_until(lambda: group_of(managers).status.state is JobState.RUNNING, "the group to run")

    with pytest.raises(ReadOnlyError, match="'long'"):
        control_group(members, "kill", read_only=True)
    with pytest.raises(JobError, match="still running.*node 0.*node 1"):
        forget_group(members)
    assert status_text(group_of(managers)) == "running"

    assert control_group(members, "kill") == {}

    codes = [wait_finished(m, j.id).status.exit_code for m, j in members]
    assert codes == [128 + signal.SIGHUP] * 2
    assert group_of(managers).status.exit_code == 128 + signal.SIGHUP


def test_combined_status_follows_the_first_failing_node(local_jobs, other_local_jobs, tmp_path):
    release = tmp_path / "release"
    # node 0 waits for the release file, then exits 0; node 1 fails at once with 3
    script = (
        "import os, sys, time\n"
        "if os.environ['NODE_RANK'] == '1': sys.exit(3)\n"
        f"while not os.path.exists({str(release)!r}): time.sleep(0.02)\n"
    )
    managers = [local_jobs, other_local_jobs]
    started = start_group(managers, JobSpec(command=("python3", "-c", script), name="flaky"),
                          master_addr="127.0.0.1")  # fmt: skip
    wait_finished(other_local_jobs, started[1].id)

    running = group_of(managers)
    assert running.status.state is JobState.RUNNING
    assert status_text(running) == "running (1/2 nodes)"

    release.touch()
    wait_finished(local_jobs, started[0].id)
    failed = group_of(managers)
    assert failed.status.state is JobState.EXITED and failed.status.exit_code == 3
    assert status_text(failed) == "exited (3) on node 1 (node1)"


def test_rerun_starts_the_group_again_and_forget_removes_every_node(local_jobs, ssh_jobs):
    managers = [local_jobs, ssh_jobs]
    first = start_group(managers, JobSpec(command=PRINT_ENV, name="again", env=(("X", "1"),)),
                        master_addr="10.1.2.3", master_port=29500)  # fmt: skip
    for manager, job in zip(managers, first, strict=True):
        wait_finished(manager, job.id)
    members = [(m, m.get(j.id)) for m, j in zip(managers, first, strict=True)]

    second = rerun_group(members)

    assert second[0].spec.group != first[0].spec.group
    assert [(j.host, j.spec.node_rank, j.spec.name) for j in second] == [
        (j.host, j.spec.node_rank, j.spec.name) for j in first
    ]
    assert [dict(j.spec.env) for j in second] == [dict(j.spec.env) for j in first]
    for manager, job in zip(managers, second, strict=True):
        wait_finished(manager, job.id)
    assert forget_group(members, read_only=False) == {}
    remaining = with_groups(list_all(managers)[0])
    assert [row.id for row in remaining] == [second[0].spec.group]
    assert not Path(first[0].log_path).exists()
    with pytest.raises(JobError, match="node 1 is not listed"):
        rerun_group(members[:1])


def test_a_node_that_cannot_start_takes_the_started_ones_down(local_jobs, other_local_jobs):
    # node 1's working directory does not exist there: node 0 must not be left running
    Path(local_jobs.expand("~/work")).mkdir()
    spec = JobSpec(command=("sleep", "600"), name="half", cwd="~/work")
    with pytest.raises(JobError, match="'~/work' does not exist on node1"):
        start_group([local_jobs, other_local_jobs], spec, master_addr="127.0.0.1")
    assert local_jobs.list_jobs() == []  # nothing left to show as a job
    assert "half" not in tmux(local_jobs.tmux_socket, "list-sessions").stdout
