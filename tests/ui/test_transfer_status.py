"""What the transfer queue and the bucket browser say is true: a copy that failed reads
"failed" with its reason, its bar is not full, the totals count it apart from the done ones,
and it stays listed until dismissed. Real failures: S3 without credentials (moto's server,
no credentials in the environment), a folder copied without "recursive", a host whose port
is closed, and an ``aws s3 cp`` job on a host that has no credentials."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from console.app import make_app
from console.models import TransferState
from console.settings.sections import JobsSettings
from console.ui.buckets.path_prompt import S3PathPrompt
from console.ui.files.transfer_panel import TransferPanel
from tests.ui.conftest import cell_texts, notifications, wait_until
from tests.ui.test_files_view import open_files, type_into
from tests.ui.test_s3_browser import goto, open_bucket, seed

pytestmark = pytest.mark.timeout(180)

SIZE = (160, 40)
STATE, PROGRESS = 3, 4


def without_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))


def rows(app) -> list[list[str]]:
    return cell_texts(app.screen.query_one("#transfer-queue"))


def failures_box(app) -> str:
    box = app.screen.query_one("#transfer-failures")
    return str(box.render()) if box.display else ""


def status(app) -> str:
    return str(app.screen.query_one("#transfer-status").render())


async def add_transfer(pilot, panel: TransferPanel, source: str, destination: str) -> object:
    count = len(panel.handles)
    await type_into(pilot, "#transfer-source", source)
    await type_into(pilot, "#transfer-destination", destination)
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(panel.handles) == count + 1)
    handle = panel.handles[-1]
    await wait_until(pilot, handle.future.done, within=120)
    await wait_until(pilot, lambda: not panel.handles[-1].progress().state.active)
    panel.redraw()
    await pilot.pause()
    return handle


async def test_an_s3_copy_without_credentials_is_failed_apart_from_done_until_dismissed(
    tmp_path, s3, moto_settings, make_services, monkeypatch
):
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="model.pt", Body=b"weights" * 1000)
    here = tmp_path / "here.txt"
    here.write_bytes(b"a local file")
    out = tmp_path / "out"
    out.mkdir()
    without_credentials(monkeypatch, tmp_path)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("t")
        panel = app.screen.query_one(TransferPanel)

        good = await add_transfer(pilot, panel, str(here), f"{out}/")
        bad = await add_transfer(pilot, panel, "s3://data/model.pt", f"{out}/")

        assert good.future.result().state is TransferState.DONE
        result = bad.future.result()
        assert result.state is TransferState.FAILED
        first, second = rows(app)
        assert first[STATE] == "done" and first[PROGRESS].endswith("100%")
        assert second[STATE].startswith("failed: ") and "credentials" in second[STATE].lower()
        # nothing arrived: the bar says so
        assert second[PROGRESS].endswith(" 0%")
        assert status(app).startswith("2 transfers: 1 done, 1 failed")
        box = app.screen.query_one("#transfer-failures")
        assert box.display and "Transfer 2 failed" in str(box.render())
        assert any(n.severity == "error" for n in notifications(app))
        assert not (out / "model.pt").exists()

        # the failure stays until dismissed: d on its row
        table = app.screen.query_one("#transfer-queue")
        table.focus()
        table.move_cursor(row=1)
        await pilot.press("d")
        await wait_until(pilot, lambda: len(rows(app)) == 1)
        assert rows(app)[0][STATE] == "done"
        assert not box.display
        assert status(app).startswith("1 transfer: 1 done")


async def test_a_refused_folder_copy_is_failed_and_never_a_full_bar(
    tmp_path, moto_settings, make_services
):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "model.pt").write_bytes(b"weights")
    out = tmp_path / "out"
    out.mkdir()
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("t")
        panel = app.screen.query_one(TransferPanel)
        app.screen.query_one("#transfer-recursive").value = False

        handle = await add_transfer(pilot, panel, str(folder), str(out))

        assert handle.future.result().state is TransferState.FAILED
        [row] = rows(app)
        assert row[STATE].startswith("failed: ")
        assert "is a folder: use -r" in failures_box(app)
        assert row[PROGRESS].endswith(" 0%")
        assert status(app).startswith("1 transfer: 1 failed")
        assert "done" not in status(app)
        assert os.listdir(out) == []


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_copy_to_an_unreachable_host_is_failed(tmp_path, moto_settings, make_services):
    from console.hosts.ssh.host import SshHost

    config = tmp_path / "ssh_config"
    config.write_text(f"Host gone\n    HostName 127.0.0.1\n    Port {closed_port()}\n")
    source = tmp_path / "model.pt"
    source.write_bytes(b"weights")
    services = make_services(moto_settings)
    host = SshHost("gone", config_path=str(config), known_hosts_path=str(tmp_path / "known_hosts"))
    services.hosts.register("gone", host)
    app = make_app(moto_settings, services)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await open_files(pilot)
            await pilot.press("t")
            panel = app.screen.query_one(TransferPanel)

            handle = await add_transfer(pilot, panel, str(source), "gone:~/model.pt")

            result = handle.future.result()
            assert result.state is TransferState.FAILED
            [row] = rows(app)
            assert row[STATE].startswith("failed: ")
            assert result.error and result.error.splitlines()[0] in failures_box(app)
            assert row[PROGRESS].endswith(" 0%")
            assert status(app).startswith("1 transfer: 1 failed")
    finally:
        host.close()


@pytest.fixture
def refuse_unknown_keys(aws_endpoint):
    """``refuse()`` makes moto's server check every request's access key from then on (the
    test's keys belong to no IAM user there: every call is refused); undone after the test."""

    def set_count(value: str) -> None:
        request = urllib.request.Request(
            f"{aws_endpoint}/moto-api/reset-auth",
            data=value.encode(),
            method="POST",
            headers={"Content-Type": "text/plain"},  # a form body would be parsed away
        )
        urllib.request.urlopen(request, timeout=10).read()

    yield lambda: set_count("0")
    set_count("inf")


def start_tmux_without_credentials(socket_name: str, tmp_path: Path) -> None:
    """Start the jobs' tmux server (``tmux -L socket``) with an environment that has no AWS
    credentials, as on an instance without a role: every job started there inherits it. One
    session keeps the server up; the ``tmux_socket`` fixture ends it all."""
    # TMUX_TMPDIR stays: it says which server ``tmux -L socket`` means (each test process has
    # its own folder); TMUX and TMUX_PANE go, this is no client of another server
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in ("TMUX", "TMUX_PANE")}  # fmt: skip
    env.update(
        PATH=f"{os.path.dirname(sys.executable)}:{env.get('PATH', '')}",  # the venv's aws
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_EC2_METADATA_DISABLED="true",
        LC_ALL="C.UTF-8",
    )
    subprocess.run(
        ["tmux", "-L", socket_name, "new-session", "-d", "-s", "keep", "sleep", "600"],
        env=env,
        check=True,
        timeout=30,
    )


async def test_an_s3_to_host_job_stays_running_and_then_fails_with_the_cli_words(
    tmp_path, s3, moto_settings, make_services, local_host, tmux_socket
):
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="model.pt", Body=b"weights" * 1000)
    start_tmux_without_credentials(tmux_socket, tmp_path)
    settings = replace(moto_settings, jobs=JobsSettings(tmux_socket=tmux_socket))
    services = make_services(settings)
    services.hosts.register("local", local_host)
    app = make_app(settings, services)
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("t")
        panel = app.screen.query_one(TransferPanel)
        seen: list[str] = []
        panel.set_interval(0.05, lambda: seen.extend(r[STATE] for r in rows(app)))

        handle = await add_transfer(pilot, panel, "s3://data/model.pt", "local:~/model.pt")

        result = handle.future.result()
        assert result.state is TransferState.FAILED and result.job_id, result.error
        assert any(state.startswith(f"running: job {result.job_id} on local") for state in seen)
        [row] = rows(app)
        # the cell is cut to the column's width; the failures box below holds the whole reason
        assert row[STATE].startswith(f"failed: The copy job {result.job_id}")
        assert row[PROGRESS].endswith(" 0%")
        box = failures_box(app)
        assert f"The copy job {result.job_id} on local failed" in box
        assert "Unable to locate credentials" in box
        assert status(app).startswith("1 transfer: 1 failed")
    assert not (Path(local_host.home()) / "model.pt").exists()


async def test_the_browser_says_a_download_with_refused_keys_failed(
    tmp_path, s3, moto_settings, make_services, refuse_unknown_keys
):
    seed(s3)
    app = make_app(moto_settings, make_services(moto_settings))
    out = tmp_path / "out"
    out.mkdir()
    async with app.run_test(size=SIZE) as pilot:
        browser = await open_bucket(pilot, app)
        await goto(pilot, browser, "README.txt")
        refuse_unknown_keys()
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, S3PathPrompt))
        app.screen.query_one("#s3-path-input").value = str(out)
        await pilot.press("enter")
        activity = browser.activity
        await wait_until(pilot, lambda: activity.transfer_state is TransferState.FAILED)
        assert activity.text.startswith("Failed: s3://deepfashion-data/README.txt → ")
        assert "Done" not in activity.text
        assert not activity.bar.display and activity.bar.percentage != 1.0
        assert any(n.severity == "error" for n in notifications(app))
        # the app's failure handler did not write over the line that names the copy
        await pilot.pause()
        assert activity.text.startswith("Failed: s3://deepfashion-data/README.txt → ")
        assert os.listdir(out) == []
