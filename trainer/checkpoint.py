"""Checkpoints: plain data only, written atomically (temporary file, fsync, os.replace), so a kill
at any moment leaves either the previous complete file or the new complete file, never a partial
one.

Two kinds, both loadable with ``weights_only=True`` (tensors, numbers, strings, lists, dicts):

- ``last.pt``, the full state to resume from: model, optimizer, scheduler and scaler states,
  epoch, global step, the batches done in the current epoch, the best metric so far, every RNG
  state (as tensors and lists), the config and the dataset metadata (class names);
- ``best.pt``, the model weights only, with the config and metadata that predict and eval need
  to rebuild and label the network (no optimizer state: a third of the size).

Beside each checkpoint the trainer saves, a small JSON *sidecar* (``last.pt.json``,
``best.pt.json``) says what it holds: kind, epoch, global step, the metrics of its epoch, the
config digest and when it was saved, with the checkpoint's size. A program that lists
checkpoints (the console) reads the sidecar instead of loading a file of hundreds of MB with
torch. It is written after its checkpoint, so a sidecar whose ``size`` differs from the file
beside it describes an earlier save of that name and is to be ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainer.errors import CheckpointError
from trainer.weights_file import WeightsFileError, load_plain, plain

LAST = "last.pt"
BEST = "best.pt"
FORMAT = 2  # 1: the earlier layer plan, with pickled numpy RNG states
SIDECAR_SUFFIX = ".json"
SIDECAR_FORMAT = 1
KIND_FULL, KIND_WEIGHTS = "full", "weights"

TRUSTED_CHECKPOINT_HINT = (
    "if you trust whoever made it, keep only its plain parts once: python -c \"import torch; "
    "s = torch.load('PATH', weights_only=False); torch.save({k: s[k] for k in ('model', 'config', 'meta')}, "
    "'plain.pt')\" and use plain.pt")


def rng_state() -> dict[str, Any]:
    """Every RNG state as plain data: the Python and numpy generators as lists and tensors."""
    version, mt, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": {"version": version, "state": list(mt), "gauss": gauss},
        "numpy": {"name": name, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    py = state["python"]
    random.setstate((py["version"], tuple(py["state"]), py["gauss"]))
    npy = state["numpy"]
    np.random.set_state((npy["name"], npy["keys"].numpy().astype(np.uint32), npy["pos"], npy["has_gauss"],
                         npy["cached_gaussian"]))
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]][: torch.cuda.device_count()])


def atomic_save(obj: Any, path: Path) -> None:
    """torch.save of plain data to ``path`` through a temporary file in the same folder and os.replace."""
    obj = plain(obj, path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CheckpointError(f"could not write checkpoint {path}: {exc}") from None
    _fsync_dir(path.parent)


def sidecar_path(path: Path) -> Path:
    """``last.pt`` -> ``last.pt.json``."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def sidecar_info(state: dict[str, Any], config_digest: str) -> dict[str, Any]:
    """What a sidecar says of a checkpoint's state (plain JSON: undefined metrics left out)."""
    saved_at = float(state.get("saved_at") or 0.0)
    metrics = {k: v for k, v in (state.get("metrics") or {}).items()
               if isinstance(v, int | float) and math.isfinite(v)}
    best = state.get("best")
    return {
        "kind": state.get("kind"),
        "epoch": state.get("epoch"),
        "epoch_step": state.get("epoch_step"),
        "step": state.get("global_step"),
        "best": best if isinstance(best, int | float) and math.isfinite(best) else None,
        "reason": state.get("reason"),
        "metrics": metrics,
        "metrics_epoch": state.get("metrics_epoch"),
        "config_digest": config_digest,
        "saved_at": saved_at,
        "saved_at_iso": dt.datetime.fromtimestamp(saved_at, dt.UTC).isoformat() if saved_at else None,
    }


def write_sidecar(path: Path, info: dict[str, Any]) -> Path:
    """Write ``<checkpoint>.json`` beside the checkpoint ``path`` just saved, atomically (temporary
    file, fsync, os.replace): ``info`` plus the format, the checkpoint's name and its size."""
    data = {"format": SIDECAR_FORMAT, "checkpoint": path.name, "size": path.stat().st_size, **info}
    target = sidecar_path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(data, indent=1, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CheckpointError(f"could not write {target}: {exc}") from None
    return target


def weights_only_state(full: dict[str, Any]) -> dict[str, Any]:
    """What best.pt keeps of a full state: the weights and what is needed to use them."""
    keep = ("model", "config", "meta", "epoch", "epoch_step", "global_step", "best", "metrics", "metrics_epoch",
            "reason", "saved_at", "source")
    return {"format": FORMAT, "kind": KIND_WEIGHTS, **{k: full[k] for k in keep if k in full}}


def save_weights(path: Path, model: torch.nn.Module, config, meta: dict[str, Any], epoch: int,
                 global_step: int, extra: dict[str, Any] | None = None) -> None:
    """A weights-only checkpoint (best.pt's kind) from a model, its TrainConfig and labels."""
    state = {"format": FORMAT, "kind": KIND_WEIGHTS, "model": model.state_dict(), "config": config.to_dict(),
             "meta": meta, "epoch": epoch, "global_step": global_step, **(extra or {})}
    atomic_save(state, path)


def atomic_copy(src: Path, dest: Path) -> None:
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    shutil.copyfile(src, tmp)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, dest)
    _fsync_dir(dest.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems do not sync directories; the rename is still atomic
    finally:
        os.close(fd)


def remove_stale_temporaries(run_dir: Path) -> None:
    """Temporary files left by a process killed while saving are never read; clear them away."""
    for tmp in run_dir.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def load_file(path: Path | str, what: str = "checkpoint", trusted_hint: str = TRUSTED_CHECKPOINT_HINT) -> Any:
    """Any model file, weights-only, on the CPU; CheckpointError with one clear line otherwise."""
    try:
        return load_plain(path, what, trusted_hint.replace("PATH", str(path)))
    except WeightsFileError as exc:
        raise CheckpointError(str(exc)) from None


def load(path: Path | str) -> dict[str, Any]:
    """Load a trainer checkpoint (last.pt or best.pt) on the CPU whatever device saved it.

    Raises CheckpointError when the file is missing, damaged, holds more than plain data, or is
    not a trainer checkpoint.
    """
    state = load_file(path)
    if not isinstance(state, dict) or "model" not in state:
        raise CheckpointError(f"{path} is not a trainer checkpoint (no model state)")
    return state


def load_full(path: Path | str) -> dict[str, Any]:
    """A checkpoint to resume from: last.pt's kind, with optimizer and progress."""
    state = load(path)
    if state.get("kind") == KIND_WEIGHTS or "optimizer" not in state:
        raise CheckpointError(f"{path} holds model weights only (like best.pt); resume from {LAST}")
    return state


def load_weights(model: torch.nn.Module, weights: dict[str, torch.Tensor], path: Path | str) -> None:
    """``model.load_state_dict(weights)`` with one clear line when the file was saved for another
    network (an earlier layer plan, another width or number of classes)."""
    advice = "use a checkpoint of this version, or convert the reference code's with import-reference"
    try:
        result = model.load_state_dict(weights, strict=False)
    except RuntimeError:
        raise CheckpointError(f"{path} does not fit this network (tensors of other shapes: another width "
                              f"or number of classes); {advice}") from None
    if result.missing_keys or result.unexpected_keys:
        example = (result.missing_keys or result.unexpected_keys)[0]
        raise CheckpointError(f"{path} does not fit this network ({len(result.missing_keys)} tensors missing, "
                              f"{len(result.unexpected_keys)} unknown, e.g. {example}: saved by another layer "
                              f"plan); {advice}")
