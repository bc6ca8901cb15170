"""Read-only means read-only at the services, whoever calls.

Every backend member a Protocol of ``console.services`` marks ``@changes`` is called here
through the real bundle (``build_services`` against moto's server, jobs in real tmux on a
sandboxed local host, s3fs where installed) while the console is read-only: each is refused
with ReadOnlyError and nothing changed (instance state, objects, files, tmux sessions, job
folders, mounts). The members are enumerated from the Protocols' markers, and every public
method of every backend class must be classified: a new method fails here until it is.
"""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from console import cli
from console.aws.ec2.launch import Launcher
from console.aws.ec2.quotas import QuotaService
from console.aws.ec2.service import Ec2Service
from console.aws.s3.service import S3Service
from console.demo.environment import DemoEc2Service
from console.errors import ReadOnlyError
from console.files.mount import Credentials, list_mounts, mount, parse_proc_mounts
from console.files.transfer.engine import Policy, TransferEngine, TransferSpec
from console.jobs.manager import JobManager, start_group
from console.logs.follower import HostLog
from console.models import JobGroup, JobSpec, JobState, LaunchRequest, MountOptions
from console.services import (
    CompletionBackend,
    Ec2Backend,
    FilesBackend,
    JobManagerBackend,
    JobsBackend,
    LaunchBackend,
    LogReader,
    MonitorsBackend,
    MountsBackend,
    QuotaBackend,
    S3Backend,
    Services,
    TransferQueue,
)
from console.services.backends import HostFiles, HostJobs, HostMounts
from console.services.completion import HostCompletion
from console.services.guard import Guarded, declared, effect_of
from console.services.monitoring import HostMonitors
from console.services.s3_files import S3Files
from console.settings import Settings
from console.startup import build_services
from tests.fixtures.tmux_server import tmux
from tests.integration.test_jobs import wait_finished, wait_until

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "guarded-data"
KEY = "img/shirt.txt"
BODY = b"a blue shirt\n"

#: every Protocol the bundle hands out, with the classes that implement it
BACKENDS: dict[type, list[type]] = {
    Ec2Backend: [Ec2Service, DemoEc2Service],
    LaunchBackend: [Launcher],
    QuotaBackend: [QuotaService],
    S3Backend: [S3Files],
    JobManagerBackend: [JobManager],
    JobsBackend: [HostJobs],
    TransferQueue: [TransferEngine],
    FilesBackend: [HostFiles],
    MountsBackend: [HostMounts],
    MonitorsBackend: [HostMonitors],
    LogReader: [HostLog],
    CompletionBackend: [HostCompletion],
}
#: what ``Services`` hands out directly
BUNDLE = {"ec2": Ec2Backend, "s3": S3Backend, "jobs": JobsBackend, "files": FilesBackend,
          "mounts": MountsBackend, "monitors": MonitorsBackend,
          "completion": CompletionBackend}  # fmt: skip


def changes_members() -> set[tuple[str, str]]:
    return {
        (protocol.__name__, name)
        for protocol in BACKENDS
        for name, effect in declared(protocol).items()
        if effect is not None and effect.kind == "changes"
    }


def public_members(cls: type) -> set[str]:
    return {
        name
        for name, value in inspect.getmembers(cls)
        if not name.startswith("_")
        and (callable(value) or isinstance(inspect.getattr_static(cls, name), property))
    }


# --- the classification ---------------------------------------------------------------------


def test_every_protocol_handed_out_is_listed_here():
    reachable, todo = set(), list(BUNDLE.values())
    while todo:
        protocol = todo.pop()
        if protocol in reachable:
            continue
        reachable.add(protocol)
        todo += [e.protocol for e in declared(protocol).values() if e and e.kind == "hands_out"]
    # JobsBackend hands out JobManagerBackend also inside listings and found jobs
    assert reachable == set(BACKENDS)


def test_every_member_of_every_protocol_is_classified():
    unclassified = {
        f"{protocol.__name__}.{name}"
        for protocol in BACKENDS
        for name, effect in declared(protocol).items()
        if effect is None
    }
    assert unclassified == set()


def test_every_public_member_of_every_backend_class_is_classified():
    unclassified = {
        f"{cls.__name__}.{name} (add it to {protocol.__name__} with @reads or @changes)"
        for protocol, classes in BACKENDS.items()
        for cls in classes
        for name in public_members(cls) - set(declared(protocol))
    }
    assert unclassified == set()


def test_a_change_is_declared_with_the_parameters_of_the_method_it_guards():
    """The guard reads a call's arguments by the Protocol's signature: it must be the
    method's own (names, order, defaults)."""
    for protocol, classes in BACKENDS.items():
        for name, effect in declared(protocol).items():
            if effect is None or effect.kind != "changes":
                continue
            wanted = inspect.signature(getattr(protocol, name)).parameters
            for cls in classes:
                found = inspect.signature(getattr(cls, name)).parameters
                assert [(p.name, p.kind, p.default) for p in found.values()] == [
                    (p.name, p.kind, p.default) for p in wanted.values()
                ], f"{cls.__name__}.{name}"


def test_the_bundle_hands_out_guarded_backends_only(tmp_path):
    services = Services(Settings(), S3Service.__new__(S3Service), S3Files(S3Service.__new__(S3Service)),
                        hosts=None)  # fmt: skip
    for name in BUNDLE:
        assert isinstance(getattr(services, name), Guarded), name
    with pytest.raises(AttributeError, match="offers no 'client'"):
        services.s3.client  # noqa: B018 - the raw boto3 client is never handed out
    with pytest.raises(AttributeError, match="offers no '_aws'"):
        services.s3._aws  # noqa: B018
    assert services.s3 is services.s3  # the same guarded object while the backend stays


# --- a world to change, and every change refused ----------------------------------------------


class World:
    """Read-only services on moto's server and a sandboxed local host, and raw (writable)
    handles to build what the refused calls would change."""

    def __init__(self, aws_endpoint: str, tmux_socket: str, local_host, tmp_path: Path):
        self.tmp = tmp_path
        self.home = Path(local_host.home())
        self.local_host = local_host
        self.tmux_socket = tmux_socket
        self.endpoint = aws_endpoint
        config = tmp_path / "config.toml"
        config.write_text(f'[jobs]\ntmux_socket = "{tmux_socket}"\n')
        settings = Settings.load(config, environ={}).with_overrides(
            endpoint_url=aws_endpoint, region="us-east-1", read_only=True
        )
        self.services = build_services(settings)
        self.services.hosts.register("local", local_host)
        self.jobs = JobManager(local_host, tmux_socket=tmux_socket)
        self.ec2 = boto3.client("ec2", endpoint_url=aws_endpoint, region_name="us-east-1")
        self.s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
        self.s3.create_bucket(Bucket=BUCKET)
        self.s3.put_object(Bucket=BUCKET, Key=KEY, Body=BODY)
        self._started: list[str] = []

    def close(self) -> None:
        self.services.close()

    # -- AWS --

    def image(self) -> str:
        return self.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]

    def instance(self) -> str:
        reply = self.ec2.run_instances(ImageId=self.image(), InstanceType="t3.micro",
                                       MinCount=1, MaxCount=1)  # fmt: skip
        return reply["Instances"][0]["InstanceId"]

    def state(self, instance_id: str) -> str:
        reply = self.ec2.describe_instances(InstanceIds=[instance_id])
        return reply["Reservations"][0]["Instances"][0]["State"]["Name"]

    def instance_count(self) -> int:
        return sum(len(r["Instances"]) for r in self.ec2.describe_instances()["Reservations"])

    def keys(self) -> list[str]:
        return [object["Key"] for object in self.s3.list_objects_v2(Bucket=BUCKET)["Contents"]]

    # -- jobs --

    def running_job(self):
        job = self.jobs.start(JobSpec(command=("sleep", "600"), name="stays"))
        return wait_until(lambda: (j := self.jobs.get(job.id)).status.state is JobState.RUNNING
                          and j, "the job to run")  # fmt: skip

    def finished_job(self):
        return wait_finished(self.jobs, self.jobs.start(JobSpec(command=("true",))).id)

    def group(self, command: tuple[str, ...]) -> tuple[JobGroup, list]:
        started = start_group([self.jobs, self.jobs], JobSpec(command=command, name="pair"),
                              master_addr="127.0.0.1")  # fmt: skip
        for job in started:
            if command[0] == "true":
                wait_finished(self.jobs, job.id)
            else:
                wait_until(lambda j=job: self.jobs.get(j.id).status.state is JobState.RUNNING,
                           "the group to run")  # fmt: skip
        listing = self.services.jobs.list()
        [group] = [row for row in listing.rows if isinstance(row, JobGroup)]
        return group, listing.members_of(group)

    def job_ids(self) -> list[str]:
        return [job.id for job in self.jobs.list_jobs()]

    def sessions(self) -> list[str]:
        return sorted(tmux(self.tmux_socket, "list-sessions", "-F", "#{session_name}")
                      .stdout.split())  # fmt: skip

    def local_file(self, name: str, data: bytes = b"local data\n") -> Path:
        path = self.tmp / name
        path.write_bytes(data)
        return path


@pytest.fixture
def world(aws_endpoint, tmux_socket, local_host, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    built = World(aws_endpoint, tmux_socket, local_host, tmp_path)
    yield built
    built.close()


def refused(call: Callable[[], object], *words: str) -> str:
    with pytest.raises(ReadOnlyError) as caught:
        call()
    message = caught.value.message
    assert message.startswith("Refusing to ") and message.endswith("the console is read-only.")
    for word in words:
        assert word in message
    return message


def case_change_state(w: World) -> None:
    instance_id = w.instance()
    for action in ("stop", "reboot", "terminate", "start"):
        refused(lambda a=action: w.services.ec2.change_state(a, instance_id), action, instance_id)
    assert w.state(instance_id) == "running"


def case_create_key_pair(w: World) -> None:
    refused(lambda: w.services.ec2.launcher.create_key_pair("ro-key", key_dir=str(w.tmp)), "ro-key")
    assert w.ec2.describe_key_pairs()["KeyPairs"] == []
    assert not (w.tmp / "ro-key.pem").exists()


def case_import_key_pair(w: World) -> None:
    public = w.local_file("id_ed25519.pub", b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI test\n")
    refused(lambda: w.services.ec2.launcher.import_key_pair("ro-import", str(public)), "ro-import")
    assert w.ec2.describe_key_pairs()["KeyPairs"] == []


def case_create_ssh_group(w: World) -> None:
    before = w.ec2.describe_security_groups()["SecurityGroups"]
    refused(lambda: w.services.ec2.launcher.create_ssh_group("ro-ssh", "203.0.113.9"), "ro-ssh")
    assert w.ec2.describe_security_groups()["SecurityGroups"] == before


def case_launch(w: World) -> None:
    request = LaunchRequest(image_id=w.image(), instance_type="t3.micro", name="ro-launch")
    refused(lambda: w.services.ec2.launcher.launch(request), "ro-launch")
    assert w.instance_count() == 0


def case_s3_delete(w: World) -> None:
    refused(lambda: w.services.s3.delete(BUCKET, KEY), f"s3://{BUCKET}/{KEY}")
    refused(lambda: w.services.s3.delete(BUCKET, "img/"))
    assert w.keys() == [KEY]


def case_s3_transfer(w: World) -> None:
    source = w.local_file("up.txt")
    refused(lambda: w.services.s3.transfer(str(source), f"s3://{BUCKET}/up.txt"), "up.txt")
    assert w.keys() == [KEY]
    # a download into new files here changes nothing outside: it runs
    into = w.tmp / "downloads"
    into.mkdir()
    w.services.s3.transfer(f"s3://{BUCKET}/{KEY}", f"{into}/")
    assert (into / "shirt.txt").read_bytes() == BODY


def case_manager_start(w: World) -> None:
    canary = w.home / "CANARY"
    manager = w.services.jobs.manager("local")
    refused(lambda: manager.start(JobSpec(command=("touch", str(canary)))), "touch")
    assert not canary.exists() and w.job_ids() == [] and w.sessions() == []
    assert not (w.home / ".awsconsole").exists()


def case_manager_rerun(w: World) -> None:
    done = w.finished_job()
    refused(lambda: w.services.jobs.manager("local").rerun(done.id), done.id)
    assert w.job_ids() == [done.id]


def case_manager_interrupt(w: World) -> None:
    job = w.running_job()
    refused(lambda: w.services.jobs.manager("local").interrupt(job.id), "interrupt", job.id)
    assert w.jobs.get(job.id).status.state is JobState.RUNNING


def case_manager_kill(w: World) -> None:
    job = w.running_job()
    listed = w.services.jobs.list().manager_of(job)  # the manager a listing hands out
    refused(lambda: listed.kill(job.id), "kill", job.id)
    refused(lambda: w.services.jobs.find(job.id)[1].kill(job.id), "kill")
    assert w.jobs.get(job.id).status.state is JobState.RUNNING
    assert w.sessions() == [job.id]


def case_manager_forget(w: World) -> None:
    done = w.finished_job()
    refused(lambda: w.services.jobs.manager("local").forget(done.id), "forget", done.id)
    assert (w.home / ".awsconsole" / "jobs" / done.id / "job.json").exists()


def case_manager_discard(w: World) -> None:
    job = w.running_job()
    refused(lambda: w.services.jobs.manager("local").discard(job.id), "discard", job.id)
    assert w.jobs.get(job.id).status.state is JobState.RUNNING


def case_jobs_start(w: World) -> None:
    canary = w.home / "CANARY"
    spec = JobSpec(command=("touch", str(canary)))
    refused(lambda: w.services.jobs.start(["local"], spec), "touch", "local")
    refused(lambda: w.services.jobs.start(["local", "local"], spec, master_addr="127.0.0.1"))
    assert not canary.exists() and w.job_ids() == [] and w.sessions() == []


def case_jupyter(w: World) -> None:
    refused(lambda: w.services.jobs.jupyter("local"), "open Jupyter on local")
    assert w.job_ids() == [] and w.sessions() == []  # no server was started as a job


def case_control_group(w: World) -> None:
    group, members = w.group(("sleep", "600"))
    for action in ("interrupt", "kill"):
        refused(lambda a=action: w.services.jobs.control_group(members, a), action, "'pair'")
    assert [w.jobs.get(j.id).status.state for j in group.members] == [JobState.RUNNING] * 2


def case_forget_group(w: World) -> None:
    group, members = w.group(("true",))
    refused(lambda: w.services.jobs.forget_group(members), "forget", "'pair'")
    assert sorted(w.job_ids()) == sorted(j.id for j in group.members)


def case_rerun_group(w: World) -> None:
    group, members = w.group(("true",))
    refused(lambda: w.services.jobs.rerun_group(members), "re-run", "'pair'")
    assert sorted(w.job_ids()) == sorted(j.id for j in group.members)


def case_transfer_submit(w: World) -> None:
    source = w.local_file("to-host.txt")
    queue = w.services.files.transfers
    refused(lambda: queue.submit(TransferSpec(str(source), "local:~/copied.txt")), "copied.txt")
    refused(lambda: queue.submit(TransferSpec(str(source), f"s3://{BUCKET}/q.txt")))
    assert not (w.home / "copied.txt").exists() and w.keys() == [KEY]
    into = w.tmp / "queued"
    into.mkdir()
    handle = queue.submit(TransferSpec(f"s3://{BUCKET}/{KEY}", f"{into}/"))
    assert handle.result(timeout=60).error is None
    assert (into / "shirt.txt").read_bytes() == BODY


def case_transfer_run(w: World) -> None:
    queue = w.services.files.transfers
    source = w.local_file("up.txt")
    refused(lambda: queue.run(TransferSpec(str(source), f"s3://{BUCKET}/up.txt")), "up.txt")
    refused(lambda: queue.run(TransferSpec(str(source), "local:~/up.txt")))
    existing = w.local_file("shirt.txt", b"mine\n")
    overwrite = TransferSpec(f"s3://{BUCKET}/{KEY}", str(existing), policy=Policy.OVERWRITE)
    refused(lambda: queue.run(overwrite), "overwrite")
    assert existing.read_bytes() == b"mine\n"
    assert w.keys() == [KEY] and not (w.home / "up.txt").exists()
    fresh = w.tmp / "fresh"
    fresh.mkdir()
    assert queue.run(TransferSpec(f"s3://{BUCKET}/{KEY}", f"{fresh}/")).files_copied == 1


def case_unpack(w: World) -> None:
    archives = w.home / "zips"
    archives.mkdir()
    with zipfile.ZipFile(archives / "a.zip", "w") as archive:
        archive.writestr("inside.txt", b"x")
    refused(lambda: w.services.files.unpack("local", "~/zips"), "unpack", "local:~/zips")
    assert sorted(p.name for p in archives.iterdir()) == ["a.zip"]


def mounted(point: Path) -> bool:
    return str(point) in [m.mountpoint for m in parse_proc_mounts(Path("/proc/mounts").read_text())]


def case_mount(w: World) -> None:
    point = w.tmp / "mnt"
    point.mkdir()
    refused(lambda: w.services.mounts.mount("local", f"s3://{BUCKET}", str(point)), "mount")
    assert not mounted(point) and list(point.iterdir()) == []


def case_unmount(w: World) -> None:
    point = w.tmp / "mounted"
    point.mkdir()
    if shutil.which("s3fs") is None or not os.path.exists("/dev/fuse"):
        # nothing to unmount here: still refused, before the "not a mount" check
        refused(lambda: w.services.mounts.unmount("local", str(point)), "unmount")
        return
    mount(w.local_host, f"s3://{BUCKET}", str(point), Credentials("testing", "testing"),
          MountOptions(endpoint_url=w.endpoint))  # fmt: skip
    try:
        refused(lambda: w.services.mounts.unmount("local", str(point)), "unmount", str(point))
        assert mounted(point) and (point / "img" / "shirt.txt").read_bytes() == BODY
        assert [m.mountpoint for m in w.services.mounts.list("local")].count(str(point)) == 1
    finally:
        for argv in (["fusermount3", "-u", str(point)], ["umount", "-l", str(point)]):
            if mounted(point):
                subprocess.run(argv, capture_output=True, timeout=60, check=False)
    assert not mounted(point)


CASES: dict[tuple[str, str], Callable[[World], None]] = {
    ("Ec2Backend", "change_state"): case_change_state,
    ("LaunchBackend", "create_key_pair"): case_create_key_pair,
    ("LaunchBackend", "import_key_pair"): case_import_key_pair,
    ("LaunchBackend", "create_ssh_group"): case_create_ssh_group,
    ("LaunchBackend", "launch"): case_launch,
    ("S3Backend", "delete"): case_s3_delete,
    ("S3Backend", "transfer"): case_s3_transfer,
    ("JobManagerBackend", "start"): case_manager_start,
    ("JobManagerBackend", "rerun"): case_manager_rerun,
    ("JobManagerBackend", "interrupt"): case_manager_interrupt,
    ("JobManagerBackend", "kill"): case_manager_kill,
    ("JobManagerBackend", "forget"): case_manager_forget,
    ("JobManagerBackend", "discard"): case_manager_discard,
    ("JobsBackend", "start"): case_jobs_start,
    ("JobsBackend", "jupyter"): case_jupyter,
    ("JobsBackend", "control_group"): case_control_group,
    ("JobsBackend", "forget_group"): case_forget_group,
    ("JobsBackend", "rerun_group"): case_rerun_group,
    ("TransferQueue", "submit"): case_transfer_submit,
    ("TransferQueue", "run"): case_transfer_run,
    ("FilesBackend", "unpack"): case_unpack,
    ("MountsBackend", "mount"): case_mount,
    ("MountsBackend", "unmount"): case_unmount,
}


def test_every_change_the_protocols_mark_has_a_case_here():
    assert set(CASES) == changes_members()


@pytest.mark.parametrize("member", sorted(CASES), ids=lambda m: ".".join(m))
def test_each_change_is_refused_through_the_bundle_and_changes_nothing(world, member):
    protocol = next(p for p in BACKENDS if p.__name__ == member[0])
    assert effect_of(protocol, member[1]).kind == "changes"
    CASES[member](world)


def test_a_session_locked_midway_refuses_at_once_and_unlocked_allows_again(world):
    services = world.services
    services.settings = services.settings.with_overrides(read_only=False)  # a writable start
    manager = services.jobs.manager("local")  # handed out before the lock: asks at each call
    job = world.running_job()
    services.lock()
    refused(lambda: manager.kill(job.id), "kill")
    refused(lambda: services.s3.delete(BUCKET, KEY))
    assert world.jobs.get(job.id).status.state is JobState.RUNNING and world.keys() == [KEY]
    services.lock(False)
    manager.kill(job.id)
    assert wait_finished(world.jobs, job.id).status.state is JobState.EXITED
    assert services.s3.delete(BUCKET, KEY) == 1


# --- the commands -------------------------------------------------------------------------------


@pytest.fixture
def awsconsole(world):
    """``awsconsole --read-only ARGS…`` as a separate process: HOME = the sandbox, jobs on
    the world's tmux socket, AWS = moto's server."""
    config = world.tmp / "cli.toml"
    config.write_text(f'[jobs]\ntmux_socket = "{world.tmux_socket}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWSCONSOLE_")}
    env.update(HOME=str(world.home), AWS_EC2_METADATA_DISABLED="true")

    def run(*args: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "console.cli", "--config", str(config),
                "--endpoint-url", world.endpoint, "--region", "us-east-1", "--read-only", *args]  # fmt: skip
        return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)

    return run


def one_line_refusal(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == cli.EXIT_ERROR, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("Read-only: Refusing to ") and line.endswith("read-only.")
    assert result.stdout == ""
    return line


def test_cli_run_starts_nothing(world, awsconsole):
    line = one_line_refusal(awsconsole("run", "local", "--", "touch", "CANARY"))
    assert "touch CANARY" in line
    group = one_line_refusal(awsconsole("run", "local,local", "--", "touch", "CANARY"))
    assert "local, local" in group
    assert not (world.home / "CANARY").exists()
    assert world.sessions() == [] and not (world.home / ".awsconsole").exists()


def test_cli_kill_and_interrupt_leave_the_job_running(world, awsconsole):
    job = world.running_job()
    one_line_refusal(awsconsole("kill", "--yes", job.id))
    one_line_refusal(awsconsole("kill", "--interrupt", "--yes", job.id))
    assert world.jobs.get(job.id).status.state is JobState.RUNNING


def test_cli_copies_that_write_are_refused_and_a_download_runs(world, awsconsole):
    source = world.local_file("data.txt")
    one_line_refusal(awsconsole("cp", str(source), f"s3://{BUCKET}/data.txt"))
    one_line_refusal(awsconsole("cp", str(source), "local:~/data.txt"))
    existing = world.local_file("shirt.txt", b"mine\n")
    line = one_line_refusal(
        awsconsole("cp", f"s3://{BUCKET}/{KEY}", str(existing), "--policy", "overwrite")
    )
    assert "overwrite" in line
    assert world.keys() == [KEY] and not (world.home / "data.txt").exists()
    assert existing.read_bytes() == b"mine\n"
    into = world.tmp / "looked-at"
    into.mkdir()
    downloaded = awsconsole("cp", f"s3://{BUCKET}/{KEY}", f"{into}/")
    assert downloaded.returncode == 0, downloaded.stderr
    assert (into / "shirt.txt").read_bytes() == BODY


def test_cli_unpack_and_mount_are_refused(world, awsconsole):
    archives = world.home / "zips"
    archives.mkdir()
    with zipfile.ZipFile(archives / "a.zip", "w") as archive:
        archive.writestr("inside.txt", b"x")
    one_line_refusal(awsconsole("unpack", "local:~/zips"))
    assert sorted(p.name for p in archives.iterdir()) == ["a.zip"]
    point = world.tmp / "mnt"
    point.mkdir()
    one_line_refusal(awsconsole("mount", f"local:{point}", f"s3://{BUCKET}"))
    one_line_refusal(awsconsole("mount", "--unmount", f"local:{point}"))
    assert not mounted(point)
    listed = awsconsole("mount", "--list", "local", "--json")  # looking is allowed
    assert listed.returncode == 0, listed.stderr
    assert str(point) not in [m.mountpoint for m in list_mounts(world.local_host)]
