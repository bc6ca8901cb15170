"""predict on a CPU-only machine, from a checkpoint whose tensors were saved as CUDA storage."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from tests.trainer.conftest import run_trainer
from trainer import checkpoint as ckpt
from trainer.__main__ import main
from trainer.predict import load_for_inference, predict_image

# Saves a checkpoint with every storage tagged "cuda:0", exactly as torch.save writes it on a GPU
# machine: a location tagger registered ahead of the built-in CPU one.
RETAG = """
import sys, torch
state = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
torch.serialization.register_package(0, lambda storage: "cuda:0", lambda storage, location: None)
torch.save(state, sys.argv[2])
"""


def _first_image(data_root: Path) -> tuple[Path, list[str]]:
    row = (data_root / "Anno/list_bbox.txt").read_text().splitlines()[2].split()
    return data_root / row[0], [str(int(v)) for v in row[1:]]


@pytest.fixture(scope="module")
def cuda_checkpoint(trained_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cuda") / "from_gpu.pt"
    subprocess.run([sys.executable, "-c", RETAG, str(trained_run / ckpt.LAST), str(out)],
                   check=True, timeout=120)
    return out


def test_checkpoint_really_carries_cuda_location_tags(cuda_checkpoint: Path):
    with zipfile.ZipFile(cuda_checkpoint) as zf:
        pickle = next(zf.read(n) for n in zf.namelist() if n.endswith("data.pkl"))
    assert b"cuda:0" in pickle and b"cpu" not in pickle
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(cuda_checkpoint, weights_only=False)  # what a naive load does on a laptop


@pytest.mark.slow
def test_predict_cli_on_cpu_from_cuda_checkpoint(cuda_checkpoint: Path, trained_run: Path,
                                                 tiny_dataset: Path, tmp_path: Path):
    image, bbox = _first_image(tiny_dataset)
    drawn = tmp_path / "marked.png"
    result = run_trainer("predict", str(cuda_checkpoint), str(image), "--bbox", *bbox, "--json",
                         "--draw", str(drawn))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert len(answer["categories"]) == 5 and len(answer["landmarks"]) == 8
    assert set(answer["attributes"]) == {"texture", "fabric", "shape", "part", "style"}
    assert answer["box"] == [int(v) for v in bbox]
    for lm in answer["landmarks"]:  # inside the crop
        assert int(bbox[0]) <= lm["x"] <= int(bbox[2]) and int(bbox[1]) <= lm["y"] <= int(bbox[3])
    from PIL import Image

    with Image.open(drawn) as img, Image.open(image) as original:
        assert img.size == original.size

    # Same answer as the CPU-saved original, and the model is in eval mode.
    loaded = load_for_inference(trained_run / ckpt.LAST)
    assert not loaded.model.training
    direct = predict_image(loaded, image, tuple(int(v) for v in bbox))
    assert [c["name"] for c in direct["categories"]] == [c["name"] for c in answer["categories"]]
    assert direct["landmarks"] == answer["landmarks"]


def test_predict_text_output_and_whole_image_without_bbox(trained_run: Path, tiny_dataset: Path, capsys):
    image, _ = _first_image(tiny_dataset)
    assert main(["predict", str(trained_run / ckpt.BEST), str(image), str(image)]) == 0
    out = capsys.readouterr().out
    assert out.count("categories:") == 2 and "left collar" in out


def test_eval_cli_reports_the_paper_metrics(trained_run: Path, tiny_dataset: Path, capsys):
    status = main(["eval", str(trained_run / ckpt.LAST), "--data-root", str(tiny_dataset),
                   "--split", "test", "--workers", "0", "--json"])
    assert status == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["images"] == 6
    for key in ("category_top1", "category_top3", "category_top5", "attr_all_recall@3",
                "attr_texture_recall@5", "landmark_mean", "landmark_left_hem"):
        assert key in metrics


def test_missing_checkpoint_is_a_clear_error(tmp_path: Path, tiny_dataset: Path, capsys):
    image, _ = _first_image(tiny_dataset)
    assert main(["predict", str(tmp_path / "nope.pt"), str(image)]) == 2
    err = capsys.readouterr().err
    assert "checkpoint not found" in err and "nope.pt" in err
