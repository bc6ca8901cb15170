"""What a run leaves for the console to read without torch: JSON sidecars beside the
checkpoints, start/train/eval/end records with totals, times and ETA in metrics.jsonl, a
config digest that ignores where a run is carried out, and the drawn picture's path in
predict's JSON."""

from __future__ import annotations

import json
from pathlib import Path

from tests.trainer.conftest import run_trainer
from trainer import checkpoint as ckpt
from trainer.config import TrainConfig


def _records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_every_checkpoint_has_a_sidecar_that_matches_it(trained_run: Path):
    for name in (ckpt.LAST, ckpt.BEST):
        state = ckpt.load(trained_run / name)
        sidecar = json.loads((trained_run / f"{name}.json").read_text())
        assert sidecar["format"] == 1 and sidecar["checkpoint"] == name
        assert sidecar["size"] == (trained_run / name).stat().st_size
        assert sidecar["kind"] == state["kind"]
        assert (
            (sidecar["epoch"], sidecar["step"]) == (state["epoch"], state["global_step"]) == (1, 7)
        )
        assert sidecar["reason"] == "end of epoch 1" and sidecar["metrics_epoch"] == 1
        # the metrics of the epoch, undefined ones (NaN) left out, the rest as the checkpoint has them
        assert sidecar["metrics"] == {k: v for k, v in state["metrics"].items() if v == v}
        assert "category_top1" in sidecar["metrics"] and "landmark_mean" in sidecar["metrics"]
        assert sidecar["config_digest"] == TrainConfig.from_dict(state["config"]).digest()
        assert abs(sidecar["saved_at"] - state["saved_at"]) < 1e-3
    assert json.loads((trained_run / "last.pt.json").read_text())["kind"] == ckpt.KIND_FULL
    assert json.loads((trained_run / "best.pt.json").read_text())["kind"] == ckpt.KIND_WEIGHTS


def test_metrics_lines_carry_totals_times_and_eta(trained_run: Path):
    records = _records(trained_run)
    kinds = [r["kind"] for r in records]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("eval") == 1
    start, end = records[0], records[-1]
    assert (start["epoch"], start["step"], start["epochs"], start["resumed_from"]) == (
        0,
        0,
        1,
        None,
    )
    assert start["steps_per_epoch"] == 7 and start["config_digest"].startswith("sha256:")
    trains = [r for r in records if r["kind"] == "train"]
    assert [r["step"] for r in trains] == list(range(1, 8))
    assert all(r["epochs"] == 1 and r["steps_per_epoch"] == 7 for r in trains)
    assert all(r["epoch_eta_s"] >= 0 and r["lr"] > 0 and r["images_per_s"] > 0 for r in trains)
    assert trains[-1]["epoch_eta_s"] == 0.0
    [evaluation] = [r for r in records if r["kind"] == "eval"]
    assert (
        evaluation["epochs"] == 1 and evaluation["epoch_seconds"] >= evaluation["eval_seconds"] > 0
    )
    assert (end["reason"], end["exit_status"], end["step"], end["epoch"]) == ("finished", 0, 7, 1)
    assert all(r["time"] > 0 for r in records)


def test_config_digest_ignores_where_and_how_a_run_is_carried_out():
    base = TrainConfig(data_root="a", run_dir="runs/a")
    moved = TrainConfig(
        data_root="/elsewhere",
        run_dir="runs/b",
        resume="auto",
        workers=8,
        s3_uri="s3://b/x",
        spot_watch="off",
        log_every=5,
    )
    assert base.digest() == moved.digest()
    assert base.digest() != TrainConfig(data_root="a", lr=3e-4).digest()
    assert base.digest() != TrainConfig(data_root="a", image_size=192).digest()


def test_resumed_run_says_where_it_started(tiny_dataset: Path, trained_run: Path, tmp_path: Path):
    from tests.trainer.conftest import TINY

    run_dir = tmp_path / "again"
    run_dir.mkdir()
    for name in ("last.pt", "last.pt.json"):
        (run_dir / name).write_bytes((trained_run / name).read_bytes())
    result = run_trainer(
        "train",
        "--data-root",
        str(tiny_dataset),
        "--run-dir",
        str(run_dir),
        "--epochs",
        "2",
        "--max-steps-per-epoch",
        "2",
        "--resume",
        "auto",
        *TINY,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    records = _records(run_dir)
    start = records[0]
    assert start["kind"] == "start" and start["resumed_from"] == str(run_dir / "last.pt")
    assert (start["epoch"], start["step"]) == (1, 7)
    assert [r["step"] for r in records if r["kind"] == "train"] == [8, 9]
    sidecar = json.loads((run_dir / "last.pt.json").read_text())
    assert (sidecar["epoch"], sidecar["step"]) == (2, 9)
    assert sidecar["size"] == (run_dir / "last.pt").stat().st_size


def test_predict_json_names_the_drawn_picture(
    trained_run: Path, tiny_dataset: Path, tmp_path: Path
):
    image = next((tiny_dataset / "img").rglob("*.jpg"))
    drawn = tmp_path / "marked.png"
    result = run_trainer(
        "predict", str(trained_run / ckpt.BEST), str(image), "--json", "--draw", str(drawn)
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["drawn"] == str(drawn) and drawn.is_file()
    plain = run_trainer("predict", str(trained_run / ckpt.BEST), str(image))
    assert (
        "drawn" not in plain.stdout
        and len(
            json.loads(
                run_trainer("predict", str(trained_run / ckpt.BEST), str(image), "--json").stdout
            )["categories"]
        )
        == 5
    )
