"""``python -m trainer predict CHECKPOINT IMAGE --json --draw OUT.png`` on this machine, and
its answer read into a ``Prediction``.

The trainer runs as its own process with the Python of ``console.runs.local_python`` (the
console never imports torch). It loads the checkpoint weights-only on the CPU. What it prints
comes from the checkpoint (category and attribute names): it is kept as text, never obeyed.
The drawn picture always goes to a new file in the output folder (a name made here, never
one from outside), so a prediction replaces nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import secrets
import time
from collections.abc import Sequence
from typing import Any

from console.errors import ConsoleError
from console.files.paths import UnsafeName, contained_path
from console.hosts.local import LocalHost
from console.models import Guess, LandmarkGuess, Prediction
from console.runs.errors import PredictError
from console.runs.local_python import local_python, trainer_source_root

#: seconds a prediction may take (loading a 280 MB checkpoint on a slow disk included)
DEFAULT_TIMEOUT = 600.0
NO_TORCH_HINT = (
    "Install the trainer's packages beside the console (pip install 'awsconsole[train]'), "
    'or name a Python that has them: [runs] python = "/path/to/python" in the config file.'
)


def python_for_trainer(configured: str = "") -> str:
    """The interpreter that runs the trainer here. Raises PredictError when there is none."""
    python = local_python(configured)
    if python is None:
        raise PredictError("No Python with torch on this machine to run the trainer with.",
                           hint=NO_TORCH_HINT)  # fmt: skip
    return python


def _slug(text: str, limit: int = 40) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-._")
    return cleaned[:limit] or "image"


def drawn_path(out_dir: str, image: str, checkpoint: str, now: dt.datetime | None = None) -> str:
    """A new file name in ``out_dir`` for the drawn picture:
    ``IMAGE-CHECKPOINT-YYYYmmdd-HHMMSS-xxxx.png``, built from the two names' letters only."""
    now = now or dt.datetime.now(dt.UTC)
    stem = os.path.splitext(os.path.basename(image))[0]
    name = (f"{_slug(stem)}-{_slug(os.path.basename(checkpoint))}-"
            f"{now.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}.png")  # fmt: skip
    try:
        return contained_path(out_dir, name)
    except UnsafeName as exc:  # cannot happen with the letters above; kept as the rule's door
        raise PredictError(f"Refusing the output name {name!r}: {exc.reason}.") from exc


def predict_argv(
    python: str,
    checkpoint: str,
    image: str,
    drawn: str | None,
    *,
    top_attributes: int = 3,
    bbox: Sequence[int] | None = None,
) -> list[str]:
    """``PYTHON -m trainer predict CHECKPOINT IMAGE --json [--draw OUT] …`` with absolute paths
    (a path never reads as an option)."""
    argv = [python, "-m", "trainer", "predict", os.path.abspath(checkpoint), os.path.abspath(image),
            "--json", "--device", "cpu", "--top-attributes", str(int(top_attributes))]  # fmt: skip
    if drawn is not None:
        argv += ["--draw", os.path.abspath(drawn)]
    if bbox is not None:
        argv += ["--bbox", *(str(int(v)) for v in bbox)]
    return argv


def trainer_environment() -> dict[str, str]:
    """PYTHONPATH for a source checkout of the trainer run in place (else nothing)."""
    root = trainer_source_root()
    if root is None:
        return {}
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != root]
    return {"PYTHONPATH": os.pathsep.join([root, *rest])}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _guesses(items: Any) -> tuple[Guess, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(
        Guess(str(item.get("name", "")), _number(item.get("probability")))
        for item in items
        if isinstance(item, dict)
    )


def parse_answer(stdout: str) -> dict[str, Any]:
    """The first JSON object of the trainer's output. Raises PredictError when there is none."""
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            answer = json.loads(line)
        except ValueError:
            continue
        if isinstance(answer, dict):
            return answer
    raise PredictError("The trainer printed no prediction.")


def prediction_from(answer: dict[str, Any], *, checkpoint: str, source: str, python: str,
                    seconds: float) -> Prediction:  # fmt: skip
    """A Prediction from the trainer's ``--json`` object (fields it lacks stay empty)."""
    attributes = answer.get("attributes")
    landmarks = answer.get("landmarks")
    box = answer.get("box")
    drawn = answer.get("drawn")
    return Prediction(
        image=str(answer.get("image", "")),
        checkpoint=checkpoint,
        source=source,
        box=tuple(int(v) for v in box if isinstance(v, int) and not isinstance(v, bool))
        if isinstance(box, list)
        else (),
        categories=_guesses(answer.get("categories")),
        attributes=tuple(
            (str(kind), _guesses(items))
            for kind, items in (attributes.items() if isinstance(attributes, dict) else ())
        ),
        landmarks=tuple(
            LandmarkGuess(str(lm.get("name", "")), _number(lm.get("x")), _number(lm.get("y")),
                          _number(lm.get("u")), _number(lm.get("v")))  # fmt: skip
            for lm in (landmarks if isinstance(landmarks, list) else ())
            if isinstance(lm, dict)
        ),
        drawn=drawn if isinstance(drawn, str) else None,
        python=python,
        seconds=seconds,
    )


def run_predict(
    checkpoint: str,
    image: str,
    *,
    source: str,
    out_dir: str | None,
    python: str,
    top_attributes: int = 3,
    bbox: Sequence[int] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Prediction:
    """Run the trainer's predict on this machine and read its answer.

    ``checkpoint`` is a local file; ``out_dir`` None draws nothing. Raises PredictError (the
    trainer's own one-line reason when it refused the checkpoint or the image).
    """
    if not os.path.isfile(image):
        raise PredictError(f"No image {image!r} on this machine.")
    if not os.path.isfile(checkpoint):
        raise PredictError(f"No checkpoint {checkpoint!r} on this machine.")
    drawn = None
    if out_dir is not None:
        try:
            os.makedirs(out_dir, exist_ok=True)
        except OSError as exc:
            raise PredictError(f"Cannot create the output folder {out_dir}: {exc.strerror}.") from exc
        drawn = drawn_path(out_dir, image, checkpoint)
    argv = predict_argv(python, checkpoint, image, drawn, top_attributes=top_attributes, bbox=bbox)
    started = time.monotonic()
    try:
        result = LocalHost().run(argv, timeout=timeout, env=trainer_environment())
    except ConsoleError as exc:
        raise PredictError(f"The trainer did not answer: {exc.message}") from exc
    if result.exit_code != 0:
        raise PredictError(_failure(result.exit_code, result.stderr.decode("utf-8", "replace"), python))
    answer = parse_answer(result.stdout.decode("utf-8", "replace"))
    return prediction_from(answer, checkpoint=checkpoint, source=source, python=python,
                           seconds=time.monotonic() - started)  # fmt: skip


def _failure(code: int, stderr: str, python: str) -> str:
    if code == 127:
        return f"{python} cannot be run here: {stderr.strip() or 'not found'}."
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    said = [line[len("error: ") :] for line in lines if line.startswith("error: ")]
    reason = said[-1] if said else (lines[-1] if lines else f"exit status {code}")
    return f"The trainer could not predict: {reason}"
