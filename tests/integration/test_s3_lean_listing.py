"""Lean ListObjectsV2 pages (key and size read straight from the XML) against moto's server:
the same keys, sizes and prefixes as botocore's own parse, odd names included; the shared
client's other callers keep botocore's full answer; counts through them equal the truth."""

from __future__ import annotations

import boto3
import pytest

from console.aws.lean_answers import LEAN_KEY, reading_lean
from console.aws.s3.lean import OPERATION, install, list_page, parse_list_page
from console.files.count.s3 import count_s3_prefix
from console.models import CountOptions
from tests.integration.test_count_s3 import expected

BUCKET = "lean"

#: names a listing must carry intact: spaces, unicode, characters URL- and XML-encoding touch
ODD_KEYS = {
    "data/with space/a b.jpg": b"1",
    "data/ünïcode 画像/x.JPG": b"22",
    "data/plus+sign/1+1=2.txt": b"333",
    "data/percent%20literal/%41.txt": b"4444",
    "data/xml <&> 'quotes\"/q.txt": b"55555",
    "data/emoji 🙂/smile.png": b"666666",
    "data/deep/er/and/deeper/leaf.bin": b"7" * 7,
    "data/marker only/": b"",
    "data/top level.txt": b"8" * 8,
    "root file.txt": b"9" * 9,
}


@pytest.fixture
def s3(aws_endpoint):
    client = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    for key, data in ODD_KEYS.items():
        client.put_object(Bucket=BUCKET, Key=key, Body=data)
    return client


def lean_pages(client, prefix: str, delimiter: str | None, max_keys: int):
    keys, prefixes, token, pages = [], [], None, 0
    while True:
        page = list_page(
            client, BUCKET, prefix, delimiter=delimiter, token=token, max_keys=max_keys
        )
        keys += page.keys
        prefixes += page.prefixes
        pages += 1
        token = page.next_token
        if token is None:
            return keys, prefixes, pages


def botocore_pages(client, prefix: str, delimiter: str | None):
    params = {"Bucket": BUCKET, "Prefix": prefix}
    if delimiter:
        params["Delimiter"] = delimiter
    keys, prefixes = [], []
    for page in client.get_paginator("list_objects_v2").paginate(**params):
        keys += [(o["Key"], o["Size"]) for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    return keys, prefixes


@pytest.mark.parametrize("delimiter", [None, "/"], ids=["recursive", "one-level"])
@pytest.mark.parametrize("prefix", ["", "data/"], ids=["bucket-root", "data"])
def test_lean_pages_equal_botocores_parse(s3, prefix, delimiter):
    keys, prefixes, pages = lean_pages(s3, prefix, delimiter, max_keys=1)
    assert (keys, prefixes) == botocore_pages(s3, prefix, delimiter)
    assert pages > 1  # paginated: continuation tokens went through the lean path too
    if delimiter is None:
        assert sorted(keys) == sorted(
            (k, len(v)) for k, v in ODD_KEYS.items() if k.startswith(prefix)
        )


def test_only_lean_calls_on_this_thread_skip_botocores_parse(s3):
    install(s3, OPERATION, parse_list_page, b"<ListBucketResult/>")
    with reading_lean(OPERATION):
        lean = s3.list_objects_v2(Bucket=BUCKET, Prefix="data/")
    plain = s3.list_objects_v2(Bucket=BUCKET, Prefix="data/")
    assert LEAN_KEY in lean and "Contents" not in lean
    assert LEAN_KEY not in plain
    assert [o["Key"] for o in plain["Contents"]] == [k for k, _ in lean[LEAN_KEY].keys]


@pytest.mark.parametrize("prefix", ["", "data", "data/with space/"])
def test_count_through_lean_pages_equals_the_truth(s3, prefix):
    options = CountOptions(recursive=True, by_ext=True, with_paths=True)
    count = count_s3_prefix(s3, BUCKET, prefix, options, page_size=2, workers=3)
    root = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    truth = expected(ODD_KEYS, root, recursive=True)
    assert (count.files, count.dirs, count.bytes) == (truth["files"], truth["dirs"], truth["bytes"])
    assert count.paths == truth["paths"]


def test_url_encoded_answers_are_decoded_as_botocore_does():
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<IsTruncated>true</IsTruncated><EncodingType>url</EncodingType>"
        b"<Contents><Key>a+b%2Bc/%E7%94%BB.jpg</Key><Size>12</Size></Contents>"
        b"<CommonPrefixes><Prefix>with+space/</Prefix></CommonPrefixes>"
        b"<NextContinuationToken>tok+en==</NextContinuationToken>"
        b"</ListBucketResult>"
    )
    page = parse_list_page(body)
    assert page.keys == [("a b+c/画.jpg", 12)]
    assert page.prefixes == ["with space/"]
    assert page.next_token == "tok+en=="  # tokens are opaque: never decoded
