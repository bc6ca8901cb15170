"""The processes on a host's GPUs: pid, GPU, name, GPU memory and the job they belong to."""

from __future__ import annotations

from collections.abc import Sequence

from console.format.gpu import UNKNOWN, mib
from console.models import GpuProcess, GpuSample
from console.ui.common.literal import DataTable

COLUMNS = (
    ("pid", "PID"),
    ("gpu", "GPU"),
    ("memory", "GPU memory"),
    ("job", "Job"),
    ("name", "Process"),
)


def short_uuid(uuid: str | None) -> str:
    """A GPU the frame does not list (a MIG instance, a GPU gone): its UUID, shortened."""
    if not uuid:
        return UNKNOWN
    return uuid if len(uuid) <= 13 else uuid[:12] + "…"


def process_cells(process: GpuProcess, index_of: dict[str, int]) -> tuple[str, ...]:
    gpu = index_of.get(process.gpu_uuid or "")
    return (
        UNKNOWN if process.pid is None else str(process.pid),
        str(gpu) if gpu is not None else short_uuid(process.gpu_uuid),
        mib(process.used_memory_mib),
        process.job or UNKNOWN,
        process.process_name or UNKNOWN,
    )


class GpuProcessTable(DataTable):
    DEFAULT_CSS = """
    GpuProcessTable {
        height: 1fr;
        min-height: 3;
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self._shown: list[tuple[str, ...]] | None = None

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def show(self, processes: Sequence[GpuProcess], gpus: Sequence[GpuSample]) -> None:
        index_of = {g.uuid: g.index for g in gpus if g.uuid and g.index is not None}
        rows = [process_cells(p, index_of) for p in processes]
        if rows == self._shown:
            return  # unchanged: keep the cursor and the scroll where they are
        self._shown = rows
        cursor = self.cursor_row
        self.clear()
        for row in rows:
            self.add_row(*row)
        if rows:
            self.move_cursor(row=min(cursor, len(rows) - 1))
