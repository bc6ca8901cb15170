"""Hostile names against every path that builds a file name or hands one to a tool.

Names come from outside (S3 keys, a host's listing, a mount's prefix) and are written by
someone who wants a file to land outside the folder the user chose, or a host tool to read
a name as an option. Each test puts such names through the real channel (moto's server, the
test sshd, real files), then checks that a canary never appears, that a sentinel tree
around the destination stays byte-identical, and that every refused name is reported.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import boto3
import pytest

from console.aws.s3 import S3Service
from console.aws.session import AwsSession
from console.commands import cp as cp_command
from console.hosts import HostPool
from console.services import Services
from console.settings import Settings

BUCKET = "hostile"
CANARY = b"canary: this file must never be written"


# --- helpers -----------------------------------------------------------------------------


def snapshot(root: Path, skip: Path | None = None) -> dict[str, tuple[str, bytes]]:
    """Every entry under ``root`` (``skip`` and what is under it left out): its kind and,
    for a file its bytes, for a link its target. Two equal snapshots mean nothing changed."""
    found: dict[str, tuple[str, bytes]] = {}
    for directory, dirs, files in os.walk(root):
        here = Path(directory)
        if skip is not None and (here == skip or skip in here.parents):
            dirs[:] = []
            continue
        for name in dirs + files:
            path = here / name
            if skip is not None and path == skip:
                continue
            key = os.fsdecode(path.relative_to(root))
            if path.is_symlink():
                found[key] = ("link", os.fsencode(os.readlink(path)))
            elif path.is_dir():
                found[key] = ("dir", b"")
            else:
                found[key] = ("file", path.read_bytes())
    return found


def sentinel_tree(root: Path) -> Path:
    """``root/outside/{a.txt,sub/b.txt}`` next to an empty ``root/outside/dest``: the
    destination of the copies. Returns the destination."""
    outside = root / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "a.txt").write_bytes(b"sentinel a\n")
    (outside / "sub" / "b.txt").write_bytes(b"sentinel b\n")
    dest = outside / "dest"
    dest.mkdir()
    return dest


def files_with_canary(root: Path) -> list[str]:
    found = []
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = Path(directory) / name
            if not path.is_symlink() and path.read_bytes() == CANARY:
                found.append(os.fsdecode(path))
    return found


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="awsconsole")
    cp_command.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def s3(aws_endpoint):
    client = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


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


# --- S3 -> this machine ------------------------------------------------------------------


def test_cli_cp_of_a_prefix_keeps_a_dotdot_key_inside_and_reports_it(
    s3, services, tmp_path, capsys
):
    dest = sentinel_tree(tmp_path)
    s3.put_object(Bucket=BUCKET, Key="data/../../x", Body=CANARY)
    s3.put_object(Bucket=BUCKET, Key="data/ok.txt", Body=b"fine\n")
    before = snapshot(tmp_path, skip=dest)

    args = parse(["cp", f"s3://{BUCKET}/data", str(dest), "-r", "--json"])
    code = args.func(args, services)

    [result] = json.loads(capsys.readouterr().out)
    assert files_with_canary(tmp_path) == []
    assert snapshot(tmp_path, skip=dest) == before
    assert (dest / "data" / "ok.txt").read_bytes() == b"fine\n"
    assert result["files_copied"] == 1
    assert [r["name"] for r in result["refused"]] == ["../../x"]
    assert "'..'" in result["refused"][0]["reason"]
    assert code == 1  # not everything was copied
