"""One GPU on one line: index, utilisation and its history, memory and its history,
temperature, power, SM clock and fan. Eight of them fit an 80×24 terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.widgets import Sparkline

from console.format.gpu import UNKNOWN, gpu_memory, known, number, pair
from console.models import GpuSample
from console.ui.common.literal import Static
from console.ui.common.text import literal

#: the cells of a row, left to right: (css class, header label)
CELLS: tuple[tuple[str, str], ...] = (
    ("gpu-index", "GPU"),
    ("gpu-util", "Util"),
    ("gpu-util-spark", "util history"),
    ("gpu-mem", "Memory"),
    ("gpu-mem-spark", "memory history"),
    ("gpu-temp", "Temp"),
    ("gpu-power", "Power"),
    ("gpu-clock", "SM clock"),
    ("gpu-fan", "Fan"),
)

ROW_CSS = """
GpuRow, GpuHeaderRow {
    height: 1;
    width: 1fr;
}
GpuRow > *, GpuHeaderRow > * {
    height: 1;
    margin-right: 1;
}
GpuHeaderRow > * {
    color: $text-muted;
    text-style: bold;
}
.gpu-index { width: 3; }
.gpu-util { width: 4; text-align: right; }
.gpu-util-spark, .gpu-mem-spark { width: 1fr; min-width: 4; }
.gpu-mem { width: 10; text-align: right; }
.gpu-temp { width: 4; text-align: right; }
.gpu-power { width: 10; text-align: right; }
.gpu-clock { width: 8; text-align: right; }
.gpu-fan { width: 4; text-align: right; margin-right: 0; }
"""


BARS = "▁▂▃▄▅▆▇█"
#: one measurement over time, oldest first (None where it was unknown)
History = Sequence[float | None]


class ScaledSparkline(Sparkline):
    """A Sparkline on a fixed scale (0–100 %, 0–total MiB) instead of the data's own
    min–max: 90 % and 91 % look alike, as they are. The whole history is drawn (the newest
    on the right); when it holds more points than there are cells, each cell shows the
    ``summary_function`` (max) of its share, so a short spike still shows."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        #: the value a full bar stands for (None: the largest point)
        self.top: float | None = None

    def render(self) -> RenderResult:
        width = self.size.width
        data = list(self.data or [])
        if not data or not width:
            return Text("")
        if len(data) <= width:
            points = data
        else:
            points = [
                self.summary_function(data[i * len(data) // width : (i + 1) * len(data) // width])
                for i in range(width)
            ]
        top = self.top if self.top else max(max(points), 1e-9)
        _, base = self.background_colors
        low = base + self.get_component_styles("sparkline--min-color").color
        high = base + self.get_component_styles("sparkline--max-color").color
        text = Text()
        for value in points:
            ratio = min(max(value / top, 0.0), 1.0)
            colour = low.blend(high, ratio)
            text.append(BARS[round(ratio * (len(BARS) - 1))], Style(color=colour.rich_color))
        return text


class GpuHeaderRow(Horizontal):
    """The column labels above the GPU rows."""

    DEFAULT_CSS = ROW_CSS

    def compose(self) -> ComposeResult:
        for css_class, label in CELLS:
            yield Static(label, classes=css_class)


class GpuRow(Horizontal):
    """One GPU. ``show`` redraws it from the latest sample and its history."""

    DEFAULT_CSS = ROW_CSS

    def __init__(self, key: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        #: the GPU this row draws (GpuSample.key: its UUID, else its index)
        self.key = key
        #: the texts drawn last, by cell class (what a test or a screen reader reads)
        self.texts: dict[str, str] = {}
        #: what to draw once the cells exist (``show`` before the row is mounted)
        self._pending: tuple[GpuSample, History, History] | None = None
        self._ready = False

    def compose(self) -> ComposeResult:
        for css_class, _ in CELLS:
            if css_class.endswith("-spark"):
                yield ScaledSparkline([], classes=css_class)
            else:
                yield Static(UNKNOWN, classes=css_class)

    def on_mount(self) -> None:
        self._ready = True
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.show(*pending)

    def show(
        self,
        sample: GpuSample,
        util_history: Sequence[float | None],
        memory_history: Sequence[float | None],
    ) -> None:
        if not self._ready:
            self._pending = (sample, util_history, memory_history)
            return
        try:
            self._draw(sample, util_history, memory_history)
        except NoMatches:
            # The row's cells are not there: mounted before its children (a busy
            # event loop) or being removed. Keep the sample; the next one redraws.
            self._pending = (sample, util_history, memory_history)
            self.texts = {}
            if self.is_attached:
                self.call_after_refresh(self._flush_pending)

    def _flush_pending(self) -> None:
        if self._pending is not None and self.is_attached and self.children:
            pending, self._pending = self._pending, None
            self.show(*pending)

    def _draw(
        self,
        sample: GpuSample,
        util_history: Sequence[float | None],
        memory_history: Sequence[float | None],
    ) -> None:
        texts = {
            "gpu-index": UNKNOWN if sample.index is None else str(sample.index),
            "gpu-util": number(sample.utilization_gpu, "%"),
            "gpu-mem": gpu_memory(sample),
            "gpu-temp": number(sample.temperature_c, "°C"),
            "gpu-power": pair(sample.power_draw_w, sample.power_limit_w, "W"),
            "gpu-clock": number(sample.clock_sm_mhz, "MHz"),
            "gpu-fan": number(sample.fan_percent, "%"),
        }
        for css_class, text in texts.items():
            if self.texts.get(css_class) != text:  # redraw only what changed
                self.query_one(f".{css_class}", Static).update(text)
        self.texts = texts
        self._plot(".gpu-util-spark", known(util_history), 100.0)
        self._plot(".gpu-mem-spark", known(memory_history), sample.memory_total_mib)
        # the model name is what nvidia-smi printed: a tooltip would read a str as markup
        tooltip = literal(f"{sample.name or 'unknown model'} · {sample.uuid or 'no UUID'}")
        if self.tooltip != tooltip:
            self.tooltip = tooltip

    def _plot(self, selector: str, points: list[float], top: float | None) -> None:
        spark = self.query_one(selector, ScaledSparkline)
        spark.top = top
        if list(spark.data or []) != points:
            spark.data = points

    @property
    def util_points(self) -> list[float]:
        return list(self.query_one(".gpu-util-spark", Sparkline).data or [])

    @property
    def memory_points(self) -> list[float]:
        return list(self.query_one(".gpu-mem-spark", Sparkline).data or [])
