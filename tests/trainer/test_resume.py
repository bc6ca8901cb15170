"""kill -9 in the middle of an epoch, then --resume auto: training continues from the last
checkpoint to the same weights an uninterrupted run reaches, and no checkpoint is ever partial."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch

from tests.trainer.conftest import REPO, TINY, run_trainer, trainer_command, trainer_env
from trainer import checkpoint as ckpt
from trainer.errors import CheckpointError


def _train_records(run_dir: Path) -> list[dict]:
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.endswith("}") and '"kind": "train"' in line]


@pytest.mark.slow
def test_kill_9_mid_epoch_then_resume_auto(tiny_dataset: Path, tmp_path: Path):
    common = ["--data-root", str(tiny_dataset), "--epochs", "2", "--checkpoint-every", "2", *TINY]
    killed = tmp_path / "killed"
    proc = subprocess.Popen(trainer_command("train", "--run-dir", str(killed), *common), cwd=REPO,
                            env=trainer_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        # Past the first periodic checkpoint (step 2) and into the second epoch's first half.
        while not any(r["step"] >= 9 for r in _train_records(killed)):
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "training made no progress"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    state = ckpt.load(killed / ckpt.LAST)  # complete and readable after the kill
    saved_step = state["global_step"]
    assert saved_step >= 8 and state["epoch"] == 1 and state["epoch_step"] == saved_step - 7

    resumed = run_trainer("train", "--run-dir", str(killed), "--resume", "auto", *common)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"global step {saved_step}" in resumed.stdout and "resumed from" in resumed.stdout
    after_kill = [r["step"] for r in _train_records(killed) if r["step"] > saved_step]
    assert after_kill[-(14 - saved_step):] == list(range(saved_step + 1, 15))  # carries on, no repeats
    final = ckpt.load(killed / ckpt.LAST)
    assert (final["epoch"], final["epoch_step"], final["global_step"]) == (2, 0, 14)
    assert not list(killed.glob(".*.tmp"))

    straight = tmp_path / "straight"
    result = run_trainer("train", "--run-dir", str(straight), *common)
    assert result.returncode == 0, result.stdout + result.stderr
    reference = ckpt.load(straight / ckpt.LAST)["model"]
    for name, value in final["model"].items():
        assert torch.allclose(value.float(), reference[name].float(), atol=1e-5), name


def test_failed_save_keeps_the_previous_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "latest.pt"
    ckpt.atomic_save({"model": {"w": torch.ones(3)}, "step": 1}, path)

    def half_written(obj, fh, *args, **kwargs):
        fh.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", half_written)
    with pytest.raises(CheckpointError, match="disk full"):
        ckpt.atomic_save({"model": {"w": torch.zeros(3)}, "step": 2}, path)
    monkeypatch.undo()
    assert ckpt.load(path)["step"] == 1
    assert not list(tmp_path.glob(".*.tmp"))


def test_damaged_checkpoint_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "latest.pt"
    path.write_bytes(b"not a zip file")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        ckpt.load(path)
