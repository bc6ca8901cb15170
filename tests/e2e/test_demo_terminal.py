"""The installed ``awsconsole --demo`` in a real terminal: tmux pane, keys in, screen out."""

from __future__ import annotations

import shlex
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from tests.fixtures.tmux_server import tmux

pytestmark = pytest.mark.timeout(180)


def installed_awsconsole() -> str:
    """The console script installed beside this interpreter (the venv's bin dir)."""
    path = shutil.which("awsconsole", path=str(Path(sys.executable).parent))
    if path is None:
        pytest.fail(f"awsconsole is not installed in {Path(sys.executable).parent}")
    return path


def screen(socket: str) -> str:
    return tmux(socket, "capture-pane", "-p", "-t", "demo").stdout


def wait_for(what: str, check: Callable[[], bool], *, within: float = 90.0) -> None:
    """Poll ``check`` (a deadline only so a broken build fails instead of hanging)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {within}s")
        time.sleep(0.1)


@pytest.mark.slow
def test_demo_shows_the_fleet_and_quits_cleanly(
    tmux_socket: str, tmp_path: Path, demo_folder: Path
):  # demo_folder: the endpoint outlives the console by design; the fixture stops it after
    status_file = tmp_path / "exit-status"
    config = tmp_path / "config.toml"
    config.write_text("refresh_interval = 60\n", encoding="utf-8")
    command = shlex.join(
        [
            "env",
            f"AWSCONSOLE_DEMO_DIR={demo_folder}",
            f"AWSCONSOLE_CONFIG={config}",
            "TERM=xterm-256color",
            installed_awsconsole(),
            "--demo",
        ]
    )
    # the pane's shell records the console's exit status where the test can read it
    shell_line = f"{command}; echo $? > {shlex.quote(str(status_file))}"
    started = tmux(
        tmux_socket, "new-session", "-d", "-s", "demo", "-x", "160", "-y", "50", shell_line
    )
    assert started.returncode == 0, started.stderr
    pane_pid = int(
        tmux(tmux_socket, "display-message", "-p", "-t", "demo", "#{pane_pid}").stdout.strip()
    )

    wait_for("fashion-train in the Instances view", lambda: "fashion-train" in screen(tmux_socket))
    text = screen(tmux_socket)
    assert "fashion-spot" in text and "p4d.24xlarge" in text and "terminated" in text
    console_processes = psutil.Process(pane_pid).children(recursive=True)
    assert console_processes, "the console should be running under the pane's shell"

    tmux(tmux_socket, "send-keys", "-t", "demo", "2")
    wait_for(
        "deepfashion-data in the Buckets view", lambda: "deepfashion-data" in screen(tmux_socket)
    )
    assert "checkpoints" in screen(tmux_socket)

    tmux(tmux_socket, "send-keys", "-t", "demo", "q")
    wait_for("the console to exit", status_file.exists)
    wait_for("the exit status to be written", lambda: status_file.read_text().strip() != "")
    assert status_file.read_text().strip() == "0"
    leftovers = [p for p in console_processes if p.is_running() and p.status() != "zombie"]
    assert leftovers == [], f"processes left behind: {leftovers}"
