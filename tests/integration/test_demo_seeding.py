"""The demo bucket's seeding against a real moto server: straight into the store of the moto
serving in this process (what the demo endpoint does), and over HTTP for what is left when the
store stops answering part-way; either way the bucket ends up holding the whole dataset."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from console.aws.session import AwsSession
from console.demo.dataset import dataset_files
from console.demo.seeding import DATASET_BUCKET, BucketSeeding, put_into_moto
from console.settings import Settings


@pytest.fixture(scope="module")
def dataset_cache(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dataset-cache")
    dataset_files(folder)  # generated once for the module's tests
    return folder


@pytest.fixture
def session(aws_endpoint: str):
    session = AwsSession(Settings(endpoint_url=aws_endpoint, region="us-east-1"))
    session.client("s3").create_bucket(Bucket=DATASET_BUCKET)
    yield session
    session.close()


def bucket_digests(session: AwsSession) -> dict[str, str]:
    s3 = session.client("s3")
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=DATASET_BUCKET):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["ETag"].strip('"')
    return found


def expected_digests(dataset_cache: Path) -> dict[str, str]:
    return {
        key: hashlib.md5(data).hexdigest() for key, data in dataset_files(dataset_cache).items()
    }


def seed(session: AwsSession, dataset_cache: Path, put_in_process=None) -> BucketSeeding:
    seeding = BucketSeeding(session, dataset_cache, put_in_process=put_in_process).start()
    seeding.release()
    deadline = time.monotonic() + 120
    while not seeding.done and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seeding.done and seeding.error is None, seeding.error
    return seeding


def test_seeding_into_the_moto_of_this_process_fills_the_whole_bucket(session, dataset_cache):
    put = []

    def counted(bucket: str, key: str, data: bytes) -> None:
        put.append(key)
        put_into_moto(bucket, key, data)

    seed(session, dataset_cache, counted)
    expected = expected_digests(dataset_cache)
    assert len(put) == len(expected) > 2000  # every object went straight into the store
    assert bucket_digests(session) == expected
    first = session.client("s3").get_object(
        Bucket=DATASET_BUCKET, Key="Anno/list_category_cloth.txt"
    )
    assert first["Body"].read() == dataset_files(dataset_cache)["Anno/list_category_cloth.txt"]


def test_a_store_that_stops_answering_leaves_the_rest_to_http(session, dataset_cache):
    # the store fails on the tenth object from the end: those ten go over HTTP (uploading the
    # whole bucket over HTTP costs ten seconds of CPU, and the path is the same for one or all)
    total = len(dataset_files(dataset_cache))
    put = []

    def breaks_near_the_end(bucket: str, key: str, data: bytes) -> None:
        if len(put) == total - 10:
            raise AttributeError("'S3Backend' object has no attribute 'put_object'")
        put.append(key)
        put_into_moto(bucket, key, data)

    seed(session, dataset_cache, breaks_near_the_end)
    assert len(put) == total - 10
    assert bucket_digests(session) == expected_digests(dataset_cache)
