"""Ec2Service's state actions, detail and prices against moto's server over HTTP."""

from __future__ import annotations

import pytest

from console.aws.ec2.prices import SPOT_SOURCE, shipped_table
from console.aws.ec2.service import Ec2Service
from console.aws.session import AwsSession
from console.errors import NotFoundError, ReadOnlyError
from console.models import InstanceState
from console.settings import Settings

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def service(aws_endpoint):
    aws = AwsSession(Settings(endpoint_url=aws_endpoint, region="us-east-1"))
    yield Ec2Service(aws)
    aws.close()


def run(ec2, instance_type="g5.xlarge", name="train", **extra) -> str:
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    reply = ec2.run_instances(
        ImageId=image,
        InstanceType=instance_type,
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
        **extra,
    )
    return reply["Instances"][0]["InstanceId"]


def state_of(ec2, instance_id: str) -> str:
    reply = ec2.describe_instances(InstanceIds=[instance_id])
    return reply["Reservations"][0]["Instances"][0]["State"]["Name"]


def test_stop_start_reboot_terminate_change_the_state_moto_reports(service, ec2):
    instance_id = run(ec2)
    service.change_state("stop", instance_id)
    assert state_of(ec2, instance_id) in ("stopping", "stopped")
    service.change_state("start", instance_id)
    assert state_of(ec2, instance_id) in ("pending", "running")
    assert service.change_state("reboot", instance_id) == "rebooting"
    assert state_of(ec2, instance_id) == "running"
    service.change_state("terminate", instance_id)
    assert state_of(ec2, instance_id) in ("shutting-down", "terminated")
    listed = {i.id: i for i in service.list_instances()}
    assert listed[instance_id].state in (InstanceState.SHUTTING_DOWN, InstanceState.TERMINATED)


def test_read_only_refuses_before_calling_ec2(service, ec2):
    instance_id = run(ec2)
    with pytest.raises(ReadOnlyError, match=instance_id):
        service.change_state("terminate", instance_id, read_only=True)
    assert state_of(ec2, instance_id) == "running"


def test_unknown_instance_is_named_in_the_error(service, ec2):
    with pytest.raises(NotFoundError, match="i-0123456789abcdef0"):
        service.change_state("stop", "i-0123456789abcdef0")
    with pytest.raises(ValueError, match="explode"):
        service.change_state("explode", "i-0123456789abcdef0")


def test_detail_lists_rules_volumes_ami_and_tags(service, ec2):
    vpc_group = ec2.create_security_group(GroupName="ssh-only", Description="ssh")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=vpc_group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "203.0.113.7/32"}],
            }
        ],
    )
    ec2.create_key_pair(KeyName="laptop")
    instance_id = run(ec2, SecurityGroupIds=[vpc_group], KeyName="laptop")
    detail = service.instance_detail(instance_id)
    assert detail.instance.id == instance_id
    assert detail.instance.key_name == "laptop"
    assert ("Name", "train") in detail.instance.tags
    assert (vpc_group, "ssh-only") in detail.security_groups
    inbound = [r for r in detail.rules if r.direction == "inbound"]
    assert [(r.protocol, r.port_range, r.source) for r in inbound] == [
        ("tcp", "22", "203.0.113.7/32")
    ]
    truth = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert [v.volume_id for v in detail.volumes] == [
        m["Ebs"]["VolumeId"] for m in truth["BlockDeviceMappings"]
    ]
    assert all(v.size_gib for v in detail.volumes)
    image = ec2.describe_images(ImageIds=[truth["ImageId"]])["Images"][0]
    assert detail.image_name == image["Name"]


def test_detail_of_a_missing_instance_raises_not_found(service):
    with pytest.raises(NotFoundError, match="i-0123456789abcdef0"):
        service.instance_detail("i-0123456789abcdef0")


def test_on_demand_prices_come_from_the_table_with_its_date(service, ec2):
    instance_id = run(ec2, "g5.xlarge")
    prices = service.hourly_prices(service.list_instances())
    price = prices[instance_id]
    assert price.price_per_hour == shipped_table().lookup("us-east-1", "g5.xlarge")
    assert price.source == f"table {shipped_table().as_of}"
    # an endpoint override (moto) is never asked for the Pricing API, and says so
    assert "endpoint override" in service.price_book.pricing_api_off


def test_spot_instances_get_the_live_spot_price_of_their_zone(service, ec2):
    instance_id = run(ec2, "g4dn.xlarge", InstanceMarketOptions={"MarketType": "spot"})
    instance = {i.id: i for i in service.list_instances()}[instance_id]
    assert instance.market == "spot"
    truth = service.spot_prices([instance.type])[(instance.type, instance.availability_zone)]
    price = service.hourly_prices([instance])[instance_id]
    assert (price.price_per_hour, price.source, price.market) == (
        truth.price_per_hour,
        SPOT_SOURCE,
        "spot",
    )
