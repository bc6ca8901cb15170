"""The GPUs of a host: a line naming the models, column labels, then one row per GPU."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll

from console.format.gpu import models
from console.models import GpuSample
from console.ui.common.literal import Static
from console.ui.gpu.row import GpuHeaderRow, GpuRow

if TYPE_CHECKING:
    from console.services import SampleHistory


class GpuList(VerticalScroll):
    """Rows are added or removed only when the set of GPUs changes; otherwise redrawn."""

    DEFAULT_CSS = """
    GpuList {
        height: auto;
        max-height: 12;
        padding: 0 1;
    }
    GpuList > #gpu-models {
        height: 1;
        text-style: bold;
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._title = ""
        # our own list, not a DOM query: a removed row lingers in the DOM until the next
        # refresh, and a new one has no cells until it is mounted
        self._rows: list[GpuRow] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="gpu-models")
        yield GpuHeaderRow(id="gpu-header")

    @property
    def rows(self) -> list[GpuRow]:
        return list(self._rows)

    def show(self, gpus: tuple[GpuSample, ...], history: SampleHistory | None) -> None:
        driver = next((g.driver_version for g in gpus if g.driver_version), None)
        title = models(gpus) + (f" · driver {driver}" if driver else "")
        if title != self._title:
            self._title = title
            self.query_one("#gpu-models", Static).update(title)
        if [row.key for row in self._rows] != [gpu.key for gpu in gpus]:
            for row in self._rows:
                row.remove()
            self._rows = [GpuRow(gpu.key, classes="gpu-row") for gpu in gpus]
            self.mount_all(self._rows)
        for row, gpu in zip(self._rows, gpus, strict=True):
            if history is None:
                util, memory = [gpu.utilization_gpu], [gpu.memory_used_mib]
            else:
                util = history.series(gpu.key, "utilization_gpu")
                memory = history.series(gpu.key, "memory_used_mib")
            row.show(gpu, util, memory)
