"""Shared trainer fixtures: one small synthetic dataset per session, and a command runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.synth import write_dataset

REPO = Path(__file__).resolve().parents[2]
# Small and fast: the real network code path at a reduced width and input size, one thread
# per process (the test machine has two shared cores).
TINY = ["--image-size", "64", "--width", "0.125", "--batch-size", "4", "--workers", "0",
        "--threads", "1", "--spot-watch", "off", "--log-every", "1"]


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth")
    write_dataset(root, images=40, seed=5, categories=6)
    return root


def trainer_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["OMP_NUM_THREADS"] = "1"
    return env


def trainer_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "trainer", *args]


def run_trainer(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(trainer_command(*args), cwd=REPO, env=trainer_env(), capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="session")
def trained_run(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder after one short epoch on the tiny dataset (last.pt, best.pt, metrics)."""
    run_dir = tmp_path_factory.mktemp("trained")
    result = run_trainer("train", "--data-root", str(tiny_dataset), "--run-dir", str(run_dir),
                         "--epochs", "1", *TINY)
    assert result.returncode == 0, result.stderr + result.stdout
    return run_dir
