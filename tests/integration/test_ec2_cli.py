"""`awsconsole instances` shows prices and their source, and keeps its older JSON keys."""

from __future__ import annotations

import json

import boto3
import pytest

from console.aws.ec2.prices import shipped_table
from tests.integration.test_cli import awsconsole, clean_env

pytestmark = pytest.mark.timeout(120)

#: the keys the command had before prices: they stay, new ones are only added
OLDER_KEYS = {
    "id",
    "name",
    "type",
    "state",
    "market",
    "availability_zone",
    "public_ip",
    "private_ip",
    "launch_time",
    "key_name",
    "image_id",
    "tags",
    "gpus",
}


def test_instances_json_and_table_show_the_price_and_its_source(aws_endpoint, tmp_path):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint, region_name="us-east-1")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, InstanceType="g4dn.xlarge", MinCount=1, MaxCount=1)
    env = clean_env(tmp_path)
    result = awsconsole("--endpoint-url", aws_endpoint, "instances", "--json", env=env)
    assert result.returncode == 0, result.stderr
    (record,) = json.loads(result.stdout)
    assert OLDER_KEYS <= set(record)
    listed = shipped_table().lookup("us-east-1", "g4dn.xlarge")
    assert record["price_per_hour"] == listed
    assert record["price_source"] == f"table {shipped_table().as_of}"
    assert record["uptime_seconds"] >= 0
    assert record["cost_since_launch"] == pytest.approx(
        record["uptime_seconds"] / 3600 * listed, abs=0.01
    )
    table = awsconsole("--endpoint-url", aws_endpoint, "instances", env=env)
    header, row = table.stdout.splitlines()
    assert header.split()[-4:] == ["$/HOUR", "COST", "PRICE", "FROM"]
    assert f"table {shipped_table().as_of}" in row
