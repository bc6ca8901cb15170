"""ssh's first-connection question asked in the console, against the real sshd: the dialog
shows the host and the key's real fingerprint; trusting writes the key to known_hosts and the
work that stopped runs again; cancelling writes nothing; a changed key is refused, no dialog.

The app is built as the CLI builds it (``build_services``), with a HOME of the test's own:
~/.ssh/config names the test sshd, ~/.ssh/known_hosts starts empty.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from console.app import make_app
from console.ui.common.host_key import HostKeyScreen
from console.ui.files.count_panel import CountPanel
from console.ui.files.view import FilesView
from tests.fixtures.sshd import write_ssh_config
from tests.ui.conftest import click_drawn, notifications, query_shown, wait_until

pytestmark = pytest.mark.timeout(120)

SIZE = (140, 40)


@pytest.fixture
def ssh_home(tmp_path, monkeypatch, ssh_material, sshd_server, sshd_jump_server) -> Path:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    write_ssh_config(home / ".ssh" / "config", ssh_material, sshd_server, sshd_jump_server)
    (home / ".ssh" / "known_hosts").write_text("")
    return home


@pytest.fixture
def remote_folder(ssh_material):
    """Three files in a folder of the ssh test user's home."""
    folder = Path(tempfile.mkdtemp(prefix="hostkey-", dir=ssh_material.user_home))
    for index in range(3):
        (folder / f"{index}.txt").write_text("x" * index)
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def app_for(moto_settings, make_services):
    def build():
        return make_app(moto_settings, make_services(moto_settings))

    return build


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def keygen_finds(known_hosts: Path, name: str) -> bool:
    """Whether OpenSSH's own lookup (``ssh-keygen -F``) finds ``name`` in the file."""
    result = subprocess.run(
        ["ssh-keygen", "-F", name, "-f", str(known_hosts)], capture_output=True, text=True
    )
    return result.returncode == 0 and "found" in result.stdout


async def count_on_the_host(pilot, location: str) -> CountPanel:
    await pilot.press("5")
    view = await query_shown(pilot, FilesView)
    await wait_until(pilot, lambda: view.display and view.is_mounted)
    panel = pilot.app.screen.query_one(CountPanel)
    field = pilot.app.screen.query_one("#count-location")
    field.focus()
    field.value = location
    await pilot.pause()
    await pilot.press("enter")
    return panel


async def test_trusting_the_shown_fingerprint_writes_known_hosts_and_the_count_goes_on(
    ssh_home, app_for, sshd_server, remote_folder
):
    known_hosts = ssh_home / ".ssh" / "known_hosts"
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        panel = await count_on_the_host(pilot, f"testhost:{remote_folder}")
        await wait_until(pilot, lambda: isinstance(app.screen, HostKeyScreen))
        # the host as known_hosts names it, drawn literally (it looks like markup: [127.0.0.1])
        assert f"[127.0.0.1]:{sshd_server.port}" in text_of(app, "#host-key-host")
        fingerprint = text_of(app, "#host-key-fingerprint")
        assert sshd_server.keygen_fingerprint() in fingerprint
        assert fingerprint.startswith("ssh-ed25519 key fingerprint: ")
        assert str(known_hosts) in text_of(app, "#host-key-where")
        assert known_hosts.read_text() == ""  # nothing before the answer
        # the count stopped on the key and says so in its own line
        assert panel.last_failure is not None
        assert panel.last_failure.title == "Unknown SSH host key"
        await click_drawn(pilot, "#host-key-accept")
        await wait_until(pilot, lambda: panel.last_count is not None)
        assert not isinstance(app.screen, HostKeyScreen)
        assert (panel.last_count.files, panel.last_count.dirs) == (3, 0)
        assert panel.last_failure is None
        trusted = [n for n in notifications(app) if n.title == "SSH host key"]
        assert [n.severity for n in trusted] == ["information"]
        assert sshd_server.keygen_fingerprint() in trusted[0].message
    assert known_hosts.read_text() == sshd_server.known_hosts_line()
    assert keygen_finds(known_hosts, sshd_server.known_hosts_name)


async def test_cancelling_writes_nothing_and_the_failure_stays_in_view(
    ssh_home, app_for, remote_folder
):
    known_hosts = ssh_home / ".ssh" / "known_hosts"
    known_hosts.unlink()  # no file at all: cancelling must not create one either
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        panel = await count_on_the_host(pilot, f"testhost:{remote_folder}")
        await wait_until(pilot, lambda: isinstance(app.screen, HostKeyScreen))
        # Enter lands on Cancel: a habit must not trust a key
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, HostKeyScreen))
        warned = [n for n in notifications(app) if n.title == "SSH host key"]
        assert [n.severity for n in warned] == ["warning"]
        assert "nothing was written" in warned[0].message
        assert panel.last_count is None
        assert panel.last_failure is not None
        assert "not trusted yet" in panel.last_failure.message
        assert "Unknown SSH host key" in text_of(app, "#count-status")
    assert not known_hosts.exists()


async def test_a_new_file_is_created_private_in_a_private_folder(ssh_home, app_for, remote_folder):
    (ssh_home / ".ssh" / "known_hosts").unlink()
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        panel = await count_on_the_host(pilot, f"testhost:{remote_folder}")
        await wait_until(pilot, lambda: isinstance(app.screen, HostKeyScreen))
        await pilot.press("escape")  # Escape is Cancel too
        await wait_until(pilot, lambda: not isinstance(app.screen, HostKeyScreen))
        assert not (ssh_home / ".ssh" / "known_hosts").exists()
        await pilot.press("enter")  # the count's field still has focus: ask again
        await wait_until(pilot, lambda: isinstance(app.screen, HostKeyScreen))
        await click_drawn(pilot, "#host-key-accept")
        await wait_until(pilot, lambda: panel.last_count is not None)
    known_hosts = ssh_home / ".ssh" / "known_hosts"
    assert known_hosts.stat().st_mode & 0o777 == 0o600


async def test_a_changed_key_is_refused_without_a_question(
    ssh_home, app_for, sshd_server, sshd_jump_server, remote_folder
):
    known_hosts = ssh_home / ".ssh" / "known_hosts"
    key_type, other_key = sshd_jump_server.public_key()
    before = f"{sshd_server.known_hosts_name} {key_type} {other_key}\n"
    known_hosts.write_text(before)
    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        panel = await count_on_the_host(pilot, f"testhost:{remote_folder}")
        await wait_until(pilot, lambda: panel.last_failure is not None)
        assert not isinstance(app.screen, HostKeyScreen)
        assert panel.last_failure.title == "SSH host key changed"
        assert sshd_server.keygen_fingerprint() in panel.last_failure.message
        errors = [n for n in notifications(app) if n.title == "SSH host key changed"]
        assert errors and errors[0].severity == "error"
        assert "ssh-keygen -R" in errors[0].message
    assert known_hosts.read_text() == before
