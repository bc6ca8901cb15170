"""The demo is one world: one background endpoint per demo folder, shared by every ``--demo``
call, kept until ``awsconsole demo reset`` or ``demo stop``.

Real processes throughout: the installed ``awsconsole`` in subprocesses, the endpoint it
starts on 127.0.0.1, boto3 as another client of that endpoint. Every test has its own demo
folder (``AWSCONSOLE_DEMO_DIR``) and stops its endpoint when it ends.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3
import psutil
import pytest

from console.demo.seeding import CHECKPOINT_BUCKET, DEMO_CREDENTIALS, FLEET
from console.demo.state import STATE_FILE
from console.models import RunNode, RunRecord
from console.runs.ledger import Ledger
from console.settings import RunsSettings, Settings
from console.startup import build_services
from tests.fixtures.demo_endpoint import endpoint_processes
from trainer.spot import MetadataClient

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

AWSCONSOLE = str(Path(sys.executable).with_name("awsconsole"))
FLEET_NAMES = {spec.name for spec in FLEET}


@pytest.fixture
def env(demo_folder: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a CLI call in this test's demo, with no AWS settings of the user's."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS", "AWSCONSOLE_"))}
    clean.update(
        AWSCONSOLE_CONFIG=str(tmp_path / "none.toml"),
        AWSCONSOLE_DEMO_DIR=str(demo_folder),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return clean


def awsconsole(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AWSCONSOLE, *args], capture_output=True, text=True, env=env, timeout=240)


def ok(env: dict[str, str], *args: str) -> str:
    result = awsconsole(env, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def state(demo_folder: Path) -> dict:
    return json.loads((demo_folder / STATE_FILE).read_text())


def instance_names(env: dict[str, str]) -> set[str]:
    return {r["name"] for r in json.loads(ok(env, "--demo", "instances", "--json"))}


def ec2_client(demo_folder: Path):
    return boto3.client(
        "ec2",
        endpoint_url=f"http://127.0.0.1:{state(demo_folder)['port']}",
        region_name="us-east-1",
        aws_access_key_id=DEMO_CREDENTIALS.access_key_id,
        aws_secret_access_key=DEMO_CREDENTIALS.secret_access_key,
    )


def launch(demo_folder: Path, name: str) -> str:
    """Launch a g5 instance named ``name`` on the endpoint as another client would."""
    ec2 = ec2_client(demo_folder)
    [image, *_] = ec2.describe_images(Filters=[{"Name": "name", "Values": ["Deep Learning AMI*"]}])[
        "Images"
    ]
    reply = ec2.run_instances(
        ImageId=image["ImageId"],
        InstanceType="g5.xlarge",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
    )
    return reply["Instances"][0]["InstanceId"]


def wait_until(what: str, check, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {within}s")
        time.sleep(0.05)


def test_two_cli_calls_share_one_world(env, demo_folder, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("kept between calls\n")
    ok(env, "--demo", "cp", str(note), f"s3://{CHECKPOINT_BUCKET}/note.txt")
    launched = launch(demo_folder, "launched-elsewhere")

    listing = ok(env, "--demo", "ls", f"s3://{CHECKPOINT_BUCKET}/")
    assert "note.txt" in listing
    records = {r["name"]: r for r in json.loads(ok(env, "--demo", "instances", "--json"))}
    assert set(records) == FLEET_NAMES | {"launched-elsewhere"}
    assert records["launched-elsewhere"]["id"] == launched


def test_a_second_call_uses_the_running_endpoint(env, demo_folder):
    assert instance_names(env) == FLEET_NAMES
    first = state(demo_folder)
    [process] = endpoint_processes(demo_folder)
    assert process.pid == first["pid"]
    # detached: not a child of the call that started it, nor of this test
    assert process.ppid() != os.getpid()

    assert instance_names(env) == FLEET_NAMES
    assert state(demo_folder) == first
    assert [p.pid for p in endpoint_processes(demo_folder)] == [first["pid"]]
    status = json.loads(ok(env, "demo", "status", "--json"))
    assert status[0]["running"] is True and status[0]["pid"] == first["pid"]


def test_reset_restores_the_seeded_world(env, demo_folder, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("forgotten by reset\n")
    ok(env, "--demo", "cp", str(note), f"s3://{CHECKPOINT_BUCKET}/note.txt")
    launch(demo_folder, "launched-before-reset")
    before = {r["name"]: r["id"] for r in json.loads(ok(env, "--demo", "instances", "--json"))}
    assert "launched-before-reset" in before
    pid = state(demo_folder)["pid"]

    ok(env, "demo", "reset", "--yes")

    after = {r["name"]: r for r in json.loads(ok(env, "--demo", "instances", "--json"))}
    assert set(after) == FLEET_NAMES
    assert {n: (r["type"], r["state"], r["market"]) for n, r in after.items()} == {
        s.name: (s.type, s.state, s.market) for s in FLEET
    }
    # the fleet was seeded again: new instances, not the old ones kept
    assert {after[n]["id"] for n in FLEET_NAMES}.isdisjoint(before.values())
    assert ok(env, "--demo", "ls", f"s3://{CHECKPOINT_BUCKET}/").strip() == ""
    assert state(demo_folder)["pid"] == pid  # the same endpoint, its state forgotten


def test_reset_in_read_only_is_refused_and_changes_nothing(env, demo_folder):
    launch_name = "kept-by-refusal"
    ok(env, "demo", "start")
    launch(demo_folder, launch_name)
    refused = awsconsole(env, "--read-only", "demo", "reset", "--yes")
    assert refused.returncode != 0
    assert "read-only" in refused.stderr
    assert launch_name in instance_names(env)


def test_stop_leaves_no_process_and_no_state(env, demo_folder):
    ok(env, "demo", "start")
    pid = state(demo_folder)["pid"]
    process = psutil.Process(pid)

    stopped = ok(env, "demo", "stop", "--yes")

    assert f"pid {pid}" in stopped
    assert not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    assert endpoint_processes(demo_folder) == []
    assert not (demo_folder / STATE_FILE).exists()
    status = awsconsole(env, "demo", "status")
    assert status.returncode == 1 and "No demo endpoint runs" in status.stdout
    # stopping nothing is not an error
    assert "No demo endpoint runs" in ok(env, "demo", "stop", "--yes")


def test_stop_asks_first_and_a_no_keeps_it_running(env, demo_folder):
    ok(env, "demo", "start")
    pid = state(demo_folder)["pid"]
    declined = subprocess.run(
        [AWSCONSOLE, "demo", "stop"], input="n\n", capture_output=True, text=True, env=env,
        timeout=60,
    )  # fmt: skip
    assert declined.returncode == 1 and "Not done" in declined.stderr
    assert [p.pid for p in endpoint_processes(demo_folder)] == [pid]


@pytest.mark.skipif(
    shutil.which("s3fs") is None or not os.access("/dev/fuse", os.R_OK | os.W_OK),
    reason="needs s3fs and /dev/fuse",
)
def test_stop_unmounts_the_demo_mounts_first(env, demo_folder):
    mountpoint = demo_folder / "fashion-train" / "data"
    ok(
        env,
        "--demo",
        "mount",
        "--mkdir",
        f"fashion-train:{mountpoint}",
        f"s3://{CHECKPOINT_BUCKET}",
    )
    assert str(mountpoint) in Path("/proc/mounts").read_text()

    stopped = ok(env, "demo", "stop", "--yes")

    assert f"Unmounted {mountpoint}" in stopped
    assert str(mountpoint) not in Path("/proc/mounts").read_text()
    assert endpoint_processes(demo_folder) == []
    assert mountpoint.is_dir() and list(mountpoint.iterdir()) == []  # a folder, not a dead mount


def test_a_pid_file_of_a_dead_endpoint_is_recovered_from(env, demo_folder):
    ok(env, "demo", "start")
    dead = state(demo_folder)["pid"]
    process = psutil.Process(dead)
    process.kill()
    process.wait(30)
    assert (demo_folder / STATE_FILE).exists()  # left behind: nobody removed it

    status = awsconsole(env, "demo", "status")
    assert status.returncode == 1 and "No demo endpoint runs" in status.stdout
    assert instance_names(env) == FLEET_NAMES

    fresh = state(demo_folder)["pid"]
    assert fresh != dead
    assert [p.pid for p in endpoint_processes(demo_folder)] == [fresh]


def test_a_pid_file_naming_another_program_is_not_trusted(env, demo_folder):
    demo_folder.mkdir(mode=0o700, exist_ok=True)
    # a live process that is not an endpoint (this test), on a port nothing serves
    (demo_folder / STATE_FILE).write_text(json.dumps({"pid": os.getpid(), "port": 9}))
    (demo_folder / STATE_FILE).chmod(0o600)

    status = awsconsole(env, "demo", "status")
    assert status.returncode == 1 and "No demo endpoint runs" in status.stdout
    assert instance_names(env) == FLEET_NAMES
    assert state(demo_folder)["pid"] not in (os.getpid(), None)
    assert psutil.Process(os.getpid()).is_running()  # nothing was done to that process


def test_the_endpoint_listens_on_loopback_only(env, demo_folder):
    ok(env, "demo", "start")
    current = state(demo_folder)
    process = psutil.Process(current["pid"])
    listening = [c for c in process.net_connections("inet") if c.status == psutil.CONN_LISTEN]
    assert listening, "the endpoint should listen"
    assert {(c.laddr.ip, c.laddr.port) for c in listening} == {("127.0.0.1", current["port"])}


def test_an_endpoint_whose_folder_is_removed_ends_itself(env, demo_folder):
    ok(env, "demo", "start")
    process = psutil.Process(state(demo_folder)["pid"])
    shutil.rmtree(demo_folder)
    process.wait(60)
    assert endpoint_processes(demo_folder) == []


def test_a_g5_instance_replays_the_a10g_recording(env):
    snapshot = json.loads(ok(env, "--demo", "gpu", "fashion-train", "--once", "--json"))
    assert snapshot["state"]["status"] == "ok"
    [gpu] = snapshot["gpus"]
    assert gpu["name"] == "NVIDIA A10G"
    assert gpu["memory_total_mib"] == 23028.0
    assert snapshot["recording"] == "recording of a real NVIDIA A10G, replayed"

    table = ok(env, "--demo", "gpu", "fashion-train", "--once")
    assert table.startswith("fashion-train: recording of a real NVIDIA A10G, replayed\n")
    assert "NVIDIA A10G" in table.splitlines()[3]

    spot = json.loads(ok(env, "--demo", "gpu", "fashion-spot", "--once", "--json"))
    assert [g["name"] for g in spot["gpus"]] == ["Tesla T4"]
    assert spot["recording"] == "recording of a real Tesla T4, replayed"


def test_a_spot_notice_announced_for_a_demo_run_reaches_its_trainers_watcher(
    env, demo_folder, tmp_path
):
    ok(env, "demo", "start")
    services = build_services(Settings(
        demo=True, demo_dir=str(demo_folder),
        runs=RunsSettings(ledger=str(tmp_path / "runs.jsonl"), cache_dir=str(tmp_path / "c")),
    ))  # fmt: skip
    try:
        defaults = services.train_defaults.request.trainer_args
        imds = defaults[defaults.index("--imds-endpoint") + 1]
        watching = MetadataClient(imds)  # the trainer's own IMDSv2 client, over HTTP
        before = watching.check()
        Ledger(tmp_path / "runs.jsonl").add(RunRecord(
            id="run-20261204-150000-demo-0001", name="demo", started=dt.datetime.now(dt.UTC),
            command=("python", "-m", "trainer", "train", *defaults), trainer_args=defaults,
            gpus="1", cwd="~", run_dir=str(tmp_path / "run"),
            nodes=(RunNode("fashion-train", "job-0001"),),
        ))  # fmt: skip
        instance = services.runs.announce_interruption("run-20261204-150000-demo-0001")
        notice = watching.check()
        relaunched = MetadataClient(imds).check()
    finally:
        services.close()

    assert imds == f"http://127.0.0.1:{state(demo_folder)['port']}/_awsconsole/imds/fashion-train"
    assert ("--spot-watch", "on") == (defaults[defaults.index("--spot-watch")],
                                      defaults[defaults.index("--spot-watch") + 1])  # fmt: skip
    assert before is None and instance == "fashion-train"
    assert notice is not None and notice.kind == "interruption"
    assert json.loads(notice.detail)["action"] == "terminate"
    assert relaunched is None  # a trainer started after the notice is not interrupted
