"""A GPU row keeps a sample that arrives while its cells are missing and draws it once
they are back, instead of raising (seen when a view is torn down mid-refresh)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from console.models import GpuSample
from console.ui.gpu.row import GpuRow
from tests.ui.conftest import wait_until


def sample(util: float) -> GpuSample:
    return GpuSample(
        at=0.0,
        index=3,
        uuid="GPU-1",
        name="NVIDIA H100 80GB HBM3",
        utilization_gpu=util,
        utilization_memory=1.0,
        memory_used_mib=1024.0,
        memory_total_mib=81559.0,
        temperature_c=40.0,
        power_draw_w=100.0,
        power_limit_w=700.0,
        clock_sm_mhz=1980.0,
        fan_percent=None,
        pstate="P0",
        driver_version="590.48.01",
    )


class RowApp(App):
    def compose(self) -> ComposeResult:
        yield GpuRow("GPU-1")


async def test_sample_without_cells_waits_and_is_drawn_later():
    app = RowApp()
    async with app.run_test() as pilot:
        row = app.query_one(GpuRow)
        row.show(sample(10.0), [10.0], [1024.0])
        assert row.texts["gpu-util"] == "10%"

        await row.remove_children()
        row.show(sample(55.0), [10.0, 55.0], [1024.0, 1024.0])  # no cells: must not raise
        assert row.texts == {}

        await row.mount_all(list(row.compose()))
        row.show(sample(60.0), [10.0, 55.0, 60.0], [1024.0] * 3)
        await wait_until(pilot, lambda: row.texts.get("gpu-util") == "60%")
        assert row.util_points == [10.0, 55.0, 60.0]
