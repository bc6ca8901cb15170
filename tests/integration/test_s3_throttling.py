"""The browser's paginated listing, the recursive listing and the parallel count go through
a proxy that answers every other request 503 SlowDown: they complete and equal the truth."""

from __future__ import annotations

import threading

import boto3
import pytest

from console.aws.s3.service import S3Service
from console.aws.session import AwsSession
from console.services.s3_files import S3Files
from console.settings import Settings
from tests.integration.test_aws_throttling import ThrottlingProxy

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def proxy(aws_endpoint):
    server = ThrottlingProxy(aws_endpoint, every=2)
    thread = threading.Thread(target=server.serve_forever, name="throttling-proxy")
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.slow
def test_paged_listing_and_count_complete_through_throttling(aws_endpoint, proxy):
    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="data")
    keys = [f"img/{group}/{i:03d}.jpg" for group in ("a", "b", "c") for i in range(20)]
    keys += [f"img/{i:03d}.jpg" for i in range(30)]
    for key in keys:
        s3.put_object(Bucket="data", Key=key, Body=b"x" * 7)

    session = AwsSession(Settings(endpoint_url=proxy.url, region="us-east-1"))
    try:
        service = S3Files(S3Service(session))
        folders, objects, token = [], [], None
        while True:  # what the browser does: one page per request, 7 keys a page
            page = service.list_page("data", "img/", token, page_size=7)
            folders += page.folders
            objects += [o.key for o in page.objects]
            token = page.next_token
            if token is None:
                break
        recursive = [
            o.key
            for page in service.iter_objects("data", "img/", recursive=True, page_size=9)
            for o in page.objects
        ]
        count = service.count_prefix("data", "img/")
    finally:
        session.close()

    assert folders == ["img/a/", "img/b/", "img/c/"]
    assert objects == sorted(k for k in keys if k.count("/") == 1)
    assert recursive == sorted(keys)
    assert (count.files, count.bytes) == (len(keys), 7 * len(keys))
    assert proxy.throttled >= 10  # the errors really happened and were retried
