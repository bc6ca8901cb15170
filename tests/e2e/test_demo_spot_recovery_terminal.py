"""The demo's spot recovery in a real terminal: ``awsconsole --demo`` in a tmux pane, keys in.

6, t, Enter trains on the demo instance fashion-train (the form's demo defaults watch that
instance's metadata stand-in, served by the demo endpoint on 127.0.0.1); Enter opens the run;
once the chart has its first point, i announces a spot interruption there. The trainer saves
a checkpoint and exits 75, the run reads "interrupted — checkpoint at step N"; R, Enter (its
own instance, offered), y relaunch it, and the relaunched trainer starts at step N from that
checkpoint. The demo folder,
ledger and the jobs' tmux server are the test's own.
"""

from __future__ import annotations

import json
import os
import shlex
import uuid
from pathlib import Path

import pytest

from tests.e2e.test_demo_terminal import installed_awsconsole, wait_for
from tests.e2e.test_demo_training_terminal import FIRST_STEP, press, screen, shown
from tests.fixtures.tmux_server import kill_tmux_server, tmux

pytestmark = pytest.mark.timeout(2700)

INTERRUPTED = "interrupted — checkpoint at step"


def ledger_runs(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.slow
def test_a_spot_notice_from_the_demo_key_is_recovered_from_the_checkpoint(
    tmux_socket: str, tmp_path: Path, demo_folder: Path
):
    jobs_socket = f"awsconsole-demo-jobs-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    config = tmp_path / "config.toml"
    ledger = tmp_path / "runs.jsonl"
    config.write_text(
        "refresh_interval = 1\n"
        f"[jobs]\ntmux_socket = {jobs_socket!r}\n"
        f"[runs]\nledger = {str(ledger)!r}\ncache_dir = {str(tmp_path / 'cache')!r}\n",
        encoding="utf-8",
    )
    command = shlex.join([
        "env", f"AWSCONSOLE_DEMO_DIR={demo_folder}", f"AWSCONSOLE_CONFIG={config}",
        "TERM=xterm-256color", installed_awsconsole(), "--demo",
    ])  # fmt: skip
    started = tmux(tmux_socket, "new-session", "-d", "-s", "demo", "-x", "80", "-y", "24",
                   command)  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        shown(tmux_socket, "the fleet", "fashion-train", within=120)
        for key, what, text in (("6", "the Runs view", "No training runs yet"),
                                ("t", "the train form", "python -m trainer train as a job"),
                                ("Enter", "the run", "started run-")):  # fmt: skip
            press(tmux_socket, key)
            shown(tmux_socket, what, text, within=300)
        form_args = ledger_runs(ledger)[0]["trainer_args"]
        press(tmux_socket, "Enter")
        # deadlines, not speed goals: beside the full suite on two cores the trainer's start
        # takes minutes (about 20 s alone)
        wait_for("the first training step", lambda: FIRST_STEP.search(screen(tmux_socket))
                 is not None, within=900)  # fmt: skip
        press(tmux_socket, "i")  # at once: the whole demo run takes about 35 s on a quiet machine
        # (the status corner wraps the line: "fashion-train" may be on the next row)
        shown(tmux_socket, "the announcement", "Spot interruption announced on")
        shown(tmux_socket, "the interrupted run", INTERRUPTED, within=300)
        interrupted = screen(tmux_socket)
        press(tmux_socket, "R")
        shown(tmux_socket, "where to relaunch", "Relaunch demo from its checkpoint at step")
        press(tmux_socket, "Enter")  # on its own instance, offered
        shown(tmux_socket, "the relaunch question", "Relaunch run demo")
        press(tmux_socket, "y")
        # (the status corner wraps before the new run's id)
        shown(tmux_socket, "the relaunch", "Relaunched as", within=300)
        wait_for("the relaunched trainer's start", lambda: len(ledger_runs(ledger)) == 2 and any(
            '"resumed_from": "' in line for line in
            (Path(ledger_runs(ledger)[1]["run_dir"]) / "metrics.jsonl").read_text().splitlines()
        ), within=900)  # fmt: skip
    finally:
        kill_tmux_server(jobs_socket)
        tmux(tmux_socket, "kill-session", "-t", "demo")

    first, second = ledger_runs(ledger)
    step = first["checkpoint_step"]
    # the form's demo defaults watch the demo's loopback stand-in, never the link-local address
    imds = form_args[form_args.index("--imds-endpoint") + 1]
    assert imds.startswith("http://127.0.0.1:") and imds.endswith("/_awsconsole/imds/fashion-train")
    assert form_args[form_args.index("--spot-watch") + 1] == "on"
    assert first["exit_code"] == 75 and first["state"] == "interrupted"
    assert f"{INTERRUPTED} {step}" in interrupted
    assert second["continues"] == first["id"]
    assert second["resumed_from"].endswith("last.pt")
    starts = [json.loads(line) for line in
              (Path(second["run_dir"]) / "metrics.jsonl").read_text().splitlines()
              if '"kind": "start"' in line or '"kind":"start"' in line]  # fmt: skip
    resumed = [s for s in starts if s.get("resumed_from")]
    assert resumed and resumed[-1]["step"] == step  # the relaunch starts at the saved step
