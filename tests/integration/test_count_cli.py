"""``awsconsole count`` and ``awsconsole unpack`` as a user types them, against real places:
this machine, the test sshd and moto's server."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import boto3
import pytest

from console.aws.s3.service import S3Service
from console.aws.session import AwsSession
from console.commands import count as count_command
from console.commands import unpack as unpack_command
from console.errors import CountError, ReadOnlyError, UnpackError
from console.hosts import HostPool
from console.services import Services
from console.settings import Settings


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="awsconsole")
    subparsers = parser.add_subparsers(dest="command")
    count_command.register(subparsers)
    unpack_command.register(subparsers)
    return parser.parse_args(argv)


@pytest.fixture
def services(aws_endpoint, ssh_env):
    settings = Settings(endpoint_url=aws_endpoint, region="us-east-1")
    aws = AwsSession(settings)
    hosts = HostPool(
        config_path=str(ssh_env.config_path), known_hosts_path=str(ssh_env.known_hosts_path)
    )
    bundle = Services(settings=settings, ec2=None, s3=S3Service(aws), hosts=hosts)
    bundle.on_close += [aws.close, hosts.close_all]
    yield bundle
    bundle.close()


@pytest.fixture
def remote_dir(ssh_env):
    """A folder in the ssh test user's home, handed over to that user."""
    directory = Path(tempfile.mkdtemp(prefix="cli-", dir=ssh_env.material.user_home))
    user = ssh_env.material.user

    def hand_over() -> None:
        shutil.chown(directory, user, user)
        for root, dirs, files in os.walk(directory):
            for name in dirs + files:
                os.chown(os.path.join(root, name), *_ids(user), follow_symlinks=False)

    yield directory, hand_over
    shutil.rmtree(directory, ignore_errors=True)


def _ids(user: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def make_dataset(root: Path, n: int = 6) -> None:
    (root / "img").mkdir(parents=True)
    for i in range(n):
        (root / "img" / f"photo {i}.jpg").write_bytes(b"j" * (i + 1))
    (root / "list_category.txt").write_text("50\n")


def run(argv: list[str], services) -> int:
    args = parse(argv)
    return args.func(args, services)


def test_count_json_on_a_host(services, remote_dir, capsys):
    directory, hand_over = remote_dir
    make_dataset(directory)
    hand_over()

    code = run(["count", f"testhost:{directory}", "-r", "--by-ext", "--bytes", "--json"], services)

    assert code == 0
    [record] = json.loads(capsys.readouterr().out)
    assert (record["files"], record["dirs"], record["bytes"]) == (7, 1, 21 + 3)
    assert {r["extension"]: r["files"] for r in record["by_extension"]} == {".jpg": 6, ".txt": 1}
    assert record["location"] == f"testhost:{directory}"
    # without --bytes no file is stat'ed, and the JSON says the size is unknown
    assert run(["count", f"testhost:{directory}", "-r", "--json"], services) == 0
    [quick] = json.loads(capsys.readouterr().out)
    assert (quick["files"], quick["dirs"], quick["bytes"]) == (7, 1, None)


def test_count_table_of_an_s3_prefix(services, aws_endpoint, capsys):
    client = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="data")
    for i in range(4):
        client.put_object(Bucket="data", Key=f"set/img/{i}.jpg", Body=b"x" * i)

    assert run(["count", "s3://data/set", "-r", "--by-ext"], services) == 0

    out = capsys.readouterr().out
    header, row = out.splitlines()[:2]
    assert header.split() == ["LOCATION", "FILES", "DIRS", "SYMLINKS", "OTHER", "BYTES"]
    assert row.split() == ["s3://data/set/", "4", "1", "0", "0", "6"]
    assert ".jpg" in out


def test_compare_three_places_exits_1_and_names_the_missing_file(
    services, aws_endpoint, remote_dir, tmp_path, capsys
):
    local = tmp_path / "dataset"
    make_dataset(local)
    directory, hand_over = remote_dir
    make_dataset(directory)
    (directory / "img" / "photo 2.jpg").unlink()
    hand_over()
    client = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="data")
    for path in local.rglob("*"):
        if path.is_file():
            client.put_object(
                Bucket="data", Key=f"ds/{path.relative_to(local)}", Body=path.read_bytes()
            )

    argv = ["count", "--compare", str(local), "s3://data/ds", f"testhost:{directory}", "-r"]
    code = run([*argv, "--by-path", "--json"], services)

    assert code == 1
    [record] = json.loads(capsys.readouterr().out)
    assert record["matches"] is False
    assert record["missing_paths"] == [[], [], ["img/photo 2.jpg"]]
    assert record["extra_paths"] == [[], [], []]
    jpg = next(r for r in record["by_extension"] if r["extension"] == ".jpg")
    assert jpg["files"] == [6, 6, 5] and jpg["missing"] == [0, 0, 1]

    assert run(argv, services) == 1
    table = capsys.readouterr().out
    assert "[3] MISSING" in table and "The locations differ." in table
    assert run(["count", "--compare", str(local), "s3://data/ds", "-r"], services) == 0


def test_compare_descends_by_default_and_top_level_compares_folders(services, tmp_path, capsys):
    trees = {"a": {"img/train": 4, "anno": 0}, "b": {"img/train": 2, "anno": 0}}
    trees["c"] = {**trees["a"], "extra": 1}
    for name, layout in trees.items():
        for folder, files in layout.items():
            (tmp_path / name / folder).mkdir(parents=True, exist_ok=True)
            for index in range(files):
                (tmp_path / name / folder / f"{index}.jpg").write_bytes(b"j")
    a, b, c = (str(tmp_path / name) for name in "abc")

    # no flag: recursive, so the two files [2] lacks below its folders are found
    assert run(["count", "--compare", a, b, "--json"], services) == 1
    [record] = json.loads(capsys.readouterr().out)
    assert all(location["recursive"] for location in record["locations"])
    jpg = next(r for r in record["by_extension"] if r["extension"] == ".jpg")
    assert jpg["files"] == [4, 2] and jpg["missing"] == [0, 2]

    # --top-level: no file at either top, the same two folders: said as such
    assert run(["count", "--compare", a, b, "--top-level"], services) == 0
    out = capsys.readouterr().out
    assert "(folders)" in out and "Same files and folders at the top level" in out
    assert "Same files everywhere" not in out
    # a folder more at the top of [2] is a difference
    assert run(["count", "--compare", a, c, "--top-level", "--json"], services) == 1
    [record] = json.loads(capsys.readouterr().out)
    folders = next(r for r in record["by_extension"] if r["extension"] == "/")
    assert folders["files"] == [2, 3] and folders["extra"] == [0, 1]


def test_count_refuses_several_paths_without_compare(services, tmp_path):
    with pytest.raises(CountError, match="--compare"):
        run(["count", str(tmp_path), str(tmp_path)], services)


def test_unpack_on_a_host_json(services, remote_dir, capsys):
    directory, hand_over = remote_dir
    for i in range(3):
        with zipfile.ZipFile(directory / f"{i}.zip", "w") as archive:
            archive.writestr(f"part{i}/image.jpg", b"i" * 10)
    (directory / "bad.zip").write_bytes(b"nope")
    hand_over()

    code = run(
        ["unpack", f"testhost:{directory}", "-P", "2", "--dest", f"{directory}/out", "--json"],
        services,
    )

    assert code == 1
    [record] = json.loads(capsys.readouterr().out)
    assert (record["archives_total"], record["archives_ok"], record["parallel"]) == (4, 3, 2)
    assert record["failures"][0]["archive"] == "bad.zip"
    assert record["failures"][0]["kind"] == "corrupt"
    assert all((directory / "out" / f"part{i}" / "image.jpg").exists() for i in range(3))


def test_unpack_is_refused_in_read_only_mode_and_needs_a_host(services, tmp_path):
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as archive:
        archive.writestr("a.txt", b"a")
    with pytest.raises(UnpackError, match="names no host"):
        run(["unpack", str(tmp_path)], services)
    read_only = Services(settings=Settings(read_only=True), ec2=None, s3=None, hosts=services.hosts)
    with pytest.raises(ReadOnlyError):
        run(["unpack", f"local:{tmp_path}"], read_only)
    assert not (tmp_path / "a.txt").exists()
    assert run(["unpack", f"local:{tmp_path}"], services) == 0
    assert (tmp_path / "a.txt").read_bytes() == b"a"
