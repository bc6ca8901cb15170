"""Trainer benchmark: our training/inference set-up vs a plain fp32 baseline, side by side.

    .venv/bin/python bench/trainer_bench.py                      # the paper's network, 224 px
    .venv/bin/python bench/trainer_bench.py --image-size 96 --width 0.25 --steps 5   # quick look

Same as ``python -m trainer bench``; see trainer/bench.py for what each column means.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trainer.__main__ import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
