"""The demo is one world: ``awsconsole --demo`` in a tmux pane and ``awsconsole --demo`` CLI
calls beside it talk to one endpoint process. An object the CLI uploads shows in the
console's bucket browser; the CLI lists the fleet the console shows; one endpoint serves both.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_demo_terminal import installed_awsconsole, wait_for
from tests.e2e.test_demo_training_terminal import press, screen, shown
from tests.fixtures.demo_endpoint import endpoint_processes
from tests.fixtures.tmux_server import tmux

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def cli(demo_folder: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWSCONSOLE_", "AWS_"))}
    env.update(AWSCONSOLE_DEMO_DIR=str(demo_folder), AWSCONSOLE_CONFIG=str(config),
               AWS_EC2_METADATA_DISABLED="true")  # fmt: skip
    return subprocess.run([installed_awsconsole(), "--demo", *args], capture_output=True,
                          text=True, env=env, timeout=240)  # fmt: skip


def test_the_console_and_cli_calls_share_one_demo_endpoint(
    tmux_socket: str, tmp_path: Path, demo_folder: Path
):
    config = tmp_path / "config.toml"
    config.write_text("refresh_interval = 2\n", encoding="utf-8")
    command = shlex.join([
        "env", f"AWSCONSOLE_DEMO_DIR={demo_folder}", f"AWSCONSOLE_CONFIG={config}",
        "TERM=xterm-256color", installed_awsconsole(), "--demo",
    ])  # fmt: skip
    started = tmux(tmux_socket, "new-session", "-d", "-s", "demo", "-x", "80", "-y", "24",
                   command)  # fmt: skip
    assert started.returncode == 0, started.stderr
    upload = tmp_path / "shared-by-cli.txt"
    upload.write_text("written by a CLI call beside the console\n")
    try:
        shown(tmux_socket, "the fleet", "fashion-train", within=120)
        fleet = screen(tmux_socket)
        listed = cli(demo_folder, config, "instances", "--json")
        copied = cli(demo_folder, config, "cp", str(upload), "s3://deepfashion-data/")
        press(tmux_socket, "2")
        shown(tmux_socket, "the buckets", "deepfashion-data")
        # the dataset bucket's row: its place among the listed buckets, from the first row
        rows = [row for row in screen(tmux_socket).splitlines()
                if "checkpoints" in row or "deepfashion-data" in row]  # fmt: skip
        place = next(i for i, row in enumerate(rows) if "deepfashion-data" in row)
        press(tmux_socket, "g")
        for _ in range(place):
            press(tmux_socket, "Down")
        press(tmux_socket, "Enter")
        try:
            wait_for("the uploaded object in the console", lambda: "shared-by-cli.txt" in
                     screen(tmux_socket), within=120)  # fmt: skip
        except AssertionError as exc:
            raise AssertionError(f"{exc}; cp said {copied.stdout} {copied.stderr}; the pane:\n"
                                 f"{screen(tmux_socket)}") from None
        endpoints = endpoint_processes(demo_folder)
    finally:
        tmux(tmux_socket, "kill-session", "-t", "demo")

    assert listed.returncode == 0, listed.stderr
    names = {instance["name"] for instance in json.loads(listed.stdout)}
    assert {name for name in names if name and name in fleet} == names  # the same fleet
    assert copied.returncode == 0, copied.stderr
    assert len(endpoints) == 1  # one endpoint process served the console and both calls
