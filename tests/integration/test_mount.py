"""S3 mounts with the real s3fs against moto's server, through /dev/fuse on this machine."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from console import cli
from console.errors import MountError, MountpointError, MountToolMissingError
from console.files.mount import Credentials, list_mounts, mount, parse_proc_mounts, unmount
from console.hosts.local import LocalHost
from console.models import MountOptions

BUCKET = "fashion-mount"

pytestmark = [
    pytest.mark.skipif(shutil.which("s3fs") is None, reason="s3fs is not installed"),
    pytest.mark.skipif(not os.path.exists("/dev/fuse"), reason="no /dev/fuse"),
    pytest.mark.timeout(120),
]


def _proc_mounts() -> str:
    return Path("/proc/mounts").read_text()


def _force_unmount(path: Path) -> None:
    for argv in (["fusermount3", "-u", str(path)], ["umount", "-l", str(path)]):
        if not any(m.mountpoint == str(path) for m in parse_proc_mounts(_proc_mounts())):
            return
        subprocess.run(argv, capture_output=True, timeout=60, check=False)


@pytest.fixture
def s3(aws_endpoint: str):
    client = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="img/shirt.txt", Body=b"a blue shirt\n")
    return client


@pytest.fixture
def host(tmp_path: Path) -> LocalHost:
    home = tmp_path / "home"
    home.mkdir()
    return LocalHost("local", home=home)


@pytest.fixture
def mountpoints(tmp_path: Path) -> Iterator[list[Path]]:
    """Folders to mount on; whatever is still mounted there is unmounted afterwards."""
    made: list[Path] = []
    yield made
    for path in made:
        _force_unmount(path)
    assert not any(
        m.mountpoint in {str(p) for p in made} for m in parse_proc_mounts(_proc_mounts())
    )


def _mountpoint(tmp_path: Path, mountpoints: list[Path], name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    mountpoints.append(path)
    return path


#: moto takes any secret: a recognisable one shows it never reaches a command line
SECRET = "mount-secret-never-on-argv"
CREDS = Credentials("testing", SECRET)


def _s3fs_command_lines() -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == b"s3fs":
            found.append(b" ".join(argv).decode("utf-8", "replace"))
    return found


def test_read_and_write_through_an_s3fs_mount(host, s3, aws_endpoint, tmp_path, mountpoints):
    point = _mountpoint(tmp_path, mountpoints, "bucket")
    options = MountOptions(
        cache_dir=str(tmp_path / "cache"),
        allow_other=True,
        uid=os.getuid(),
        gid=os.getgid(),
        umask="0022",
        multireq_max=5,
        endpoint_url=aws_endpoint,
    )
    entry = mount(host, f"s3://{BUCKET}", str(point), CREDS, options)
    assert entry.mountpoint == str(point)
    assert entry.tool == "s3fs"
    assert "allow_other" in entry.options

    assert (point / "img" / "shirt.txt").read_bytes() == b"a blue shirt\n"
    (point / "img" / "trousers.txt").write_bytes(b"grey trousers\n")
    body = s3.get_object(Bucket=BUCKET, Key="img/trousers.txt")["Body"].read()
    assert body == b"grey trousers\n"

    # the secret is on no command line, and its file is gone once s3fs has started
    # (s3fs itself refuses a password file that others may read)
    for cmdline in _s3fs_command_lines():
        assert SECRET not in cmdline
    assert any(str(point) in cmdline for cmdline in _s3fs_command_lines())
    state_dir = Path(host.home()) / ".cache/awsconsole/mounts"
    assert not list(state_dir.glob("*.passwd"))
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700

    assert [m.mountpoint for m in list_mounts(host)].count(str(point)) == 1
    unmount(host, str(point))
    assert str(point) not in [m.mountpoint for m in list_mounts(host)]
    assert list(point.iterdir()) == []


def test_prefix_and_a_mountpoint_with_spaces(host, s3, aws_endpoint, tmp_path, mountpoints):
    point = _mountpoint(tmp_path, mountpoints, "my data set")
    mount(host, f"s3://{BUCKET}/img", str(point), CREDS, MountOptions(endpoint_url=aws_endpoint))
    assert "\\040" in _proc_mounts()  # the kernel escapes the spaces: list_mounts reads them
    [entry] = [m for m in list_mounts(host) if m.mountpoint == str(point)]
    assert entry.url == f"s3://{BUCKET}/img"
    assert (point / "shirt.txt").read_bytes() == b"a blue shirt\n"
    unmount(host, str(point))
    assert str(point) not in [m.mountpoint for m in list_mounts(host)]


def test_a_mountpoint_under_tilde_is_the_host_home_not_ours(host, s3, aws_endpoint, mountpoints):
    point = Path(host.home()) / "s3"
    point.mkdir()
    mountpoints.append(point)
    entry = mount(host, f"s3://{BUCKET}", "~/s3", CREDS, MountOptions(endpoint_url=aws_endpoint))
    listed = [m.mountpoint for m in list_mounts(host)]
    unmount(host, str(point))

    assert entry.mountpoint == str(point)  # the sandbox home, never this process's ~
    assert str(point) in listed


def test_missing_s3fs_gives_the_install_command(host, aws_endpoint, tmp_path, mountpoints):
    point = _mountpoint(tmp_path, mountpoints, "bucket")
    with pytest.raises(MountToolMissingError) as caught:
        mount(
            host, f"s3://{BUCKET}", str(point), CREDS,
            s3fs_binary="/nonexistent/s3fs", mount_s3_binary="/nonexistent/mount-s3",
        )  # fmt: skip
    assert "apt-get install s3fs" in str(caught.value)


def test_a_non_empty_or_missing_mountpoint_is_named(host, aws_endpoint, tmp_path, mountpoints):
    point = _mountpoint(tmp_path, mountpoints, "busy")
    (point / "keep.txt").write_text("mine")
    with pytest.raises(MountpointError, match="busy on local is not empty"):
        mount(host, f"s3://{BUCKET}", str(point), CREDS, MountOptions(endpoint_url=aws_endpoint))
    assert (point / "keep.txt").read_text() == "mine"
    with pytest.raises(MountpointError, match="nowhere does not exist"):
        mount(host, f"s3://{BUCKET}", str(tmp_path / "nowhere"), CREDS)


def test_a_missing_bucket_fails_with_the_s3fs_error(host, s3, aws_endpoint, tmp_path, mountpoints):
    point = _mountpoint(tmp_path, mountpoints, "bucket")
    with pytest.raises(MountError) as caught:
        mount(
            host, "s3://no-such-bucket", str(point), CREDS,
            MountOptions(endpoint_url=aws_endpoint), wait_seconds=10,
        )  # fmt: skip
    # s3fs's own complaint reaches the message, not only "it failed"
    assert "did not come up" in caught.value.message
    assert "NoSuchBucket" in caught.value.message
    assert str(point) not in [m.mountpoint for m in list_mounts(host)]


def test_unmounting_what_is_not_mounted_is_refused(host, tmp_path):
    with pytest.raises(MountpointError, match="is not an S3 mount"):
        unmount(host, str(tmp_path))


def test_cli_mount_list_unmount(host, s3, aws_endpoint, tmp_path, mountpoints, capsys):
    point = _mountpoint(tmp_path, mountpoints, "cli mount")
    base = ["--endpoint-url", aws_endpoint, "mount"]
    assert cli.main([*base, f"local:{point}", f"s3://{BUCKET}", "--umask", "0022"]) == 0
    assert (point / "img" / "shirt.txt").read_bytes() == b"a blue shirt\n"

    capsys.readouterr()
    assert cli.main([*base, "--list", "local", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    [record] = [r for r in records if r["mountpoint"] == str(point)]
    assert record["url"] == f"s3://{BUCKET}" and record["tool"] == "s3fs"

    assert cli.main([*base, "--unmount", f"local:{point}"]) == 0
    assert str(point) not in [m.mountpoint for m in parse_proc_mounts(_proc_mounts())]
    # a second unmount names the folder and exits with the error status
    assert cli.main([*base, "--unmount", f"local:{point}"]) == cli.EXIT_ERROR
    assert "is not an S3 mount" in capsys.readouterr().err


def test_ro_mounts_read_only_and_a_read_only_console_neither_mounts_nor_unmounts(
    s3, aws_endpoint, tmp_path, mountpoints, capsys
):
    point = _mountpoint(tmp_path, mountpoints, "ro")
    base = ["--endpoint-url", aws_endpoint]
    refused = [*base, "--read-only", "mount", f"local:{point}", f"s3://{BUCKET}/img"]
    assert cli.main(refused) == cli.EXIT_ERROR
    assert "read-only" in capsys.readouterr().err
    assert str(point) not in [m.mountpoint for m in parse_proc_mounts(_proc_mounts())]

    assert cli.main([*base, "mount", f"local:{point}", f"s3://{BUCKET}/img", "--ro"]) == 0
    assert (point / "shirt.txt").read_bytes() == b"a blue shirt\n"
    with pytest.raises(OSError) as caught:
        (point / "new.txt").write_text("refused")
    assert caught.value.errno == errno.EROFS
    assert "new.txt" not in [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]

    assert cli.main(["--read-only", "mount", "--unmount", f"local:{point}"]) == cli.EXIT_ERROR
    assert "read-only" in capsys.readouterr().err
    assert str(point) in [m.mountpoint for m in parse_proc_mounts(_proc_mounts())]
    assert (point / "shirt.txt").read_bytes() == b"a blue shirt\n"
    assert cli.main([*base, "--read-only", "mount", "--list", "local"]) == 0  # looking is fine
    assert cli.main(["mount", "--unmount", f"local:{point}"]) == 0


def test_cli_without_credentials_says_which_variables(
    aws_endpoint, tmp_path, mountpoints, monkeypatch, capsys
):
    point = _mountpoint(tmp_path, mountpoints, "nocreds")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    argv = ["--endpoint-url", aws_endpoint, "mount", f"local:{point}", f"s3://{BUCKET}"]
    assert cli.main(argv) == cli.EXIT_ERROR
    assert "AWS_SECRET_ACCESS_KEY" in capsys.readouterr().err
    assert str(point) not in [m.mountpoint for m in parse_proc_mounts(_proc_mounts())]


def test_parse_proc_mounts_unescapes_and_filters():
    text = (
        "proc /proc proc rw 0 0\n"
        "s3fs /mnt/a\\040b fuse.s3fs rw,user_id=0 0 0\n"
        "mountpoint-s3 /mnt/c fuse.mountpoint-s3 ro 0 0\n"
    )
    entries = parse_proc_mounts(text)
    assert [(e.mountpoint, e.tool) for e in entries] == [
        ("/mnt/a b", "s3fs"),
        ("/mnt/c", "mount-s3"),
    ]
