"""Launch stays narrow: an SSH rule wider than one address is created only once the range
itself was typed back, whatever its prefix (moto's server plays EC2)."""

from __future__ import annotations

import ipaddress

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.aws.ec2.launch import LaunchError, describe_range, is_wide, normalise_cidr
from console.aws.ec2.service import Ec2Service
from console.aws.session import AwsSession
from console.settings import Settings

pytestmark = pytest.mark.timeout(120)

#: ranges holding more than one address, each with how the backend writes it
WIDE = [
    ("0.0.0.0/0", "0.0.0.0/0"),
    ("0.0.0.0/1", "0.0.0.0/1"),
    ("128.0.0.0/1", "128.0.0.0/1"),
    ("10.0.0.0/8", "10.0.0.0/8"),
    ("1.2.3.0/24", "1.2.3.0/24"),
    ("1.2.3.77/24", "1.2.3.0/24"),  # host bits given: still the whole /24
    ("203.0.113.8/31", "203.0.113.8/31"),
    ("::/0", "::/0"),
    ("2001:db8::/32", "2001:db8::/32"),
    ("2001:db8::1/127", "2001:db8::/127"),
]
#: one address: no question asked
NARROW = [
    ("203.0.113.9", "203.0.113.9/32"),
    ("203.0.113.9/32", "203.0.113.9/32"),
    ("2001:db8::7", "2001:db8::7/128"),
    ("2001:db8::7/128", "2001:db8::7/128"),
]


@pytest.fixture
def launcher(aws_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    aws = AwsSession(Settings(endpoint_url=aws_endpoint, region="us-east-1"))
    yield Ec2Service(aws).launcher
    aws.close()


@pytest.fixture
def ec2(aws_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return boto3.client("ec2", endpoint_url=aws_endpoint, region_name="us-east-1")


def group_names(ec2) -> set[str]:
    return {g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]}


def ssh_ranges(ec2, group_id: str) -> list[str]:
    (group,) = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    (permission,) = group["IpPermissions"]
    assert (permission["IpProtocol"], permission["FromPort"], permission["ToPort"]) == (
        "tcp",
        22,
        22,
    )
    return [r["CidrIp"] for r in permission.get("IpRanges", [])] + [
        r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])
    ]


@pytest.mark.parametrize("typed, written", WIDE)
def test_a_wide_range_is_refused_until_typed_back_and_then_written_as_is(
    launcher, ec2, typed, written
):
    before = group_names(ec2)
    for confirmed in (None, "", "203.0.113.9/32", "0.0.0.0/0" if written != "0.0.0.0/0" else "::/0"):
        with pytest.raises(LaunchError, match=written.replace(".", r"\.")):
            launcher.create_ssh_group("wide", typed, confirmed=confirmed)
        assert group_names(ec2) == before  # refused before anything was created

    group_id = launcher.create_ssh_group("wide", typed, confirmed=written)

    assert ssh_ranges(ec2, group_id) == [written]


@pytest.mark.parametrize("typed, written", NARROW)
def test_one_address_needs_no_confirmation(launcher, ec2, typed, written):
    group_id = launcher.create_ssh_group("mine", typed)
    assert ssh_ranges(ec2, group_id) == [written]


def test_the_refusal_says_how_wide_the_range_is(launcher):
    with pytest.raises(LaunchError) as world:
        launcher.create_ssh_group("open", "0.0.0.0/0")
    assert "the whole IPv4 internet" in world.value.message
    with pytest.raises(LaunchError) as office:
        launcher.create_ssh_group("office", "10.0.0.0/8")
    assert "16,777,216 addresses" in office.value.message
    assert describe_range("::/0") == "the whole IPv6 internet"


@pytest.mark.parametrize("text", ["not-an-ip", "300.1.2.3", "1.2.3.4/33", "::/129", ""])
def test_malformed_ranges_are_named(launcher, ec2, text):
    before = group_names(ec2)
    with pytest.raises(LaunchError, match="not an IP address"):
        launcher.create_ssh_group("bad", text)
    assert group_names(ec2) == before


@given(
    address=st.integers(min_value=0, max_value=2**32 - 1),
    prefix=st.integers(min_value=0, max_value=32),
)
def test_every_ipv4_prefix_shorter_than_32_is_wide(address, prefix):
    cidr = f"{ipaddress.IPv4Address(address)}/{prefix}"
    assert is_wide(cidr) is (prefix < 32)
    assert normalise_cidr(cidr) == str(ipaddress.ip_network(cidr, strict=False))


@given(
    address=st.integers(min_value=0, max_value=2**128 - 1),
    prefix=st.integers(min_value=0, max_value=128),
)
def test_every_ipv6_prefix_shorter_than_128_is_wide(address, prefix):
    assert is_wide(f"{ipaddress.IPv6Address(address)}/{prefix}") is (prefix < 128)
