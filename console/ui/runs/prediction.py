"""A prediction made on this machine, in a dialog of its own (Escape or q closes it).

The result of ``p`` on the run screen: the top-5 categories first, then the attributes by
type, the landmarks and the drawn picture, and last which image and checkpoint gave them.
It gets the whole width of the terminal and scrolls, so on an 80×24 terminal the answer is
read where the run screen's narrow corner beside the metrics would have hidden it.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

from console.format.runs import percent
from console.models import Prediction
from console.ui.common.literal import Label, Static
from console.ui.common.text import lines


def prediction_text(prediction: Prediction) -> Text:
    """Top-5 categories, attributes by type, landmarks, the drawn picture, then the image and
    checkpoint (long paths last: they wrap without pushing the answer out of sight)."""
    categories = "  ".join(
        f"{guess.name} {percent(None if guess.probability is None else guess.probability * 100)}"
        for guess in prediction.categories
    )
    attributes = [
        ("  " + kind + ": " + ", ".join(
            f"{g.name} {percent(None if g.probability is None else g.probability * 100)}"
            for g in guesses
        ))
        for kind, guesses in prediction.attributes
    ]  # fmt: skip
    landmarks = "  ".join(
        f"{mark.name} ({'?' if mark.x is None else round(mark.x)}, "
        f"{'?' if mark.y is None else round(mark.y)})"
        for mark in prediction.landmarks
    )
    return lines(
        f"Top-5 categories: {categories}",
        "Attributes by type:",
        *attributes,
        f"Landmarks (pixels): {landmarks}",
        f"Drawn: {prediction.drawn}" if prediction.drawn else "Drawn: no picture was written",
        f"Image: {prediction.image}",
        f"Checkpoint: {prediction.source}",
    )  # fmt: skip


class PredictionScreen(ModalScreen[None]):
    """One prediction, read-only."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="run.prediction_close"),
    ]
    DEFAULT_CSS = """
    PredictionScreen { background: $background 60%; align: center middle; }
    PredictionScreen #prediction-box { width: 100%; max-width: 140; height: auto;
        max-height: 100%; border: round $accent; padding: 0 1; background: $surface; }
    PredictionScreen #prediction-title { height: 1; text-style: bold; }
    PredictionScreen #prediction-text { height: auto; }
    """

    def __init__(self, prediction: Prediction) -> None:
        super().__init__()
        self.prediction = prediction

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="prediction-box"):
            yield Label(f"Prediction in {self.prediction.seconds:.1f}s  (Esc closes)",
                        id="prediction-title")  # fmt: skip
            yield Static(prediction_text(self.prediction), id="prediction-text")

    def action_close(self) -> None:
        self.dismiss(None)
