"""The real network code path (reduced width, 64 px) learns the synthetic garments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.trainer.conftest import run_trainer
from trainer.synth import write_dataset


@pytest.mark.slow
def test_loss_falls_and_category_accuracy_beats_chance(tmp_path: Path):
    data = tmp_path / "data"
    write_dataset(data, images=240, seed=11, categories=6)  # 168 train, 36 val images
    run_dir = tmp_path / "run"
    result = run_trainer(
        "train", "--data-root", str(data), "--run-dir", str(run_dir), "--image-size", "64",
        "--width", "0.125", "--batch-size", "16", "--epochs", "10", "--lr", "1e-3", "--lr-decay", "0.95",
        "--workers", "0", "--threads", "1", "--log-every", "5", "--spot-watch", "off", timeout=400)
    assert result.returncode == 0, result.stdout + result.stderr
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in records if r["kind"] == "train"]
    evals = [r for r in records if r["kind"] == "eval"]
    assert len(train) == 20 and len(evals) == 10  # 10 steps per epoch, a record every 5
    assert train[-1]["loss"] < 0.3 * train[0]["loss"]
    assert train[-1]["loss_category"] < 0.8 * train[2]["loss_category"]
    chance = 100 / 6
    assert evals[-1]["category_top1"] > 2.5 * chance, evals[-1]
    assert evals[-1]["category_top3"] > evals[0]["category_top3"]
    config = json.loads((run_dir / "config.json").read_text())
    assert config["config"]["lr"] == 1e-3 and config["derived"]["num_categories"] == 50
