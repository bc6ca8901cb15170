"""S3 prefix counts against moto's server, and the same tree compared across places."""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path

import boto3
import pytest

from console.errors import NotFoundError
from console.files.count.counter import FileCounter
from console.files.count.engine import count_local
from console.files.count.s3 import count_s3_prefix
from console.files.remote_helpers.count_tree import extension_of
from console.models import CountOptions

BUCKET = "datasets"


@pytest.fixture
def s3(aws_endpoint):
    client = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


def make_keys() -> dict[str, bytes]:
    """A DeepFashion-like layout: several top folders, nesting, odd names, a folder marker."""
    keys: dict[str, bytes] = {}
    for folder in ("img/Blouse", "img/Dress", "img/Tee shirt", "anno", "eval"):
        for i in range(7):
            ext = ".jpg" if folder.startswith("img") else ".txt"
            keys[f"deepfashion/{folder}/item {i:03d}{ext}"] = os.urandom(i * 3)
    keys["deepfashion/img/ünïcode 画像.JPG"] = b"u" * 11
    keys["deepfashion/README"] = b"readme"
    keys["deepfashion/archives/part.tar.gz"] = b"t" * 50
    keys["deepfashion/empty folder/"] = b""  # what "Create folder" in the S3 console makes
    keys["deepfashion-other/not counted.jpg"] = b"nope"  # a sibling that shares the prefix text
    keys["top.jpg"] = b"root"
    return keys


def put_all(client, keys: dict[str, bytes]) -> None:
    for key, data in keys.items():
        client.put_object(Bucket=BUCKET, Key=key, Body=data)


def expected(keys: dict[str, bytes], prefix: str, recursive: bool) -> dict:
    """Truth from the key list itself: files, folders (every parent, markers), bytes."""
    files, size, dirs, by_ext, paths = 0, 0, set(), Counter(), set()
    for key, data in keys.items():
        if not key.startswith(prefix):
            continue
        relative = key[len(prefix) :]
        parts = relative.rstrip("/").split("/")
        if not recursive:
            if len(parts) > 1 or relative.endswith("/"):
                dirs.add(parts[0])
                continue
        for depth in range(1, len(parts)):
            dirs.add("/".join(parts[:depth]))
        if relative.endswith("/"):
            dirs.add(relative.rstrip("/"))
            continue
        files += 1
        size += len(data)
        by_ext[extension_of(parts[-1].encode()).decode()] += 1
        paths.add(relative)
    return {
        "files": files,
        "dirs": len(dirs),
        "bytes": size,
        "by_ext": dict(by_ext),
        "paths": paths,
    }


@pytest.mark.parametrize("recursive", [True, False], ids=["recursive", "top-level"])
@pytest.mark.parametrize("prefix", ["deepfashion", "deepfashion/", "deepfashion/img/"])
def test_s3_prefix_count_equals_the_keys_put(s3, recursive, prefix):
    keys = make_keys()
    put_all(s3, keys)
    options = CountOptions(recursive=recursive, by_ext=True, with_paths=True)
    # a small page size so every listing is paginated, as a real bucket's would be
    count = count_s3_prefix(s3, BUCKET, prefix, options, page_size=4, workers=3)
    truth = expected(keys, prefix.rstrip("/") + "/", recursive)
    assert (count.files, count.dirs, count.bytes) == (truth["files"], truth["dirs"], truth["bytes"])
    assert {row.extension: row.files for row in count.by_extension} == truth["by_ext"]
    assert count.paths == truth["paths"]
    assert count.method == "s3" and count.symlinks == 0


def test_s3_count_reports_progress_and_stops_when_cancelled(s3):
    keys = make_keys()
    put_all(s3, keys)
    total = expected(keys, "deepfashion/", recursive=True)["files"]
    seen = []
    count_s3_prefix(
        s3, BUCKET, "deepfashion", CountOptions(recursive=True), on_progress=seen.append
    )
    assert seen and seen[-1].files == total
    cancel = threading.Event()
    cancel.set()
    partial = count_s3_prefix(
        s3, BUCKET, "deepfashion", CountOptions(recursive=True), cancel=cancel, page_size=2
    )
    assert partial.cancelled and partial.files < total


def test_a_missing_bucket_is_a_clear_error(s3):
    with pytest.raises(NotFoundError):
        count_s3_prefix(s3, "no-such-bucket", "x/", CountOptions())


def test_compare_local_folder_with_its_upload(s3, tmp_path: Path):
    keys = {k: v for k, v in make_keys().items() if k.startswith("deepfashion/")}
    for key, data in keys.items():
        path = tmp_path / key
        if key.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    put_all(s3, {k: v for k, v in keys.items() if "Dress/item 003" not in k})
    s3.put_object(Bucket=BUCKET, Key="deepfashion/anno/stray.txt", Body=b"?")
    counter = FileCounter(s3_client=lambda: s3)
    options = CountOptions(recursive=True, by_ext=True, with_paths=True)

    comparison = counter.compare(
        [str(tmp_path / "deepfashion"), "s3://datasets/deepfashion"], options
    )

    assert comparison.missing_paths[1] == ("img/Dress/item 003.jpg",)
    assert comparison.extra_paths[1] == ("anno/stray.txt",)
    local = count_local(str(tmp_path / "deepfashion"), options)
    assert comparison.counts[0].files == local.files
    assert comparison.counts[1].files == local.files  # one missing, one extra
