"""The launch wizard's last page: what the launch will create and cost, before it does.

Type, AMI, key pair, the security group's rule, storage, $/hour, the vCPU quota with what
is used of it, and the dry run's answer. On a short screen the rows scroll and the verdict
and the buttons stay in sight. ``Launch`` (or ``y``) confirms; ``Back`` (or
``escape``) returns to the form with everything as typed. A dry run that fails leaves only
``Back``: EC2 has said the launch would not go through.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button

from console.format.launch import review_rows
from console.models.launch import LaunchReview
from console.ui.common.literal import Label
from console.ui.common.text import assemble

#: the most lines the rows take before they scroll
ROWS_HEIGHT = 24


class LaunchReviewScreen(ModalScreen[bool]):
    """Dismisses with True when the launch is confirmed, False to go back and edit."""

    DEFAULT_CSS = """
    LaunchReviewScreen { align: center middle; }
    #launch-review { width: 90%; max-width: 110; height: auto; max-height: 90%;
                     border: thick $warning; background: $surface; padding: 1 2; }
    #launch-review-rows { height: auto; max-height: 24; }
    #launch-review-title { text-style: bold; }
    .launch-review-row { width: 100%; }
    #launch-review-verdict.failed { color: $error; text-style: bold; }
    #launch-review-buttons { height: auto; margin-top: 1; }
    #launch-review-buttons Button { margin-right: 2; }
    """

    BINDINGS = [
        Binding("escape", "answer(False)", "Back", id="launch_review.back"),
        Binding("b", "answer(False)", "Back", id="launch_review.back_key", show=False),
        Binding("y", "answer(True)", "Launch", id="launch_review.confirm", show=False),
    ]

    def __init__(self, review: LaunchReview, *, key: str, ssh_from: str) -> None:
        super().__init__()
        self.review = review
        #: the page as (label, value) lines, as shown
        self.rows = review_rows(review, key=key, ssh_from=ssh_from)

    @property
    def can_launch(self) -> bool:
        return self.review.dry_run.would_succeed

    def compose(self) -> ComposeResult:
        with Vertical(id="launch-review"):
            yield Label(f"Launch {self.review.request.name}?", id="launch-review-title")
            with VerticalScroll(id="launch-review-rows"):
                for label, value in self.rows:
                    yield Label(
                        assemble((f"{label:<15}", "bold"), value), classes="launch-review-row"
                    )
            verdict = (
                "Launch creates the key pair and security group named above, then the instance."
                if self.can_launch
                else "EC2's dry run refused this launch: go Back and change it."
            )
            yield Label(
                verdict, id="launch-review-verdict", classes="" if self.can_launch else "failed"
            )
            with Horizontal(id="launch-review-buttons"):
                yield Button(
                    "Launch", variant="warning", id="launch-review-go", disabled=not self.can_launch
                )
                yield Button("Back", variant="primary", id="launch-review-back")

    def on_mount(self) -> None:
        self._fit_rows(self.app.size.height)
        self.query_one("#launch-review-back").focus()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_rows(event.size.height)

    def _fit_rows(self, height: int) -> None:
        """The rows scroll, the verdict and the buttons stay on screen however short it is:
        of the dialog's 90% of the height, the border and padding take 4 lines, the title,
        the verdict (wrapped) and the buttons 7."""
        rows = self.query_one("#launch-review-rows")
        rows.styles.max_height = max(3, min(ROWS_HEIGHT, height * 9 // 10 - 11))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_answer(event.button.id == "launch-review-go")

    def action_answer(self, launch: bool) -> None:
        if launch and not self.can_launch:
            self.notify(
                "The dry run refused this launch: go Back and change it.",
                title="Launch",
                severity="warning",
            )
            return
        self.dismiss(launch)

    def text(self) -> str:
        """The page as plain text, one line per row (what a reader sees)."""
        return "\n".join(f"{label}: {value}" for label, value in self.rows)
