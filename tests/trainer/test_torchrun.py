"""Two processes under torchrun with the gloo backend: one run, rank 0 alone writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.trainer.conftest import REPO, TINY, trainer_env
from trainer import checkpoint as ckpt


@pytest.mark.slow
def test_two_process_torchrun_gloo(tiny_dataset: Path, tmp_path: Path):
    run_dir = tmp_path / "ddp"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "trainer", "train", "--data-root", str(tiny_dataset), "--run-dir", str(run_dir),
               "--epochs", "1", *TINY]
    result = subprocess.run(command, cwd=REPO, env=trainer_env(), capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    derived = json.loads((run_dir / "config.json").read_text())["derived"]
    assert derived["world_size"] == 2
    # 28 training images, 4 per process per step, 2 processes: 3 steps (drop_last).
    assert derived["steps_per_epoch"] == 3
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "train"] == [1, 2, 3]  # rank 0 only, once each
    evals = [r for r in records if r["kind"] == "eval"]
    assert len(evals) == 1 and evals[0]["images"] == 6  # the 6 validation images, each counted once
    assert result.stdout.count("processes 2") == 1
    assert ckpt.load(run_dir / ckpt.LAST)["global_step"] == 3
