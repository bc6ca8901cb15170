"""`awsconsole --demo`: the in-process endpoint, its seeded fleet and dataset, its sandbox hosts."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import boto3
import pytest
from PIL import Image

from console.demo.environment import FLEET, DemoEnvironment, demo_host_factory, start_demo
from console.errors import HostConfigError
from console.hosts import HostPool
from console.settings import Settings
from console.startup import build_services

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
def demo_dir(request, tmp_path_factory) -> Path:
    # the generated images are cached between test runs like a user's cache dir would be;
    # every run still uploads them and checks what arrived
    cache = getattr(request.config, "cache", None)
    if cache is None:  # -p no:cacheprovider
        return tmp_path_factory.mktemp("awsconsole-demo")
    return Path(cache.mkdir("awsconsole-demo"))


@pytest.fixture(scope="module")
def demo(demo_dir):
    environment = start_demo(Settings(demo=True, demo_dir=str(demo_dir)))
    yield environment
    environment.stop()


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
    for reservation in ec2.describe_instances()["Reservations"]:
        for raw in reservation["Instances"]:
            name = {t["Key"]: t["Value"] for t in raw["Tags"]}["Name"]
            seen[name] = (
                raw["InstanceType"],
                raw["State"]["Name"],
                "spot" if raw.get("InstanceLifecycle") == "spot" else "on-demand",
            )
            assert raw["KeyName"] == "fashion-key"
            assert raw["ImageId"] == demo.image_id
            assert [g["GroupName"] for g in raw["SecurityGroups"]] == ["fashion-ssh"]
    assert seen == {
        "fashion-train": ("g5.xlarge", "running", "on-demand"),
        "fashion-spot": ("g4dn.xlarge", "running", "spot"),
        "fashion-p4d": ("p4d.24xlarge", "stopped", "on-demand"),
        "fashion-first-try": ("g4dn.xlarge", "terminated", "on-demand"),
    }
    assert set(demo.instances.values()) == set(seen)


def test_fleet_runs_a_deep_learning_ami_behind_a_key_and_ssh_group(demo):
    ec2 = client(demo, "ec2")
    [image] = ec2.describe_images(ImageIds=[demo.image_id])["Images"]
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
    pool = HostPool(factory=demo_host_factory(demo))
    for instance_id, name in demo.instances.items():
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
    environment = start_demo(Settings(demo=True, demo_dir=str(demo_dir)))
    try:
        assert {k: v for k, v in os.environ.items() if k.startswith("AWS_")} == before
    finally:
        environment.stop()


def test_stop_leaves_no_thread_even_while_seeding(tmp_path):
    before = set(threading.enumerate())
    # a fresh folder: the dataset is still being generated when stop() comes
    environment = start_demo(Settings(demo=True, demo_dir=str(tmp_path)))
    environment.release_seeding()
    assert not environment.seeded
    environment.stop()
    assert set(threading.enumerate()) - before == set()
    environment.stop()  # twice is harmless


def test_build_services_runs_the_demo_and_close_stops_it(demo_dir):
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
