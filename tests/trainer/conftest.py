"""Shared trainer fixtures: one small synthetic dataset and one short training run per test
run (shared by pytest-xdist's worker processes), and a command runner."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from trainer.synth import write_dataset

REPO = Path(__file__).resolve().parents[2]
# Small and fast: the real network code path at a reduced width and input size, one thread
# per process (the test machine has two shared cores).
TINY = ["--image-size", "64", "--width", "0.125", "--batch-size", "4", "--workers", "0",
        "--threads", "1", "--spot-watch", "off", "--log-every", "1"]


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``name``, made by ``build(folder)`` once for the whole test run.

    Under pytest-xdist the workers share one: the first to get here builds it while the others
    wait on a lock, then all read it (nothing may write into it). A build that failed is tried
    again by the next process that asks.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each worker's own
    folder, done = base / name, base / f"{name}.done"
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_once(
        tmp_path_factory, "synth", lambda root: write_dataset(root, images=40, seed=5, categories=6)
    )


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

    def train(run_dir: Path) -> None:
        result = run_trainer("train", "--data-root", str(tiny_dataset), "--run-dir", str(run_dir),
                             "--epochs", "1", *TINY)
        assert result.returncode == 0, result.stderr + result.stdout

    return built_once(tmp_path_factory, "trained", train)
