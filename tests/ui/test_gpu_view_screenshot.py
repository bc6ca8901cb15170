"""docs/screenshots/gpu.svg: the GPU view of ``--demo`` replaying a recording of 8 A100 GPUs.

    python -m tests.ui.test_gpu_view_screenshot

The GPUs are the stand-in nvidia-smi (tests/data/bin) replaying
tests/data/nvidia-smi/query-gpu_synthetic_8gpu_a100_training.txt, not a live machine; say so
wherever the picture is shown. The test below draws the same picture into a temporary folder.
"""

from __future__ import annotations

import asyncio
import html
import sys
import tempfile
from pathlib import Path

import pytest

from console.app import make_app
from console.settings import Settings
from console.startup import build_services
from console.ui.gpu.device_list import GpuList
from console.ui.gpu.host_panel import HostPanel
from console.ui.gpu.host_picker import GpuHostPicker
from console.ui.gpu.view import GpuView
from tests.fixtures.demo_endpoint import stop_demo
from tests.fixtures.nvidia_smi import make_standin
from tests.ui.conftest import query_shown

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
RECORDING = "query-gpu_synthetic_8gpu_a100_training.txt"
SIZE = (100, 30)


async def _until(pilot, condition, within: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s: {condition}")
        await pilot.pause(0.05)


async def draw(folder: Path, workdir: Path) -> Path:
    """Start the demo with the stand-in, watch its first running instance, save gpu.svg."""
    smi = make_standin(workdir / "smi", query_gpu=RECORDING)
    config = workdir / "config.toml"
    config.write_text(f'[gpu]\nnvidia_smi = "{smi}"\ninterval_ms = 250\n')
    settings = Settings.load(config, environ={}).with_overrides(
        demo=True, demo_dir=str(workdir / "demo"), refresh_interval=0
    )
    services = build_services(settings)
    app = make_app(settings, services)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("4")
            view = await query_shown(pilot, GpuView)
            await _until(pilot, lambda: view.instances)
            first = sorted(view.instances.values(), key=lambda i: i.name)[0]
            view.query_one(GpuHostPicker).choose(first.id)
            await _until(pilot, lambda: view.target == first.id)
            rows = lambda: view.query_one(GpuList).rows  # noqa: E731
            await _until(pilot, lambda: len(rows()) == 8 and all(r.texts for r in rows()))
            await _until(pilot, lambda: len(rows()[0].util_points) >= 30)
            await _until(pilot, lambda: "CPU " in view.query_one(HostPanel).text)
            await pilot.pause(0.3)
            folder.mkdir(parents=True, exist_ok=True)
            app.save_screenshot("gpu.svg", str(folder))
    finally:
        services.close()
        stop_demo(workdir / "demo")  # its endpoint would otherwise run on until the session ends
    return folder / "gpu.svg"


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_screenshot_shows_eight_replayed_gpus(tmp_path):
    svg = (await draw(tmp_path / "out", tmp_path)).read_text()
    text = html.unescape(svg).replace("\u00a0", " ")
    assert "8 × NVIDIA A100-SXM4-40GB" in text
    assert ": 8 GPUs," in text and "fashion-" in text  # a demo instance, mapped to this machine


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        print(asyncio.run(draw(OUT, Path(work))))
    sys.exit(0)
