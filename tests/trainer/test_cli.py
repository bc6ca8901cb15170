"""What a PyTorch user expects of the command line: help without importing torch, a loud line
about where the weights come from, progress bars with images/s and time left for training and
evaluation, fp32 evaluation by default."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.trainer.conftest import REPO, TINY, run_trainer, trainer_env

SUBCOMMANDS = ["synth", "train", "eval", "predict", "bench", "import-reference"]
HEAVY = ("torch", "torchvision", "numpy", "PIL")


def _imported(stderr: str) -> set[str]:
    """Top-level packages named by ``-X importtime``'s lines ("import time: … | package")."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize("args", [[], *[[name] for name in SUBCOMMANDS]], ids=lambda a: " ".join(a) or "trainer")
def test_help_answers_without_importing_torch(args: list[str]):
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "trainer", *args, "--help"], cwd=REPO,
                            env=trainer_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m trainer")
    imported = _imported(result.stderr)
    assert "trainer" in imported  # the scan sees the trainer's own imports
    assert not imported & set(HEAVY), imported & set(HEAVY)


def test_train_help_documents_the_changed_defaults():
    result = run_trainer("train", "--help")
    text = " ".join(result.stdout.split())
    assert "--grad-clip" in text and "0 = off, as the paper trained" in text and "(default: 0.0)" in text
    assert "--attribute-score" in text and "(default: 'positive')" in text
    assert "--eval-precision" in text and "(default: 'fp32')" in text


def _vgg_state(path: Path) -> Path:
    from torchvision.models.vgg import cfgs, make_layers

    features = make_layers([v if v == "M" else max(4, round(v * 0.125)) for v in cfgs["D"]])
    torch.save({f"features.{k}": v for k, v in features.state_dict().items()}, path)
    return path


@pytest.mark.slow
def test_start_line_says_where_the_weights_come_from_and_bars_show_rate_and_eta(tiny_dataset: Path, tmp_path: Path):
    fresh = run_trainer("train", "--data-root", str(tiny_dataset), "--run-dir", str(tmp_path / "fresh"),
                        "--epochs", "1", "--max-steps-per-epoch", "2", *TINY)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "WARNING weights: RANDOM INITIALISATION of the whole network (no --backbone-weights)" in fresh.stdout
    assert "--backbone-weights vgg16-397923af.pth" in fresh.stdout
    bars = re.findall(r"^epoch 1/1 \[[#-]{20}\] step (\d)/2 [\d.]+ img/s ETA \d:\d\d:\d\d loss ", fresh.stdout, re.M)
    assert bars == ["1", "2"]
    assert re.search(r"^eval val \[#{20}\] 2/2 batches [\d.]+ img/s ETA 0:00:00$", fresh.stdout, re.M)
    assert re.search(r"^index: 40 images, (parsed and cached in|mapped from) ", fresh.stdout, re.M)

    backbone = _vgg_state(tmp_path / "vgg16.pth")
    loaded = run_trainer("train", "--data-root", str(tiny_dataset), "--run-dir", str(tmp_path / "pretrained"),
                         "--epochs", "1", "--max-steps-per-epoch", "1", "--backbone-weights", str(backbone), *TINY)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert f"weights: backbone conv1_1-conv5_3 loaded from {backbone}" in loaded.stdout
    assert "RANDOM" not in loaded.stdout
    derived = json.loads((tmp_path / "pretrained" / "config.json").read_text())["derived"]
    assert str(backbone) in derived["weights"] and derived["eval_precision"] == "fp32"

    resumed = run_trainer("train", "--data-root", str(tiny_dataset), "--run-dir", str(tmp_path / "pretrained"),
                          "--epochs", "2", "--max-steps-per-epoch", "1", "--backbone-weights", str(backbone),
                          "--resume", "auto", *TINY)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"weights: resumed from {tmp_path / 'pretrained' / 'last.pt'} ({backbone} not read" in resumed.stdout


@pytest.mark.slow
def test_eval_shows_progress_on_stderr_and_reports_fp32(trained_run: Path, tiny_dataset: Path):
    result = run_trainer("eval", str(trained_run / "best.pt"), "--data-root", str(tiny_dataset), "--split", "val",
                         "--batch-size", "2", "--log-every", "1", "--workers", "0", "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)  # stdout holds the JSON object alone
    assert metrics["precision"] == "fp32" and metrics["attribute_score"] == "positive" and metrics["images"] == 6
    assert "precision fp32" in result.stderr
    steps = re.findall(r"^eval val \[[#-]{20}\] (\d)/3 batches [\d.]+ img/s ETA \d:\d\d:\d\d$", result.stderr, re.M)
    assert steps == ["1", "2", "3"]


def test_evaluation_on_cuda_is_strict_fp32_unless_told_otherwise():
    from trainer.__main__ import build_parser
    from trainer.config import TrainConfig
    from trainer.engine import Runtime, eval_math, eval_runtime

    assert build_parser().parse_args(["eval", "x.pt", "--data-root", "d"]).precision == "fp32"
    assert TrainConfig().eval_precision == "fp32"
    training = Runtime(torch.device("cuda"), "bf16", True)  # as training resolves it on a GPU
    assert eval_runtime(training, TrainConfig().eval_precision).precision == "fp32"
    assert eval_runtime(training, "auto").precision == "bf16"
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = True
    try:
        with eval_math(eval_runtime(training, "fp32")):
            assert (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32) == (False, False)
        assert (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32) == (True, True)
        with eval_math(training):  # bf16 asked for: the flags are left alone
            assert torch.backends.cudnn.allow_tf32
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved
