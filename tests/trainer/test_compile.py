"""``--compile``: torch.compile in place, so checkpoints stay loadable by an uncompiled model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tests.trainer.conftest import TINY, run_trainer
from trainer import checkpoint as ckpt
from trainer.model import LandmarkAttentionNet


@pytest.mark.slow
@pytest.mark.timeout(900)  # torch.compile of the whole network on two CPU cores is minutes
def test_compiled_training_writes_checkpoints_an_uncompiled_model_loads(tiny_dataset: Path, tmp_path: Path):
    run_dir = tmp_path / "compiled"
    result = run_trainer("train", "--data-root", str(tiny_dataset), "--run-dir", str(run_dir), "--epochs", "1",
                         "--max-steps-per-epoch", "2", "--compile", "on", *TINY, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    derived = json.loads((run_dir / "config.json").read_text())["derived"]
    assert derived["compile"] is True
    assert "compile True" in result.stdout
    state = ckpt.load(run_dir / ckpt.LAST)
    # compiled in place: no "_orig_mod." prefixes, the keys of the plain network
    plain = LandmarkAttentionNet(derived["num_categories"], derived["num_attributes"], 0.125)
    assert set(state["model"]) == set(plain.state_dict())
    plain.load_state_dict(state["model"])
    assert all(torch.isfinite(p).all() for p in plain.parameters())


@pytest.mark.slow
def test_compile_auto_is_off_on_the_cpu(tiny_dataset: Path, tmp_path: Path):
    run_dir = tmp_path / "auto"
    result = run_trainer("train", "--data-root", str(tiny_dataset), "--run-dir", str(run_dir), "--epochs", "1",
                         "--max-steps-per-epoch", "1", "--device", "cpu", *TINY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((run_dir / "config.json").read_text())["derived"]["compile"] is False
