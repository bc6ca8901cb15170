"""One reading of location texts for cp, count, unpack and the Files view."""

from __future__ import annotations

import pytest

from console.errors import CountError
from console.files.count import engine as count
from console.files.transfer import engine as transfer
from console.files.transfer.engine import TransferError
from console.models.location import (
    Location,
    LocationError,
    LocationKind,
    parse_location,
    path_on_host,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/data/x.bin", Location("local", "/data/x.bin")),
        ("relative dir/file", Location("local", "relative dir/file")),
        # a colon after a slash is part of a local name, as scp reads it
        ("./a:b", Location("local", "./a:b")),
        ("/x/a:b", Location("local", "/x/a:b")),
        ("dir/a:b", Location("local", "dir/a:b")),
        ("./C:\\x", Location("local", "./C:\\x")),
        ("gpu1:~/runs/model.pt", Location("host", "~/runs/model.pt", host="gpu1")),
        ("gpu1:", Location("host", "~", host="gpu1")),
        ("ubuntu@10.0.0.7:/mnt/data", Location("host", "/mnt/data", host="ubuntu@10.0.0.7")),
        ("i-0abc:/mnt/x y", Location("host", "/mnt/x y", host="i-0abc")),
        ("box:a:b", Location("host", "a:b", host="box")),
        ("[::1]:/srv/f", Location("host", "/srv/f", host="::1")),
        ("s3://bucket/key/part", Location("s3", "key/part", bucket="bucket")),
        ("s3://bucket", Location("s3", "", bucket="bucket")),
        ("s3://bucket/", Location("s3", "", bucket="bucket")),
        ("S3://bucket/k", Location("s3", "k", bucket="bucket")),
    ],
)
def test_reading(text, expected):
    assert parse_location(text) == expected


@pytest.mark.parametrize(
    "name",
    ["with space.bin", 'it\'s "quoted".bin', "$(touch pwned).bin", "semi;colon `x`.bin"],
)
@pytest.mark.parametrize("prefix", ["", "/srv/", "box:", "box:/srv/", "s3://b/"])
def test_odd_names_are_kept_verbatim(prefix, name):
    where = parse_location(prefix + name)
    assert where.path.endswith(name)
    if prefix.startswith("box:"):
        assert where.kind == "host" and where.host == "box"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "No location"),
        ("   ", "No location"),
        ("s3://", "names no bucket"),
        ("s3:///key", "names no bucket"),
        ("s3://my bucket/key", "not a valid S3 bucket name"),
        ("C:\\data\\x.bin", "Windows drive path"),
        ("my file: v2.txt", "cannot be a host name"),
        ("$(reboot):x", "cannot be a host name"),
        (":x", "names no host"),
    ],
)
def test_nonsense_is_refused_with_a_way_out(text, words):
    with pytest.raises(LocationError, match=words.replace("(", r"\(")) as caught:
        parse_location(text)
    if text.strip() and not text.startswith("s3"):
        # the error says how to name the local file of that name
        assert f"./{text}" in str(caught.value)


def test_each_feature_gets_its_own_error_class():
    with pytest.raises(CountError):
        count.parse_location("s3://")
    with pytest.raises(TransferError):
        transfer.parse_location("s3://")


def test_count_and_transfer_read_alike():
    for text in ["./a:b", "box:", "s3://b/k", "/x y", "[fe80::1]:f"]:
        assert count.parse_location(text) == transfer.parse_location(text) == parse_location(text)


@pytest.mark.parametrize("text", ["/data/x", "box:/srv/f", "box:~", "s3://b/k/x", "[::1]:/f"])
def test_a_location_reads_back_as_itself(text):
    where = parse_location(text)
    assert parse_location(str(where)) == where


def test_kinds_compare_as_their_words():
    assert parse_location("box:x").kind == LocationKind.HOST == "host"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("/data/out", "/data/out"),
        ("out dir", "out dir"),
        ("fashion-train:~/out", "~/out"),  # the host the work runs on, named
        ("fashion-train:", "~"),
        ("./fashion-train:~", "./fashion-train:~"),  # a local name, written as such
    ],
)
def test_a_path_on_the_work_host_is_a_plain_path_or_that_host(text, path):
    assert path_on_host(text, "fashion-train", field="Unpack into") == path


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("gpu2:~", "host 'gpu2'"),
        ("s3://data/out", "the S3 location s3://data/out"),
    ],
)
def test_a_path_on_another_host_or_s3_is_refused_not_made_a_folder(text, words):
    with pytest.raises(LocationError) as raised:
        path_on_host(text, "fashion-train", field="Unpack into")
    message = raised.value.message
    assert message.startswith(f"Unpack into {text!r} is on {words}")
    assert "'fashion-train'" in message and "fashion-train:DIR" in message
