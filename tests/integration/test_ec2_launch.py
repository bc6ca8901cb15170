"""The launch backend against moto's server: AMIs, key files, security groups, run-instances."""

from __future__ import annotations

import os
import stat

import pytest

from console.aws.ec2.launch import Launcher, LaunchError, normalise_cidr, public_key_candidates
from console.aws.ec2.quotas import family_class
from console.aws.ec2.service import Ec2Service
from console.aws.session import AwsSession
from console.errors import ConfigError, ConsoleError, ReadOnlyError
from console.models import LaunchRequest
from console.settings import Settings

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def service(aws_endpoint):
    aws = AwsSession(Settings(endpoint_url=aws_endpoint, region="us-east-1"))
    yield Ec2Service(aws)
    aws.close()


@pytest.fixture
def launcher(service) -> Launcher:
    return service.launcher


def test_deep_learning_images_newest_first(launcher, ec2):
    images = launcher.find_images()
    truth = ec2.describe_images(
        Owners=["amazon"], Filters=[{"Name": "name", "Values": ["Deep Learning*"]}]
    )["Images"]
    assert {i.image_id for i in images} == {t["ImageId"] for t in truth}
    assert images, "moto ships Deep Learning AMIs"
    dates = [i.created for i in images]
    assert dates == sorted(dates, reverse=True)
    assert launcher.image(images[0].image_id).name == images[0].name
    with pytest.raises(LaunchError, match="ami-00000000"):
        launcher.image("ami-00000000")


def test_created_key_is_saved_0600_and_never_overwritten(launcher, ec2, tmp_path):
    path = launcher.create_key_pair("train-key", key_dir=str(tmp_path / "ssh"))
    assert path == str(tmp_path / "ssh" / "train-key.pem")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "PRIVATE KEY" in open(path).read()
    assert "train-key" in [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]]
    before = open(path).read()
    (tmp_path / "ssh" / "other.pem").write_text("mine")
    with pytest.raises(LaunchError, match="refusing to overwrite"):
        launcher.create_key_pair("other", key_dir=str(tmp_path / "ssh"))
    # refused before EC2 was asked: no key pair named "other" exists
    assert "other" not in [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]]
    assert (tmp_path / "ssh" / "other.pem").read_text() == "mine"
    assert open(path).read() == before
    with pytest.raises(ConfigError, match="bad/name"):
        launcher.create_key_pair("bad/name", key_dir=str(tmp_path))


def test_import_offers_and_uploads_id_pub(launcher, ec2, tmp_path):
    ssh = tmp_path / ".ssh"
    ssh.mkdir()
    key = ssh / "id_ed25519.pub"
    key.write_text(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKxdj4n7hQwKbVZr0nE3vQx0f2mE8bpDg2qDq5cX3v9H me@laptop\n"
    )
    (ssh / "notes.txt").write_text("x")
    assert public_key_candidates(str(ssh)) == [str(key)]
    info = launcher.import_key_pair("laptop", str(key))
    assert info.name == "laptop"
    assert "laptop" in [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]]
    with pytest.raises(LaunchError, match="notes.txt"):
        launcher.import_key_pair("notes", str(ssh / "notes.txt"))


def test_ssh_group_allows_only_the_given_address(launcher, ec2):
    group_id = launcher.create_ssh_group("ssh-from-me", "203.0.113.9")
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    (permission,) = group["IpPermissions"]
    assert (permission["FromPort"], permission["ToPort"]) == (22, 22)
    assert [r["CidrIp"] for r in permission["IpRanges"]] == ["203.0.113.9/32"]


def test_world_open_group_needs_explicit_confirmation(launcher, ec2):
    before = len(ec2.describe_security_groups()["SecurityGroups"])
    with pytest.raises(LaunchError, match="0.0.0.0/0"):
        launcher.create_ssh_group("open", "0.0.0.0/0")
    assert len(ec2.describe_security_groups()["SecurityGroups"]) == before
    group_id = launcher.create_ssh_group("open", "0.0.0.0/0", confirmed="0.0.0.0/0")
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    assert group["IpPermissions"][0]["IpRanges"][0]["CidrIp"] == "0.0.0.0/0"
    with pytest.raises(LaunchError, match="not-an-ip"):
        normalise_cidr("not-an-ip")


def test_launch_creates_the_instance_with_every_option(service, launcher, ec2, tmp_path):
    image = launcher.find_images()[0]
    launcher.create_key_pair("k", key_dir=str(tmp_path))
    group = launcher.create_ssh_group("ssh", "198.51.100.1/32")
    request = LaunchRequest(
        image_id=image.image_id,
        instance_type="g5.xlarge",
        name="fashion-train",
        key_name="k",
        security_group_ids=(group,),
        spot=True,
        root_volume_gib=200,
    )
    with pytest.raises(ReadOnlyError):
        launcher.launch(request, read_only=True)
    assert ec2.describe_instances()["Reservations"] == []
    instance = launcher.launch(request)
    raw = ec2.describe_instances(InstanceIds=[instance.id])["Reservations"][0]["Instances"][0]
    assert raw["InstanceType"] == "g5.xlarge"
    assert raw["ImageId"] == image.image_id
    assert raw["KeyName"] == "k"
    assert {"Key": "Name", "Value": "fashion-train"} in raw["Tags"]
    assert [g["GroupId"] for g in raw["SecurityGroups"]] == [group]
    assert raw.get("InstanceLifecycle") == "spot"
    volume_id = raw["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    assert ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]["Size"] == 200
    assert {i.id for i in service.list_instances()} == {instance.id}


def test_a_dry_run_precedes_the_real_call(service, launcher, ec2):
    calls: list[bool] = []
    client = service._aws.client("ec2")
    client.meta.events.register(
        "provide-client-params.ec2.RunInstances",
        lambda params, **_: calls.append(params.get("DryRun")),
    )
    image = launcher.find_images()[0]
    launcher.launch(LaunchRequest(image_id=image.image_id, instance_type="t3.micro", name="x"))
    assert calls == [True, None]


def test_a_missing_ami_is_named_and_creates_nothing(launcher, ec2):
    request = LaunchRequest(image_id="ami-00000000", instance_type="g5.xlarge", name="x")
    with pytest.raises(ConsoleError, match="ami-00000000"):
        launcher.launch(request)
    assert ec2.describe_instances()["Reservations"] == []


def test_quota_answers_or_says_why_not(service):
    assert (family_class("g5.xlarge"), family_class("p4d.24xlarge")) == ("g", "p")
    assert family_class("t3.micro") == "standard"
    quota = service.quotas.vcpu_limit("g5.xlarge")
    assert quota.quota_code == "L-DB2E81BA"
    # moto's Service Quotas knows VPC quotas only: either a figure or the reason, never neither
    assert (quota.limit is None) == (quota.unavailable_reason is not None)
