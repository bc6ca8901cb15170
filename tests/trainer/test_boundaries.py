"""The trainer never imports the console or textual (it runs as its own process)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.trainer.conftest import REPO, trainer_env

MODULES = ["trainer.__main__", "trainer.train", "trainer.predict", "trainer.bench", "trainer.spot",
           "trainer.s3", "trainer.synth", "trainer.data"]


@pytest.mark.slow
def test_trainer_imports_neither_console_nor_textual():
    code = ("import sys\n" + "".join(f"import {m}\n" for m in MODULES)
            + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('console', 'textual'))\n"
            "print(','.join(bad))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=trainer_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
