"""One chart of the run screen: ``textual_plot``'s PlotWidget holding a run's curves.

The chart keeps the curves it was last given (``series``) so what it draws can be checked
against the metrics without reading pixels. Only our own words reach the plot's legend and
title (it reads its labels as markup): the curve labels of ``series.CHARTS``; values from the
run are numbers. It takes no focus: the run screen's keys stay the screen's (the plot's own
bindings would take ``r`` and the arrows).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual_plot import HiResMode, LegendLocation, PlotWidget

from console.ui.common.text import literal
from console.ui.runs.series import ChartSpec, Series, curve_style


class RunChart(PlotWidget, can_focus=False):
    """A chart of ``spec``'s curves; ``show`` replaces them."""

    DEFAULT_CSS = """
    RunChart { height: 1fr; width: 1fr; border: round $secondary; }
    """

    def __init__(self, spec: ChartSpec, *, id: str | None = None) -> None:
        super().__init__(id=id or f"chart-{spec.id}", allow_pan_and_zoom=False)
        self.spec = spec
        self.series: tuple[Series, ...] = ()
        self.border_title = literal(spec.title)

    def on_mount(self) -> None:
        super().on_mount()
        self.margin_top = 1
        self.margin_bottom = 2
        self.set_xlabel(self.spec.x_label)
        self._draw()

    def show(self, series: Sequence[Series]) -> None:
        """Draw ``series`` in place of what was drawn (nothing when they did not change)."""
        series = tuple(series)
        if series == self.series:
            return
        self.series = series
        if self.is_mounted:
            self._draw()

    def _draw(self) -> None:
        self.clear()
        for curve in self.series:
            style = curve.style or curve_style(self.spec.id, curve.label)
            if len(curve.x) > 1:
                self.plot(curve.x, curve.y, line_style=style, hires_mode=HiResMode.BRAILLE,
                          label=curve.label)  # fmt: skip
            else:  # one evaluation so far: a line needs two points, a marker shows it
                self.scatter(curve.x, curve.y, marker="●", marker_style=style, label=curve.label)
        self.show_legend(LegendLocation.TOPRIGHT, is_visible=bool(self.series))
