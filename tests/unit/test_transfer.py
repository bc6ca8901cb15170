"""The transfer engine's pure parts, and this machine <-> a sandboxed LocalHost (real files,
real ``python3`` helper): locations, ranges, policies, verification spans, the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from types import SimpleNamespace

import pytest

from console.commands import cp as cp_command
from console.files.transfer import ssh_streams as transfer_ssh
from console.files.transfer.engine import (
    Location,
    Policy,
    TransferCancelled,
    TransferEngine,
    TransferError,
    TransferSpec,
    parse_location,
)
from console.files.transfer.s3 import local_digests
from console.files.transfer.ssh_streams import MAX_ATTEMPTS_WITHOUT_PROGRESS, Control, split_ranges
from console.hosts.local import LocalHost
from console.models import TransferState

MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/data/x.bin", Location("local", "/data/x.bin")),
        ("./a:b", Location("local", "./a:b")),
        ("gpu1:~/runs/model.pt", Location("host", "~/runs/model.pt", host="gpu1")),
        ("gpu1:", Location("host", "~", host="gpu1")),
        ("s3://bucket/key/part", Location("s3", "key/part", bucket="bucket")),
        ("s3://bucket", Location("s3", "", bucket="bucket")),
    ],
)
def test_parse_location(text, expected):
    assert parse_location(text) == expected


@pytest.mark.parametrize("text", ["", "s3://", "s3:///key"])
def test_parse_location_refuses_empty_parts(text):
    with pytest.raises(TransferError):
        parse_location(text)


@pytest.mark.parametrize(
    ("size", "streams"), [(0, 4), (1, 4), (10 * MIB, 4), (100 * MIB, 4), (100 * MIB + 7, 3)]
)
def test_split_ranges_cover_the_file_exactly_once(size, streams):
    ranges = split_ranges(size, streams)
    assert len(ranges) <= streams
    position = 0
    for offset, length in ranges:
        assert offset == position
        position += length
    assert position == size


def test_split_ranges_keep_small_files_in_one_stream():
    assert split_ranges(10 * MIB, 4) == [(0, 10 * MIB)]


def test_local_digests_match_s3_composite_rule(tmp_path):
    path = tmp_path / "f"
    data = os.urandom(5 * MIB + 3)
    path.write_bytes(data)
    full, composite, md5 = local_digests(str(path), 2 * MIB)
    import base64

    parts = [data[i : i + 2 * MIB] for i in range(0, len(data), 2 * MIB)]
    joined = b"".join(hashlib.sha256(p).digest() for p in parts)
    assert full == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert composite == base64.b64encode(hashlib.sha256(joined).digest()).decode() + "-3"
    assert md5 == hashlib.md5(data).hexdigest()


@pytest.fixture
def sandbox(tmp_path):
    home = tmp_path / "host-home"
    home.mkdir()
    return LocalHost("box", home=home)


@pytest.fixture
def engine(sandbox):
    return TransferEngine(lambda name: {"box": sandbox}[name])


def test_copy_to_a_local_host_and_policies(engine, sandbox, tmp_path):
    source = tmp_path / "a.txt"
    source.write_bytes(b"one")
    first = engine.run(TransferSpec(str(source), "box:~/"))
    assert first.state is TransferState.DONE and first.verified == "sha256"
    target = sandbox.home() + "/a.txt"
    assert open(target, "rb").read() == b"one"
    assert engine.run(TransferSpec(str(source), "box:~/a.txt")).state is TransferState.SKIPPED
    source.write_bytes(b"two")
    with pytest.raises(TransferError, match="differs"):
        engine.run(TransferSpec(str(source), "box:~/a.txt"))
    both = engine.run(TransferSpec(str(source), "box:~/a.txt", policy=Policy.KEEP_BOTH))
    assert both.written == (sandbox.home() + "/a (1).txt",)
    engine.run(TransferSpec(str(source), "box:~/a.txt", policy=Policy.OVERWRITE))
    assert open(target, "rb").read() == b"two"
    assert sorted(os.listdir(sandbox.home())) == ["a (1).txt", "a.txt"]


def test_missing_destination_folder_is_named(engine, tmp_path):
    source = tmp_path / "a.txt"
    source.write_bytes(b"x")
    with pytest.raises(TransferError, match="destination folder .*nowhere.* does not exist"):
        engine.run(TransferSpec(str(source), str(tmp_path / "nowhere") + "/"))


def test_host_to_host_is_refused(engine):
    with pytest.raises(TransferError, match="one host to another"):
        remote = SimpleNamespace(name="remote", expand=lambda path: path)  # not a LocalHost
        TransferEngine(lambda name: remote).run(TransferSpec("a:x", "b:y"))


def test_cancel_before_start_leaves_nothing(engine, sandbox, tmp_path):
    source = tmp_path / "a.bin"
    source.write_bytes(os.urandom(3 * MIB))
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(TransferCancelled):
        engine.run(TransferSpec(str(source), "box:~/"), cancel=cancel)
    assert os.listdir(sandbox.home()) == []


def test_unchecked_spans_catch_a_difference(sandbox, tmp_path):
    local = tmp_path / "local.bin"
    data = bytearray(os.urandom(3 * MIB))
    local.write_bytes(data)
    data[2 * MIB + 5] ^= 0xFF
    remote = tmp_path / "remote.bin"
    remote.write_bytes(data)
    spans = transfer_ssh._Unchecked()
    spans.add((0, MIB))
    spans.check(sandbox, "python3", str(remote), str(local), "box:remote.bin")  # equal: fine
    spans.add((2 * MIB, MIB))
    with pytest.raises(TransferError, match="differ after a reconnect"):
        spans.check(sandbox, "python3", str(remote), str(local), "box:remote.bin")


def test_run_ranges_resumes_a_range_whose_stream_died():
    calls = []

    def attempt(piece):
        calls.append(piece.done)
        if len(calls) < 3:
            piece.done += 10
            raise ConnectionError("killed")
        piece.done = piece.length

    control = Control(threading.Event(), threading.Event(), lambda n: None)
    control.resume.set()
    transfer_ssh.run_ranges([(0, 100)], attempt, control, "test")
    assert calls == [0, 10, 20] and control.resumes == 2


def test_run_ranges_gives_up_on_a_dead_host(monkeypatch):
    monkeypatch.setattr(transfer_ssh, "RETRY_BACKOFF_S", 0.01)

    def attempt(piece):
        raise ConnectionError("connection refused")

    control = Control(threading.Event(), threading.Event(), lambda n: None)
    control.resume.set()
    with pytest.raises(Exception, match="could not be re-opened") as caught:
        transfer_ssh.run_ranges([(0, 100)], attempt, control, "the upload")
    assert f"({MAX_ATTEMPTS_WITHOUT_PROGRESS} tries)" in str(caught.value)


def services_with_host(name, host, *, read_only):
    from console.services import Services
    from console.settings import Settings

    return Services(
        settings=Settings(read_only=read_only),
        ec2=None,
        s3=None,
        hosts=SimpleNamespace(host_for=lambda target: {name: host}[target]),
    )


def test_cli_cp_prints_json_result(sandbox, tmp_path, capsys):
    source = tmp_path / "a.txt"
    source.write_bytes(b"hello")
    services = services_with_host("box", sandbox, read_only=False)
    import argparse

    parser = argparse.ArgumentParser()
    cp_command.register(parser.add_subparsers())
    args = parser.parse_args(["cp", str(source), "box:~/", "--json"])
    assert args.func(args, services) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert result["state"] == "done" and result["files_copied"] == 1
    assert result["written"] == [sandbox.home() + "/a.txt"]


def test_cli_cp_is_refused_in_read_only_mode(sandbox, tmp_path):
    import argparse

    from console.errors import ReadOnlyError

    source = tmp_path / "a.txt"
    source.write_bytes(b"hello")
    services = services_with_host("box", sandbox, read_only=True)
    parser = argparse.ArgumentParser()
    cp_command.register(parser.add_subparsers())
    args = parser.parse_args(["cp", str(source), "box:~/"])
    with pytest.raises(ReadOnlyError, match="read-only"):
        args.func(args, services)
    assert os.listdir(sandbox.home()) == []
