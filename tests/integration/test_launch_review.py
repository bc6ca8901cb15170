"""The launch review against moto's server: what a launch will do and cost, with nothing
created: the dry run's answer, the vCPU quota (which moto's Service Quotas does not know for
EC2: the unknown path), and the vCPUs already used under it."""

from __future__ import annotations

import pytest

from console.aws.ec2.quotas import QUOTA_CODES
from console.aws.ec2.service import Ec2Service
from console.aws.session import AwsSession
from console.format.launch import quota_text, review_rows
from console.models import HourlyPrice, LaunchRequest
from console.settings import Settings

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def service(aws_endpoint):
    aws = AwsSession(Settings(endpoint_url=aws_endpoint, region="us-east-1"))
    yield Ec2Service(aws)
    aws.close()


def run(ec2, instance_type: str, *, spot: bool = False) -> str:
    image_id = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    market = {"InstanceMarketOptions": {"MarketType": "spot"}} if spot else {}
    reply = ec2.run_instances(
        ImageId=image_id, InstanceType=instance_type, MinCount=1, MaxCount=1, **market
    )
    return reply["Instances"][0]["InstanceId"]


def everything(ec2) -> tuple[int, int, int]:
    """Instances, security groups and key pairs in moto: what a review must leave alone."""
    reservations = ec2.describe_instances()["Reservations"]
    return (
        sum(len(r["Instances"]) for r in reservations),
        len(ec2.describe_security_groups()["SecurityGroups"]),
        len(ec2.describe_key_pairs()["KeyPairs"]),
    )


def test_a_review_answers_every_line_and_creates_nothing(service, ec2):
    image = service.launcher.find_images()[0]
    before = everything(ec2)
    price = HourlyPrice("g5.xlarge", "us-east-1", 1.006, "table 2024-09-01")
    review = service.launcher.review(
        LaunchRequest(image.image_id, "g5.xlarge", "fashion-train", root_volume_gib=150),
        price=price,
        created_on_confirm=("the key pair 'k'", "the security group 'fashion-train-ssh'"),
    )
    assert everything(ec2) == before  # the dry run and the look-ups created nothing
    assert review.image == image
    truth = ec2.describe_instance_types(InstanceTypes=["g5.xlarge"])["InstanceTypes"][0]
    assert review.type_info.vcpus == truth["VCpuInfo"]["DefaultVCpus"]
    assert review.type_info.gpu_count == truth["GpuInfo"]["Gpus"][0]["Count"]
    assert review.dry_run.would_succeed and review.dry_run.reason == ""
    assert review.dry_run.left_out == ("the key pair 'k'", "the security group 'fashion-train-ssh'")
    assert review.root_device == image_root(ec2, image.image_id)
    # moto's Service Quotas knows no EC2 quota: no figure, and the reason why
    assert review.quota.quota.quota_code == QUOTA_CODES["g"][0]
    assert review.quota.quota.limit is None and review.quota.quota.unavailable_reason
    assert review.quota.in_use == 0 and review.quota.adds == truth["VCpuInfo"]["DefaultVCpus"]
    rows = dict(review_rows(review, key="existing key pair 'k'", ssh_from="203.0.113.7/32"))
    assert rows["Price"] == "$1.006/hour (on-demand, table 2024-09-01)"
    assert rows["Storage"].startswith("150 GiB gp3 on ")
    assert rows["Quota"].startswith("vCPU quota unknown for on-demand G and VT instances")
    assert rows["Dry run"].startswith("would succeed (checked without the key pair 'k'")
    assert "tcp 22 (SSH) from 203.0.113.7/32 only" in rows["Security group"]


def image_root(ec2, image_id: str) -> str:
    return ec2.describe_images(ImageIds=[image_id])["Images"][0]["RootDeviceName"]


def test_vcpus_in_use_count_the_same_quota_only(service, ec2):
    g_vcpus = ec2.describe_instance_types(InstanceTypes=["g5.xlarge"])["InstanceTypes"][0][
        "VCpuInfo"
    ]["DefaultVCpus"]
    t_vcpus = ec2.describe_instance_types(InstanceTypes=["t3.large"])["InstanceTypes"][0][
        "VCpuInfo"
    ]["DefaultVCpus"]
    run(ec2, "g5.xlarge")
    run(ec2, "g4dn.xlarge")  # the same G and VT quota
    stopped = run(ec2, "g5.2xlarge")
    ec2.stop_instances(InstanceIds=[stopped])  # a stopped instance holds no vCPUs
    run(ec2, "t3.large")  # the standard quota
    run(ec2, "g5.xlarge", spot=True)  # the spot quota of G and VT
    g4dn = ec2.describe_instance_types(InstanceTypes=["g4dn.xlarge"])["InstanceTypes"][0]
    quotas = service.quotas
    assert quotas.vcpus_in_use("g6.xlarge") == g_vcpus + g4dn["VCpuInfo"]["DefaultVCpus"]
    assert quotas.vcpus_in_use("g6.xlarge", spot=True) == g_vcpus
    assert quotas.vcpus_in_use("m5.large") == t_vcpus
    assert quotas.vcpus_in_use("p4d.24xlarge") == 0


def test_a_request_that_cannot_be_read_is_answered_not_raised(service, ec2):
    """An AMI EC2 does not know: the review says so on its lines instead of failing."""
    before = everything(ec2)
    review = service.launcher.review(
        LaunchRequest("ami-00000000", "g5.xlarge", "ghost", root_volume_gib=100)
    )
    assert everything(ec2) == before
    assert review.image is None and review.root_device is None
    assert not review.dry_run.would_succeed
    assert "ami-00000000" in review.dry_run.reason
    rows = dict(review_rows(review, key="none", ssh_from="203.0.113.7/32"))
    assert rows["AMI"] == "ami-00000000 (not found)"
    assert rows["Dry run"].startswith("would fail: ") and "ami-00000000" in rows["Dry run"]


@pytest.mark.fast
def test_a_known_quota_reads_as_used_of_limit_and_says_when_the_launch_exceeds_it():
    from console.models import QuotaInfo
    from console.models.launch import QuotaUse

    quota = QuotaInfo("g", "L-DB2E81BA", "Running On-Demand G and VT instances", 8.0)
    assert quota_text(QuotaUse(quota, 4, 4), spot=False) == (
        "4 of 8 vCPUs used (Running On-Demand G and VT instances); this launch adds 4."
    )
    assert quota_text(QuotaUse(quota, 8, 4), spot=False).endswith(": over the quota by 4.")
