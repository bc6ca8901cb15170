"""The bench runs end to end and prints its side-by-side table (figures are for the report, not asserted)."""

from __future__ import annotations

import pytest

from tests.trainer.conftest import run_trainer


@pytest.mark.slow
def test_bench_prints_the_comparison_table():
    result = run_trainer("bench", "--image-size", "32", "--width", "0.125", "--batch-size", "2",
                         "--steps", "1", "--warmup", "1", "--latency-runs", "1", "--compare-images", "2",
                         "--threads", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "ours/base" in line)
    assert header.split() == ["baseline", "ours", "ours/base"]
    rows = [line for line in lines if line.startswith(("training images/s", "single-image latency"))]
    assert len(rows) == 2 and all(row.rstrip().endswith("x") for row in rows)
    assert "category_top1_agreement" in result.stdout
