"""The Files view's Mounts panel driven with Pilot: a bucket on moto's server mounted with the
real s3fs through /dev/fuse on this machine, listed, read through, and unmounted after a yes;
read-only mode refusing both; the states of a host without s3fs or without FUSE; a host's
mounts listed over a real sshd.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.app import make_app
from console.errors import MountError
from console.files.mount import Credentials, mount, parse_proc_mounts
from console.hosts.local import LocalHost
from console.models import MountOptions
from console.ui.common.confirm import ConfirmScreen
from console.ui.files.mount_panel import MountPanel, mount_request
from console.ui.main_screen import MainScreen
from tests.integration.test_mount import _s3fs_command_lines
from tests.ui.conftest import cell_texts, notifications, wait_until
from tests.ui.test_files_view import open_files, type_into

BUCKET = "fashion-mount"
SHIRT = b"a blue shirt\n"
SIZE = (120, 40)

pytestmark = pytest.mark.timeout(120)
needs_s3fs = pytest.mark.skipif(
    shutil.which("s3fs") is None or not os.path.exists("/dev/fuse"),
    reason="mounting needs s3fs and /dev/fuse on this machine",
)


def mounted_points() -> set[str]:
    return {entry.mountpoint for entry in parse_proc_mounts(Path("/proc/mounts").read_text())}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This machine's home for the test: the mount records and s3fs logs go there."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.fixture
def bucket(s3) -> str:
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="img/shirt.txt", Body=SHIRT)
    return BUCKET


@pytest.fixture
def cleanup() -> Iterator[list[Path]]:
    """Mount points of the test; whatever is still mounted there is unmounted afterwards."""
    points: list[Path] = []
    yield points
    for point in points:
        for argv in (["fusermount3", "-u", str(point)], ["umount", "-l", str(point)]):
            if str(point) in mounted_points():
                subprocess.run(argv, capture_output=True, timeout=60, check=False)
    assert not {str(p) for p in points} & mounted_points()


@pytest.fixture
def mounts_app(moto_settings, make_services, home):
    def build(**overrides):
        settings = moto_settings.with_overrides(**overrides) if overrides else moto_settings
        return make_app(settings, make_services(settings))

    return build


async def open_mounts(pilot) -> MountPanel:
    await open_files(pilot)
    await pilot.press("escape")  # out of the Count field: letter keys switch panels
    await pilot.press("o")
    panel = pilot.app.screen.query_one(MountPanel)
    await wait_until(pilot, lambda: panel.last_seen is not None or panel.last_failure)
    assert panel.last_failure is None
    return panel


def status_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


@needs_s3fs
async def test_mount_list_read_and_unmount_with_a_yes(
    tmp_path, bucket, mounts_app, cleanup, aws_endpoint
):
    point = tmp_path / "datasets" / "fashion"  # missing: "create folder" is on by default
    cleanup.append(point)
    app = mounts_app()
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_mounts(pilot)
        assert "local: s3fs" in status_of(app, "#mount-tools") and "FUSE ready" in status_of(
            app, "#mount-tools"
        )
        # the classic recipe's defaults are in the form
        assert [
            app.screen.query_one(f"#mount-{name}").value for name in ("mp_umask", "multireq_max")
        ] == [
            "0022",
            "5",
        ]
        await type_into(pilot, "#mount-use_cache", str(tmp_path / "cache"))
        await type_into(pilot, "#mount-uid", str(os.getuid()))
        await type_into(pilot, "#mount-point", str(point))
        await type_into(pilot, "#mount-bucket", bucket)
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_done or panel.last_failure, within=60)
        assert panel.last_failure is None, panel.last_failure
        assert str(point) in mounted_points()
        rows = {row[0]: row for row in cell_texts(app.screen.query_one("#mount-table"))}
        assert rows[str(point)][1:3] == [f"s3://{bucket}", "s3fs"]
        assert f"Mounted s3://{bucket} at local:{point} with s3fs" in status_of(
            app, "#mount-status"
        )
        # what the form said reached s3fs, and the file is read through the mount
        [command] = [c for c in _s3fs_command_lines() if str(point) in c]
        for option in (f"use_cache={tmp_path / 'cache'}", "mp_umask=0022", "multireq_max=5"):
            assert option in command
        assert f"uid={os.getuid()}" in command
        assert (point / "img" / "shirt.txt").read_bytes() == SHIRT

        # unmount: asks first; "no" leaves it mounted
        table = app.screen.query_one("#mount-table")
        table.focus()
        table.move_cursor(row=list(rows).index(str(point)))
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert str(point) in mounted_points() and not panel.running
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: (panel.last_done or "").startswith("Unmounted") or panel.last_failure,
            within=60,
        )
        assert panel.last_failure is None, panel.last_failure
        assert str(point) not in mounted_points()
        assert str(point) not in [row[0] for row in cell_texts(table)]
        assert list(point.iterdir()) == []


@needs_s3fs
async def test_read_only_refuses_mounting_and_unmounting(
    tmp_path, home, bucket, mounts_app, cleanup, aws_endpoint
):
    kept = tmp_path / "kept"
    kept.mkdir()
    cleanup.append(kept)
    mount(
        LocalHost(),
        f"s3://{bucket}",
        str(kept),
        Credentials("testing", "testing"),
        MountOptions(endpoint_url=aws_endpoint),
    )
    refused = tmp_path / "refused"
    cleanup.append(refused)
    app = mounts_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_mounts(pilot)
        # looking is allowed: the mount is listed
        assert str(kept) in [row[0] for row in cell_texts(app.screen.query_one("#mount-table"))]
        await type_into(pilot, "#mount-point", str(refused))
        await type_into(pilot, "#mount-bucket", bucket)
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(n.title == "Read-only" for n in notifications(app)))
        [said] = [n.message for n in notifications(app) if n.title == "Read-only"]
        assert said.startswith(f"Mounting s3://{bucket} at local:{refused} was refused")
        assert not panel.running and panel.last_done is None
        assert not refused.exists() and str(refused) not in mounted_points()

        # this machine's mounts are the whole machine's: another test's may be listed too
        table = app.screen.query_one("#mount-table")
        table.move_cursor(row=[row[0] for row in cell_texts(table)].index(str(kept)))
        table.focus()
        await pilot.press("delete")
        await wait_until(
            pilot, lambda: sum(n.title == "Read-only" for n in notifications(app)) == 2
        )
        assert isinstance(app.screen, MainScreen)  # refused without asking
        assert [n.message for n in notifications(app) if n.title == "Read-only"][1].startswith(
            f"Unmount {kept} on local was refused"
        )
        assert str(kept) in mounted_points()


async def test_a_host_without_s3fs_says_how_to_install_it(tmp_path, mounts_app, cleanup):
    point = tmp_path / "never"
    cleanup.append(point)
    app = mounts_app()
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_mounts(pilot)
        # this machine as if neither client were installed
        panel.s3fs_binary = str(tmp_path / "bin" / "s3fs")
        panel.mount_s3_binary = str(tmp_path / "bin" / "mount-s3")
        await type_into(pilot, "#mount-host", "local")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "missing" in status_of(app, "#mount-tools"))
        tools = app.screen.query_one("#mount-tools")
        assert tools.has_class("missing")
        text = status_of(app, "#mount-tools")
        assert text.startswith("s3fs missing on local: install with `sudo apt-get install s3fs`")
        assert app.screen.query_one("#mount-use-mount-s3").disabled

        await type_into(pilot, "#mount-point", str(point))
        await type_into(pilot, "#mount-bucket", "any-bucket")
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_failure is not None)
        assert panel.last_failure.title == "s3fs missing"
        assert "apt-get install s3fs" in panel.last_failure.hint
        assert app.screen.query_one("#mount-status").has_class("error")
        assert not point.exists()  # nothing was made for a mount that cannot happen


async def test_a_host_without_fuse_is_a_state(tmp_path, mounts_app):
    app = mounts_app()
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_mounts(pilot)
        panel.s3fs_binary = "sh"  # a client that is there, so FUSE is what is missing
        panel.fuse_device = str(tmp_path / "fuse")
        await type_into(pilot, "#mount-host", "local")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "missing" in status_of(app, "#mount-tools"))
        text = status_of(app, "#mount-tools")
        assert text.startswith(f"FUSE missing ({tmp_path / 'fuse'}) on local")
        assert "modprobe fuse" in text


async def test_bad_fields_are_named_and_nothing_runs(tmp_path, mounts_app):
    app = mounts_app()
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_mounts(pilot)
        await type_into(pilot, "#mount-point", str(tmp_path / "m"))
        await type_into(pilot, "#mount-mp_umask", "9z")
        await type_into(pilot, "#mount-bucket", "fashion")
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_failure is not None)
        assert "mp_umask" in panel.last_failure.message and "'9z'" in panel.last_failure.message
        assert not panel.running and not (tmp_path / "m").exists()


def test_the_form_reads_an_s3_url_and_checks_each_field():
    fields = dict(
        host="",
        bucket="s3://fashion/deepfashion/",
        prefix="img",
        mountpoint="/mnt/fashion",
        cache="",
        uid="1000",
        umask="002",
        multireq="",
        allow_other=True,
        prefer_mount_s3=False,
        make_mountpoint=True,
    )
    request = mount_request(**fields)
    assert (request.host, request.url) == ("local", "s3://fashion/deepfashion/img")
    assert (request.options.uid, request.options.umask) == (1000, "002")
    assert request.options.cache_dir is None and request.options.multireq_max is None
    assert request.options.allow_other
    # the host's home: expanded there when mounting
    assert mount_request(**{**fields, "mountpoint": "~/s3"}).mountpoint == "~/s3"
    for change, word in (
        ({"bucket": ""}, "bucket"),
        ({"mountpoint": "relative/dir"}, "absolute"),
        ({"mountpoint": "~other/dir"}, "absolute"),
        ({"mountpoint": ""}, "mount point"),
        ({"uid": "-1"}, "uid"),
        ({"multireq": "0"}, "multireq_max"),
        ({"bucket": "fashion/img"}, "not a bucket name"),
    ):
        with pytest.raises(MountError, match=word):
            mount_request(**{**fields, **change})


@needs_s3fs
async def test_mounts_of_an_ssh_host_are_listed(
    tmp_path, home, bucket, moto_settings, make_services, cleanup, ssh_env, aws_endpoint
):
    """The same machine reached through a real sshd: its /proc/mounts shows the mount."""
    from console.hosts import HostPool

    point = tmp_path / "seen-over-ssh"
    point.mkdir()
    cleanup.append(point)
    mount(
        LocalHost(),
        f"s3://{bucket}",
        str(point),
        Credentials("testing", "testing"),
        MountOptions(endpoint_url=aws_endpoint),
    )
    services = make_services(moto_settings)
    services.hosts = HostPool(
        config_path=str(ssh_env.config_path), known_hosts_path=str(ssh_env.known_hosts_path)
    )
    services.on_close.append(services.hosts.close_all)
    app = make_app(moto_settings, services)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_mounts(pilot)
        await type_into(pilot, "#mount-host", "testhost")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (panel.last_seen and panel.last_seen.host == "testhost") or panel.last_failure,
            within=60,
        )
        assert panel.last_failure is None, panel.last_failure
        rows = {row[0]: row for row in cell_texts(app.screen.query_one("#mount-table"))}
        # s3fs itself, seen from the other side (the record of its bucket is in root's home)
        assert rows[str(point)][2] == "s3fs"
        count = len(rows)
        assert f"{count} S3 mount{'s' if count != 1 else ''} on testhost" in status_of(
            app, "#mount-status"
        )


async def test_unmount_and_pause_keys_are_offered_on_their_own_panel_only(mounts_app):
    app = mounts_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("escape")  # out of the Count field, onto the panel tabs
        offered = lambda: set(app.active_bindings)  # noqa: E731
        assert not {"delete", "p"} & offered()
        await pilot.press("t")
        await pilot.press("escape")
        assert "p" in offered() and "delete" not in offered()
        await pilot.press("o")
        await pilot.press("escape")
        assert "delete" in offered() and "p" not in offered()
