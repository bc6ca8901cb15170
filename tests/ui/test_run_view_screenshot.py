"""docs/screenshots/run_view.svg: the run screen of a real training run.

    python -m tests.ui.test_run_view_screenshot

The picture is of the trainer run for three epochs on its tiny synthetic dataset on this
machine, recorded in a ledger as ``awsconsole train`` records it, opened from the Runs view
with Enter. The test below draws the same screen for the shared one-epoch run into a
temporary folder and checks that the picture holds its charts and checkpoints.
"""

from __future__ import annotations

import asyncio
import html
import sys
import tempfile
from pathlib import Path

import pytest

from console.app import make_app
from console.runs.ledger import Ledger
from console.settings import RunsSettings, Settings
from console.startup import build_services
from console.ui.runs.screen import RunScreen
from tests.trainer import conftest as trainer_fixtures
from tests.trainer.conftest import TINY, run_trainer
from tests.ui.conftest import wait_until
from tests.ui.test_run_view import RUNS_KEY, finished_record
from trainer.synth import write_dataset

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZE = (150, 46)

tiny_dataset = trainer_fixtures.tiny_dataset
trained_run = trainer_fixtures.trained_run


async def draw(run_dir: Path, folder: Path, workdir: Path) -> Path:
    """Record ``run_dir`` in a ledger under ``workdir``, open it in the run screen, save
    run_view.svg in ``folder``."""
    ledger = Ledger(workdir / "runs.jsonl")
    ledger.add(finished_record(run_dir, name="deepfashion-tiny"))
    settings = Settings(
        refresh_interval=0,
        runs=RunsSettings(ledger=str(ledger.path), cache_dir=str(workdir / "cache")),
    )
    services = build_services(settings)
    app = make_app(settings, services)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press(RUNS_KEY)
            await wait_until(pilot, lambda: bool(app.screen.query("#runs-table")))
            table = app.screen.query_one("#runs-table")
            await wait_until(pilot, lambda: table.row_count > 0)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, RunScreen))
            screen = app.screen
            await wait_until(pilot, lambda: screen.progress is not None and screen.checkpoints)
            await pilot.pause(0.5)
            folder.mkdir(parents=True, exist_ok=True)
            app.save_screenshot("run_view.svg", str(folder))
            return folder / "run_view.svg"
    finally:
        services.close()


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_the_run_screen_picture_shows_its_charts_and_checkpoints(
    trained_run: Path, tmp_path: Path
):
    picture = await draw(trained_run, tmp_path / "shots", tmp_path / "work")

    svg = html.unescape(picture.read_text())
    for words in ("deepfashion-tiny", "Loss", "Category top-k", "Learning rate", "Images/s",
                  "last.pt", "best.pt", "resumable"):  # fmt: skip
        assert words.replace(" ", "\xa0") in svg or words in svg, words


def main() -> int:
    with tempfile.TemporaryDirectory() as work:
        workdir = Path(work)
        dataset = workdir / "synth"
        dataset.mkdir()
        write_dataset(dataset, images=40, seed=5, categories=6)
        run_dir = workdir / "runs" / "deepfashion-tiny"
        result = run_trainer("train", "--data-root", str(dataset), "--run-dir", str(run_dir),
                             "--epochs", "3", *TINY)  # fmt: skip
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return 1
        picture = asyncio.run(draw(run_dir, OUT, workdir))
    print(picture)
    return 0


if __name__ == "__main__":
    sys.exit(main())
