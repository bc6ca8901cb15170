"""``awsconsole ls`` and ``awsconsole buckets`` against moto's server, checked against the
aws CLI on the same endpoint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from console.cli import main

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def s3(aws_endpoint):
    client = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="data")
    for key in ["Anno/a.txt", "Anno/b.txt", "img/1.jpg", "img/2.jpg", "img/sub/3.jpg", "top.txt"]:
        client.put_object(Bucket="data", Key=key, Body=key.encode())
    return client


def ls(endpoint, capsys, *args) -> tuple[int, str, str]:
    code = main(["--endpoint-url", endpoint, "--region", "us-east-1", "ls", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def aws_cli(endpoint: str, *args: str) -> str:
    cli = Path(sys.executable).with_name("aws")
    return subprocess.run(
        [str(cli), "--endpoint-url", endpoint, "--region", "us-east-1", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


def test_ls_one_level_shows_folders_then_objects(s3, aws_endpoint, capsys):
    code, out, _ = ls(aws_endpoint, capsys, "s3://data/img/")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["PRE", "sub/"]
    assert [line.split()[-1] for line in lines[1:]] == ["1.jpg", "2.jpg"]
    assert lines[1].split()[2] == str(len(b"img/1.jpg"))
    # the same names as `aws s3 ls`
    theirs = [
        line.split()[-1]
        for line in aws_cli(aws_endpoint, "s3", "ls", "s3://data/img/").splitlines()
    ]
    assert sorted(line.split()[-1] for line in lines) == sorted(theirs)


def test_ls_recursive_json_equals_the_aws_cli(s3, aws_endpoint, capsys):
    code, out, _ = ls(aws_endpoint, capsys, "s3://data/", "-r", "--json")
    assert code == 0
    records = json.loads(out)
    truth = json.loads(aws_cli(aws_endpoint, "s3api", "list-objects-v2", "--bucket", "data"))
    assert [(r["key"], r["size"]) for r in records] == [
        (o["Key"], o["Size"]) for o in truth["Contents"]
    ]
    assert all(r["type"] == "object" and r["storage_class"] == "STANDARD" for r in records)


def test_ls_rejects_a_path_that_is_not_s3(aws_endpoint, capsys):
    code, _, err = ls(aws_endpoint, capsys, "/tmp/data")
    assert code == 2
    assert "'/tmp/data' is not an S3 location" in err


def test_ls_missing_bucket_is_a_clear_error(aws_endpoint, capsys):
    code, _, err = ls(aws_endpoint, capsys, "s3://nope/")
    assert code == 2
    assert "nope" in err or "NoSuchBucket" in err or "ListBucket" in err


def test_buckets_lists_region_and_created(s3, aws_endpoint, capsys):
    code = main(["--endpoint-url", aws_endpoint, "--region", "us-east-1", "buckets", "--json"])
    assert code == 0
    (record,) = json.loads(capsys.readouterr().out)
    truth = s3.list_buckets()["Buckets"][0]
    assert record["name"] == "data"
    assert record["region"] == "us-east-1"
    assert record["created"] == truth["CreationDate"].isoformat()
