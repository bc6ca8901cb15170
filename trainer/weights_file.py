"""Model files hold data, never code: every file the trainer reads goes through ``load_plain``.

``torch.load(..., weights_only=True)`` rebuilds tensors, numbers, strings, lists, tuples and
dicts and refuses anything else (a pickled class, a function to call, a numpy array), so a
crafted file cannot run a command when it is opened. A refused file becomes one clear line: what
it holds and how to re-save a file one trusts. ``plain`` is the other side: it checks (and turns
tuples into lists) what the trainer is about to save, so every file it writes loads that way.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import torch

from trainer.errors import TrainerError

_GLOBAL = re.compile(r"Unsupported global: GLOBAL ([\w.]+)")
# Classes whose instances are whole networks: a file holding one was written by torch.save(model).
_MODULE_PREFIXES = ("torch.nn.modules.", "torchvision.models.", "torch.fx.", "torch.jit.")


class WeightsFileError(TrainerError):
    """A model file is missing, damaged, or holds more than plain data."""


def load_plain(path: Path | str, what: str, trusted_hint: str) -> Any:
    """``torch.load`` with ``weights_only=True`` on the CPU, whatever device wrote the file.

    ``what`` names the file in messages ("checkpoint", "backbone file"); ``trusted_hint`` says how
    to re-save a trusted file that holds more than plain data. Raises WeightsFileError.
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsFileError(f"{what} not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = _GLOBAL.search(str(exc))
        if found is None:
            raise WeightsFileError(f"{path} is not a readable {what}: {_one_line(exc)}") from None
        name = found.group(1)
        if name.startswith(_MODULE_PREFIXES):
            held = f"a pickled module ({name}), not a state dict"
        else:
            held = f"a pickled Python object ({name}) that only running code can rebuild"
        raise WeightsFileError(f"{path} is refused: it holds {held}, and loading it could run any code "
                               f"from the file; {trusted_hint}") from None
    except Exception as exc:  # torch raises many kinds for a damaged or foreign file
        raise WeightsFileError(f"{path} is not a readable {what}: {_one_line(exc)}") from None


def plain(obj: Any, where: str = "checkpoint") -> Any:
    """``obj`` with tuples as lists, after checking it holds only tensors, numbers, strings,
    None, lists and dicts with string or integer keys. Raises TypeError naming the first other
    thing (a bug in the trainer: such a file would be refused when read back)."""
    if obj is None or isinstance(obj, bool | int | float | str | torch.Tensor):
        return obj
    if isinstance(obj, list | tuple):
        return [plain(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str | int):
                raise TypeError(f"{where} has a key of type {type(k).__name__}")
            out[k] = plain(v, f"{where}[{k!r}]")
        return out
    raise TypeError(f"{where} is a {type(obj).__module__}.{type(obj).__name__}, which a weights-only load refuses")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
