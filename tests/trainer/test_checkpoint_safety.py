"""Model files load weights, never code: a checkpoint carrying a ``__reduce__`` payload is refused
by every command that reads one, with one clear line and no file created by the payload; a
pickled module given as backbone is refused naming what to pass instead; the trainer's own
checkpoints hold only tensors, numbers, strings, lists and dicts."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import torch

from tests.trainer.conftest import REPO, TINY, run_trainer
from trainer import checkpoint as ckpt


class OpenPayload:
    """Unpickling calls open(canary, "w"): the file appears if the checkpoint's code runs."""

    def __init__(self, canary: Path) -> None:
        self.canary = canary

    def __reduce__(self):
        return (open, (str(self.canary), "w"))


class ExecPayload:
    """Unpickling runs Python source that touches the canary."""

    def __init__(self, canary: Path) -> None:
        self.canary = canary

    def __reduce__(self):
        return (exec, (f"import pathlib; pathlib.Path({str(self.canary)!r}).touch()",))


def _hostile_checkpoint(path: Path, payload) -> Path:
    """Looks like a trainer checkpoint (model, config, meta) with a payload inside."""
    torch.save({"format": 2, "kind": "full", "model": {"w": torch.ones(2)}, "config": {"image_size": 64},
                "meta": {"category_names": ["a"]}, "optimizer": payload}, path)
    return path


@pytest.mark.parametrize("payload_kind", [OpenPayload, ExecPayload])
def test_the_payload_really_runs_when_loaded_without_weights_only(tmp_path: Path, payload_kind):
    canary = tmp_path / "canary"
    path = _hostile_checkpoint(tmp_path / "evil.pt", payload_kind(canary))
    torch.load(path, weights_only=False)  # what the trainer must never do
    assert canary.exists()


def _first_image(data_root: Path) -> Path:
    return data_root / (data_root / "Anno/list_bbox.txt").read_text().splitlines()[2].split()[0]


def _commands(evil: Path, data: Path, run: Path, out: Path) -> dict[str, list[str]]:
    return {
        "predict": ["predict", str(evil), str(_first_image(data))],
        "eval": ["eval", str(evil), "--data-root", str(data), "--workers", "0"],
        "train --resume PATH": ["train", "--data-root", str(data), "--run-dir", str(run / "a"), "--resume", str(evil),
                                "--epochs", "1", *TINY],
        "train --resume auto": ["train", "--data-root", str(data), "--run-dir", str(run / "b"), "--resume", "auto",
                                "--epochs", "1", *TINY],
        "train --backbone-weights": ["train", "--data-root", str(data), "--run-dir", str(run / "c"),
                                     "--backbone-weights", str(evil), "--epochs", "1", *TINY],
        "import-reference": ["import-reference", str(evil), str(out)],
    }


@pytest.mark.slow
@pytest.mark.parametrize("payload_kind", [OpenPayload, ExecPayload])
def test_every_command_refuses_a_checkpoint_carrying_code(tiny_dataset: Path, tmp_path: Path, payload_kind):
    canary = tmp_path / "canary"
    evil = _hostile_checkpoint(tmp_path / "evil.pt", payload_kind(canary))
    (tmp_path / "run" / "b").mkdir(parents=True)
    (tmp_path / "run" / "b" / ckpt.LAST).write_bytes(evil.read_bytes())  # what --resume auto finds
    for name, args in _commands(evil, tiny_dataset, tmp_path / "run", tmp_path / "out.pt").items():
        result = run_trainer(*args)
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "Traceback" not in result.stderr, (name, result.stderr)
        assert re.search(r"is refused: it holds a pickled Python object \(((builtins|io)\.)?(open|exec)\)", errors[0]), errors[0]
        assert "weights_only=False" in errors[0]  # how to convert a file one trusts
        assert not canary.exists(), name
        assert not (tmp_path / "out.pt").exists()


@pytest.mark.slow
def test_a_pickled_module_as_backbone_is_one_clear_line(tiny_dataset: Path, tmp_path: Path):
    from torchvision.models.vgg import cfgs, make_layers

    module = tmp_path / "vgg16_model.pt"
    torch.save(make_layers([v if v == "M" else 4 for v in cfgs["D"]]), module)  # torch.save(model)
    result = run_trainer("train", "--data-root", str(tiny_dataset), "--run-dir", str(tmp_path / "run"),
                         "--backbone-weights", str(module), "--epochs", "1", *TINY)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if line.strip()]
    assert error.startswith("error: ") and "pickled module (torch.nn.modules.container.Sequential)" in error
    assert "pass a VGG16 state dict" in error and ".state_dict(), 'vgg16.pth')" in error


def _kinds(obj, found: set[str]) -> set[str]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            found.add(type(key).__name__)
            _kinds(value, found)
    elif isinstance(obj, list):
        for value in obj:
            _kinds(value, found)
    found.add("tensor" if isinstance(obj, torch.Tensor) else type(obj).__name__)
    return found


@pytest.mark.slow
def test_saved_checkpoints_hold_only_plain_data(trained_run: Path):
    last = torch.load(trained_run / ckpt.LAST, weights_only=True)
    best = torch.load(trained_run / ckpt.BEST, weights_only=True)
    allowed = {"tensor", "int", "float", "bool", "str", "NoneType", "list", "dict"}
    assert _kinds(last, set()) <= allowed
    assert _kinds(best, set()) <= allowed
    # last.pt: the full state to resume from; best.pt: the weights and what predict needs.
    assert {"model", "optimizer", "scheduler", "rng", "epoch_step", "config", "meta"} <= set(last)
    assert last["kind"] == ckpt.KIND_FULL and best["kind"] == ckpt.KIND_WEIGHTS
    assert not {"optimizer", "scheduler", "scaler", "rng"} & set(best)
    assert {"model", "config", "meta"} <= set(best)
    assert (trained_run / ckpt.BEST).stat().st_size < (trained_run / ckpt.LAST).stat().st_size


def test_best_pt_cannot_be_resumed_from(trained_run: Path, tmp_path: Path):
    from trainer.errors import CheckpointError

    with pytest.raises(CheckpointError, match="holds model weights only"):
        ckpt.load_full(trained_run / ckpt.BEST)


def test_every_torch_load_in_the_trainer_is_weights_only():
    calls = []
    for path in sorted((REPO / "trainer").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load" \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "torch":
                options = {kw.arg: kw.value for kw in node.keywords}
                calls.append((path.name, node.lineno, options.get("weights_only")))
    assert calls, "no torch.load found: the scan is broken"
    for name, line, value in calls:
        assert isinstance(value, ast.Constant) and value.value is True, f"{name}:{line}"


@pytest.mark.slow
def test_plain_but_malformed_checkpoints_are_one_clear_line(trained_run: Path, tiny_dataset: Path, tmp_path: Path):
    state = torch.load(trained_run / ckpt.BEST, weights_only=True)
    cases = {
        "labels not lists": {**state, "meta": {**state["meta"], "category_names": "Anorak"}},
        "config of the wrong types": {**state, "config": {**state["config"], "image_size": "big"}},
        "weights of another network": {**state, "model": {"w": torch.ones(3)}},
        "weights not a mapping": {**state, "model": [torch.ones(3)]},
    }
    for name, bad in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.pt"
        torch.save(bad, path)
        result = run_trainer("predict", str(path), str(_first_image(tiny_dataset)))
        assert result.returncode == 2 and "Traceback" not in result.stderr, (name, result.stderr)
        assert result.stderr.startswith(f"error: {path}") and result.stderr.count("\n") == 1, (name, result.stderr)


@pytest.mark.slow
def test_labels_from_a_checkpoint_are_printed_as_text(trained_run: Path, tiny_dataset: Path, tmp_path: Path):
    state = torch.load(trained_run / ckpt.BEST, weights_only=True)
    hostile = "\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J"  # a clipboard write and a screen clear
    state["meta"]["category_names"] = [hostile + name for name in state["meta"]["category_names"]]
    path = tmp_path / "labels.pt"
    torch.save(state, path)
    result = run_trainer("predict", str(path), str(_first_image(tiny_dataset)))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\\x1b]52;c;ZWNobyBoaQ==\\x07\\x1b[2J" in result.stdout
