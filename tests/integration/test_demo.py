"""`awsconsole --demo`: the shared endpoint, its seeded fleet and dataset, its sandbox hosts."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from PIL import Image

from console.demo.environment import (
    FLEET,
    DemoEc2Service,
    DemoEnvironment,
    connect_demo,
    demo_host_factory,
)
from console.errors import HostConfigError
from console.hosts import HostPool
from console.settings import Settings
from console.startup import build_services
from tests.fixtures.demo_endpoint import endpoint_processes, stop_demo

AWSCONSOLE = str(Path(sys.executable).with_name("awsconsole"))
EXACT_HEADERS = {
    "Anno/list_category_cloth.txt": "category_name  category_type",
    "Anno/list_category_img.txt": "image_name  category_label",
    "Anno/list_attr_cloth.txt": "attribute_name  attribute_type",
    "Anno/list_attr_img.txt": "image_name  attribute_labels",
    "Anno/list_bbox.txt": "image_name  x_1  y_1  x_2  y_2",
    "Eval/list_eval_partition.txt": "image_name  evaluation_status",
}


@pytest.fixture(scope="module")
def demo_dir(request, tmp_path_factory) -> Iterator[Path]:
    """A demo folder of this module's own (its own endpoint, stopped afterwards)."""
    folder = tmp_path_factory.mktemp("awsconsole-demo")
    # the generated images are cached between test runs like a user's cache dir would be;
    # every run still uploads them and checks what arrived
    cache = getattr(request.config, "cache", None)
    if cache is not None:  # not -p no:cacheprovider
        (folder / ".dataset-cache").symlink_to(Path(cache.mkdir("awsconsole-demo-dataset")))
    yield folder
    stop_demo(folder)


@pytest.fixture(scope="module")
def demo(demo_dir):
    environment = connect_demo(Settings(demo=True, demo_dir=str(demo_dir)))
    yield environment
    environment.close()


def fleet_ids(demo: DemoEnvironment) -> dict[str, str]:
    """Instance id -> Name tag of every instance on the endpoint."""
    return {i.id: i.name for i in DemoEc2Service(demo.session, demo).list_instances()}


def client(demo: DemoEnvironment, service: str):
    return boto3.client(
        service,
        endpoint_url=demo.endpoint_url,
        region_name=demo.region,
        aws_access_key_id=demo.credentials.access_key_id,
        aws_secret_access_key=demo.credentials.secret_access_key,
    )


def all_objects(s3, bucket: str) -> dict[str, int]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {o["Key"]: o["Size"] for page in pages for o in page.get("Contents", [])}


def read(s3, key: str) -> str:
    return s3.get_object(Bucket="deepfashion-data", Key=key)["Body"].read().decode()


def test_fleet_is_seeded_exactly(demo):
    ec2 = client(demo, "ec2")
    seen = {}
    images = set()
    for reservation in ec2.describe_instances()["Reservations"]:
        for raw in reservation["Instances"]:
            name = {t["Key"]: t["Value"] for t in raw["Tags"]}["Name"]
            seen[name] = (
                raw["InstanceType"],
                raw["State"]["Name"],
                "spot" if raw.get("InstanceLifecycle") == "spot" else "on-demand",
            )
            assert raw["KeyName"] == "fashion-key"
            images.add(raw["ImageId"])
            assert [g["GroupName"] for g in raw["SecurityGroups"]] == ["fashion-ssh"]
    assert seen == {
        "fashion-train": ("g5.xlarge", "running", "on-demand"),
        "fashion-spot": ("g4dn.xlarge", "running", "spot"),
        "fashion-p4d": ("p4d.24xlarge", "stopped", "on-demand"),
        "fashion-first-try": ("g4dn.xlarge", "terminated", "on-demand"),
    }
    assert len(images) == 1  # one AMI for the whole fleet
    assert set(fleet_ids(demo).values()) == set(seen)


def test_fleet_runs_a_deep_learning_ami_behind_a_key_and_ssh_group(demo):
    ec2 = client(demo, "ec2")
    running = ec2.describe_instances()["Reservations"][0]["Instances"][0]
    [image] = ec2.describe_images(ImageIds=[running["ImageId"]])["Images"]
    assert image["Name"].startswith("Deep Learning AMI")
    assert [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]] == ["fashion-key"]
    [group] = ec2.describe_security_groups(GroupNames=["fashion-ssh"])["SecurityGroups"]
    [rule] = group["IpPermissions"]
    assert (rule["FromPort"], rule["ToPort"]) == (22, 22)
    assert [r["CidrIp"] for r in rule["IpRanges"]] == ["198.51.100.7/32"]


def test_buckets_are_seeded(demo):
    names = {b["Name"] for b in client(demo, "s3").list_buckets()["Buckets"]}
    assert names == {"deepfashion-data", "checkpoints"}


@pytest.mark.slow
def test_dataset_bucket_has_the_deepfashion_layout(demo):
    demo.wait_until_seeded(timeout=240)
    s3 = client(demo, "s3")
    objects = all_objects(s3, "deepfashion-data")
    images = sorted(k for k in objects if k.startswith("img/") and k.endswith(".jpg"))
    assert len(images) >= 2000
    for key, header in EXACT_HEADERS.items():
        count, second, *rows = read(s3, key).splitlines()
        assert second == header, key
        assert int(count) == len(rows), key
    category_rows = read(s3, "Anno/list_category_img.txt").splitlines()[2:]
    assert sorted(row.split()[0] for row in category_rows) == images
    assert len(read(s3, "Anno/list_category_cloth.txt").splitlines()[2:]) == 50
    attribute_types = [
        int(r.split()[-1]) for r in read(s3, "Anno/list_attr_cloth.txt").splitlines()[2:]
    ]
    assert [attribute_types.count(t) for t in range(1, 6)] == [156, 218, 180, 216, 230]
    first_attributes = read(s3, "Anno/list_attr_img.txt").splitlines()[2].split()
    assert len(first_attributes) == 1001 and set(first_attributes[1:]) <= {"-1", "1"}
    landmark_header = read(s3, "Anno/list_landmarks.txt").splitlines()[1].split()
    assert landmark_header[:5] == [
        "image_name",
        "clothes_type",
        "landmark_visibility_1",
        "landmark_location_x_1",
        "landmark_location_y_1",
    ]
    assert landmark_header[-1] == "landmark_location_y_8" and len(landmark_header) == 2 + 3 * 8
    picture = Image.open(
        io.BytesIO(s3.get_object(Bucket="deepfashion-data", Key=images[0])["Body"].read())
    )
    assert picture.format == "JPEG" and picture.mode == "RGB" and max(picture.size) == 300


def test_dataset_archives_hold_the_same_images(demo):
    demo.wait_until_seeded(timeout=240)
    s3 = client(demo, "s3")
    objects = all_objects(s3, "deepfashion-data")
    archives = sorted(k for k in objects if k.endswith(".zip"))
    assert len(archives) >= 2
    inside = []
    for key in archives:
        body = s3.get_object(Bucket="deepfashion-data", Key=key)["Body"].read()
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            assert archive.testzip() is None
            inside += archive.namelist()
    assert sorted(inside) == sorted(k for k in objects if k.startswith("img/"))


def test_every_instance_has_a_sandbox_host(demo):
    ec2 = DemoEc2Service(demo.session, demo)
    pool = HostPool(factory=demo_host_factory(demo, ec2.list_instances))
    for instance_id, name in fleet_ids(demo).items():
        by_id, by_name = pool.host_for(instance_id), pool.host_for(name)
        assert Path(by_id.home()) == Path(by_name.home()) == demo.sandbox / name
        assert (demo.sandbox / name).is_dir()
    host = pool.host_for("fashion-train")
    host.write("~/hello.txt", b"from the demo\n")
    assert (demo.sandbox / "fashion-train" / "hello.txt").read_bytes() == b"from the demo\n"
    with pytest.raises(HostConfigError, match="'i-0000000000000' is not an instance of the demo"):
        pool.host_for("i-0000000000000")
    pool.close_all()


def test_demo_keys_never_reach_the_process_environment(demo_dir):
    before = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    environment = connect_demo(Settings(demo=True, demo_dir=str(demo_dir)))
    try:
        assert {k: v for k, v in os.environ.items() if k.startswith("AWS_")} == before
    finally:
        environment.close()


def test_close_leaves_no_thread_and_the_endpoint_seeding(tmp_path):
    folder = tmp_path / "demo"
    before = set(threading.enumerate())
    try:
        # a fresh folder: the endpoint still generates the dataset when close() comes
        environment = connect_demo(Settings(demo=True, demo_dir=str(folder)))
        environment.release_seeding()
        assert not environment.seeded
        environment.close()
        assert set(threading.enumerate()) - before == set()
        environment.close()  # twice is harmless
        # the endpoint is not this process's: it keeps the world for the next console
        assert [p.pid for p in endpoint_processes(folder)] == [environment.endpoint.pid]
    finally:
        stop_demo(folder)


def test_build_services_runs_the_demo_and_close_keeps_the_endpoint(demo_dir):
    before = set(threading.enumerate())
    services = build_services(Settings(demo=True, demo_dir=str(demo_dir)))
    try:
        assert {i.name for i in services.ec2.list_instances()} == {spec.name for spec in FLEET}
        assert {b.name for b in services.s3.list_buckets()} == {"deepfashion-data", "checkpoints"}
        assert Path(services.hosts.host_for("fashion-spot").home()) == demo_dir / "fashion-spot"
        assert services.settings.endpoint_url == services.demo.endpoint_url
    finally:
        services.close()
    assert set(threading.enumerate()) - before == set()
    assert [p.pid for p in endpoint_processes(demo_dir)] == [services.demo.endpoint.pid]


@pytest.mark.slow
def test_awsconsole_demo_instances_json_end_to_end(demo_dir, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS", "AWSCONSOLE_"))}
    env.update(
        AWSCONSOLE_CONFIG=str(tmp_path / "none.toml"),
        AWSCONSOLE_DEMO_DIR=str(demo_dir),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        # a stale profile choice of the user's must not break the demo
        AWS_PROFILE="no-such-profile",
    )
    result = subprocess.run(
        [AWSCONSOLE, "--demo", "instances", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    records = {r["name"]: r for r in json.loads(result.stdout)}
    assert {name: (r["type"], r["state"], r["market"]) for name, r in records.items()} == {
        spec.name: (spec.type, spec.state, spec.market) for spec in FLEET
    }
    buckets = subprocess.run(
        [AWSCONSOLE, "--demo", "buckets", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert buckets.returncode == 0, buckets.stderr
    assert sorted(b["name"] for b in json.loads(buckets.stdout)) == [
        "checkpoints",
        "deepfashion-data",
    ]


def test_cli_main_closes_the_demo_it_started(demo_dir, tmp_path, monkeypatch, capsys):
    from console.cli import main

    monkeypatch.setenv("AWSCONSOLE_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("AWSCONSOLE_DEMO_DIR", str(demo_dir))
    before = set(threading.enumerate())

    assert main(["--demo", "buckets", "--json"]) == 0

    names = [b["name"] for b in json.loads(capsys.readouterr().out)]
    assert names == ["checkpoints", "deepfashion-data"]
    assert set(threading.enumerate()) - before == set()


def test_a_demo_instance_reads_the_demo_buckets_with_the_aws_cli(demo):
    """As an instance with its role: ``aws s3 ls`` there lists the demo's dataset bucket on
    the demo endpoint (an S3 -> instance transfer runs ``aws s3 cp`` there)."""
    demo.wait_until_seeded(timeout=240)  # as any client of the dataset does
    ec2 = DemoEc2Service(demo.session, demo)
    pool = HostPool(factory=demo_host_factory(demo, ec2.list_instances))
    try:
        host = pool.host_for("fashion-train")
        listed = host.run(["aws", "s3", "ls", "s3://deepfashion-data/"], timeout=120)
    finally:
        pool.close_all()

    assert listed.exit_code == 0, listed.stderr
    assert b"PRE archives/" in listed.stdout and b"PRE img/" in listed.stdout
    assert host.env["AWS_ENDPOINT_URL"] == demo.endpoint_url  # loopback, never AWS
    assert host.env["AWS_EC2_METADATA_DISABLED"] == "true"
