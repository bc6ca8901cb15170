"""S3Service against moto's server: folder pages, previews, presigned URLs, deletes and
transfers, checked against what boto3 and the aws CLI report for the same endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import boto3
import pytest

from console.aws.s3.service import PreviewRefused, S3Service
from console.aws.session import AwsSession
from console.errors import NotFoundError
from console.services.s3_files import S3Files
from console.settings import Settings

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def s3(aws_endpoint):
    return boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")


@pytest.fixture
def service(aws_endpoint):
    session = AwsSession(Settings(endpoint_url=aws_endpoint, region="us-east-1"))
    yield S3Files(S3Service(session))
    session.close()


def seed(s3, bucket: str = "data") -> set[str]:
    s3.create_bucket(Bucket=bucket)
    keys = {f"img/{i:03d}.jpg" for i in range(25)}
    keys |= {"Anno/list_category_cloth.txt", "Anno/list_eval_partition.txt", "README.txt"}
    keys |= {"Eval/list_eval_partition.txt", "img/sub/a.jpg"}
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=f"body of {key}\n".encode())
    return keys


def walk_pages(service, bucket, prefix, page_size):
    folders, objects, token, pages = [], [], None, 0
    while True:
        page = service.list_page(bucket, prefix, token, page_size=page_size)
        folders += page.folders
        objects += page.objects
        pages += 1
        token = page.next_token
        if token is None:
            return folders, objects, pages


def test_folder_pages_list_folders_and_objects_one_level(s3, service):
    seed(s3)
    folders, objects, pages = walk_pages(service, "data", "", page_size=2)
    assert folders == ["Anno/", "Eval/", "img/"]
    assert [o.key for o in objects] == ["README.txt"]
    assert pages >= 2  # the page size really split it

    folders, objects, pages = walk_pages(service, "data", "img", page_size=7)
    assert folders == ["img/sub/"]
    assert [o.key for o in objects] == [f"img/{i:03d}.jpg" for i in range(25)]
    assert pages == 4
    head = s3.head_object(Bucket="data", Key="img/000.jpg")
    assert objects[0].size == head["ContentLength"]
    assert objects[0].modified == head["LastModified"]
    assert objects[0].storage_class == "STANDARD"


def test_buckets_carry_region_and_creation(s3, service):
    s3.create_bucket(Bucket="b-east")
    s3.create_bucket(Bucket="b-west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    buckets = {b.name: b for b in service.list_buckets()}
    assert buckets["b-east"].region == "us-east-1"
    assert buckets["b-west"].region == "eu-west-1"
    truth = {b["Name"]: b["CreationDate"] for b in s3.list_buckets()["Buckets"]}
    assert {name: b.created for name, b in buckets.items()} == truth


def test_preview_shows_small_text_and_refuses_big_or_binary(s3, service):
    seed(s3)
    assert service.preview_text("data", "Anno/list_category_cloth.txt") == (
        "body of Anno/list_category_cloth.txt\n"
    )
    s3.put_object(Bucket="data", Key="img/x.bin", Body=b"\x89PNG\x00\x01")
    with pytest.raises(PreviewRefused, match="binary"):
        service.preview_text("data", "img/x.bin")
    s3.put_object(Bucket="data", Key="big.txt", Body=b"a" * 5000)
    with pytest.raises(PreviewRefused, match="5,000 bytes"):
        service.preview_text("data", "big.txt", limit=4096)
    with pytest.raises(NotFoundError):
        service.preview_text("data", "missing.txt")


def test_preview_reads_the_first_part_of_any_object_with_its_size(s3, service):
    seed(s3)
    # "é" is two bytes; the 16th and 17th straddle the part's end
    body = b"a" * 15 + "é".encode() + b"tail" * 1000
    s3.put_object(Bucket="data", Key="big.txt", Body=body)
    preview = service.preview("data", "big.txt", head=16)
    assert (preview.size, preview.shown, preview.partial) == (len(body), 15, True)
    assert preview.text == "a" * 15  # the cut character is left out, not garbled
    whole = service.preview("data", "Anno/list_category_cloth.txt")
    assert whole.text == "body of Anno/list_category_cloth.txt\n" and not whole.partial
    s3.put_object(Bucket="data", Key="img/x.bin", Body=b"\x89PNG\x00\x01" * 100)
    with pytest.raises(PreviewRefused, match="binary"):
        service.preview("data", "img/x.bin", head=16)
    with pytest.raises(NotFoundError):
        service.preview("data", "missing.txt")


def test_presigned_url_downloads_without_credentials(s3, service):
    seed(s3)
    url = service.presign("data", "README.txt", expires=600)
    assert "Signature" in url or "X-Amz-Signature" in url
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.read() == b"body of README.txt\n"
    with pytest.raises(NotFoundError):
        service.presign("data", "nope.txt")


def test_delete_object_and_folder(s3, service):
    keys = seed(s3)
    assert service.delete("data", "README.txt") == 1
    assert service.delete("data", "img/") == 26
    left = {o["Key"] for o in s3.list_objects_v2(Bucket="data")["Contents"]}
    assert left == {k for k in keys if not k.startswith("img/") and k != "README.txt"}


def test_upload_download_roundtrip_is_byte_exact_with_progress(s3, service, tmp_path):
    s3.create_bucket(Bucket="data")
    folder = tmp_path / "run"
    (folder / "sub").mkdir(parents=True)
    payload = os.urandom(3 * 1024 * 1024 + 17)
    (folder / "model.pt").write_bytes(payload)
    (folder / "sub" / "notes.txt").write_text("hello\n")
    seen = []
    result = service.transfer(
        str(folder), "s3://data/runs/", recursive=True, on_progress=seen.append
    )
    assert result.state.value == "done"
    assert seen[-1].bytes_done == seen[-1].bytes_total == len(payload) + 6
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="data")["Contents"]}
    assert keys == {"runs/run/model.pt", "runs/run/sub/notes.txt"}

    back = tmp_path / "back"
    back.mkdir()
    seen.clear()
    service.transfer("s3://data/runs/run", str(back), recursive=True, on_progress=seen.append)
    assert (back / "run" / "model.pt").read_bytes() == payload
    assert (back / "run" / "sub" / "notes.txt").read_text() == "hello\n"
    assert seen[-1].bytes_done == seen[-1].bytes_total


def aws_cli(endpoint: str, *args: str) -> str:
    cli = Path(sys.executable).with_name("aws")
    return subprocess.run(
        [str(cli), "--endpoint-url", endpoint, "--region", "us-east-1", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


def test_listing_equals_the_aws_cli(s3, service, aws_endpoint):
    seed(s3)
    ours = [
        o.key
        for page in service.iter_objects("data", "img/", recursive=True, page_size=4)
        for o in page.objects
    ]
    truth = json.loads(
        aws_cli(aws_endpoint, "s3api", "list-objects-v2", "--bucket", "data", "--prefix", "img/")
    )
    assert ours == [o["Key"] for o in truth["Contents"]]
    listed = aws_cli(aws_endpoint, "s3", "ls", "--recursive", "s3://data/img/")
    assert ours == [line.split(maxsplit=3)[3] for line in listed.splitlines()]


def test_count_prefix_streams_progress_and_equals_listing(s3, service):
    keys = seed(s3)
    progress = []
    count = service.count_prefix(
        "data", "img", on_progress=progress.append, cancel=threading.Event()
    )
    under = [k for k in keys if k.startswith("img/")]
    assert count.files == len(under)
    assert count.bytes == sum(len(f"body of {k}\n") for k in under)
    assert progress and progress[-1].files == len(under)
