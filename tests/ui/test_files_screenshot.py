"""docs/screenshots/files.svg: the Files view of ``--demo`` counting its dataset bucket.

    python -m tests.ui.test_files_screenshot

The bucket is the demo's ``deepfashion-data`` (the DeepFashion layout, seeded into the
in-process endpoint), counted by extension through the Count panel. The test below draws the
same picture into a temporary folder and checks that it shows the real count.
"""

from __future__ import annotations

import asyncio
import html
import sys
import tempfile
from pathlib import Path

import pytest

from console.app import make_app
from console.demo.environment import DATASET_BUCKET
from console.settings import Settings
from console.startup import build_services
from console.ui.files.count_panel import CountPanel
from console.ui.files.view import FilesView
from tests.fixtures.demo_endpoint import stop_demo
from tests.ui.conftest import query_shown, wait_until

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZE = (110, 30)


async def draw(folder: Path, workdir: Path) -> tuple[Path, object]:
    """Start the demo, count its dataset bucket in the Files view, save files.svg; returns
    the path and the count the panel showed."""
    settings = Settings(demo=True, demo_dir=str(workdir / "demo"), refresh_interval=0)
    services = build_services(settings)
    services.demo.wait_until_seeded(timeout=120)
    app = make_app(settings, services)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("5")
            view = await query_shown(pilot, FilesView)
            await wait_until(pilot, lambda: view.display and view.is_mounted)
            panel = view.query_one(CountPanel)
            panel.query_one("#count-location").value = f"s3://{DATASET_BUCKET}"
            panel.start()
            await wait_until(
                pilot, lambda: panel.last_count is not None or panel.last_failure, within=60
            )
            assert panel.last_failure is None, panel.last_failure
            await pilot.pause(0.3)
            folder.mkdir(parents=True, exist_ok=True)
            app.save_screenshot("files.svg", str(folder))
            return folder / "files.svg", panel.last_count
    finally:
        services.close()
        stop_demo(workdir / "demo")  # its endpoint would otherwise run on until the session ends


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_screenshot_shows_the_count_of_the_demo_bucket(tmp_path):
    svg, count = await draw(tmp_path / "out", tmp_path)
    text = html.unescape(svg.read_text()).replace("\u00a0", " ")
    assert count.files > 0
    assert count.location.startswith(f"s3://{DATASET_BUCKET}")
    assert f"{count.location}: {count.files:,} files" in text
    assert "Mounts" in text and "EXTENSION" in text


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        path, _ = asyncio.run(draw(OUT, Path(work)))
    print(path, file=sys.stderr)
