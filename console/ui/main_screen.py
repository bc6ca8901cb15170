"""The main screen: one tab per view, reached by number keys or the ``:`` prompt."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, TabbedContent, TabPane

from console.ui.common.bindings_info import current_bindings
from console.ui.common.footer import ConsoleFooter
from console.ui.common.help import HelpScreen
from console.ui.common.jump_prompt import JumpPrompt
from console.ui.common.view_base import ConsoleView
from console.ui.registry import VIEWS, resolve_view, view_words

if TYPE_CHECKING:  # the UI reaches backends only through the object it is given
    from console.services import Services


def _view_bindings() -> list[Binding]:
    return [
        Binding(
            str(number),
            f"show_view('{view.view_id}')",
            view.title,
            id=f"view.{view.view_id}",
            tooltip=f"Show the {view.title} view (or :{view.view_id})",
        )
        for number, view in enumerate(VIEWS, start=1)
    ]


class MainScreen(Screen[None]):
    BINDINGS = [
        *_view_bindings(),
        Binding(
            "colon",
            "open_jump",
            "Jump",
            id="jump.open",
            key_display=":",
            tooltip="Jump to a view by name: :instances, :buckets, :jobs, :gpu, :files",
        ),
        Binding(
            "question_mark",
            "help",
            "Help",
            id="help.open",
            key_display="?",
            tooltip="List every key of this view and the global ones",
        ),
    ]

    def __init__(self, services: Services, *, refresh_interval: float) -> None:
        super().__init__(id="main")
        self.services = services
        self.refresh_interval = refresh_interval

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="views"):
            for number, view in enumerate(VIEWS, start=1):
                with TabPane(f"{number} {view.title}", id=view.view_id):
                    # only the first view is built now; the others when first shown
                    # (building all five up front nearly doubled the time to first rows)
                    if number == 1:
                        yield self._build(view)
        yield JumpPrompt(view_words(), id="jump")
        yield ConsoleFooter()

    def _build(self, view: type[ConsoleView]) -> ConsoleView:
        return view(self.services, refresh_interval=self.refresh_interval)

    @property
    def current_view(self) -> ConsoleView:
        active = self.query_one("#views", TabbedContent).active
        return self.query_one(f"#view-{active}", ConsoleView)

    def on_mount(self) -> None:
        self.current_view.activate()
        self.focus_view(self.current_view)

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.tabbed_content.id != "views":
            return  # a view's own tabs (the Files view's panels)
        pane = event.pane
        if not pane.query(ConsoleView):
            view = next(v for v in VIEWS if v.view_id == pane.id)
            await pane.mount(self._build(view))
        for shown in self.query(ConsoleView):
            if shown is not self.current_view:
                shown.deactivate()
        self.current_view.activate()
        self.focus_view(self.current_view)

    def focus_view(self, view: ConsoleView) -> None:
        """Focus the view's first focusable widget so its keys are live."""
        for widget in view.query("*"):
            if widget.focusable:
                widget.focus()
                return
        # nothing to focus inside: focus the view itself, so its own keys still work
        view.can_focus = True
        view.focus()

    def action_show_view(self, view_id: str) -> None:
        self.query_one("#views", TabbedContent).active = view_id

    def action_open_jump(self) -> None:
        self.query_one(JumpPrompt).open()

    def on_jump_prompt_closed(self, event: JumpPrompt.Closed) -> None:
        self.focus_view(self.current_view)

    def on_jump_prompt_jump(self, event: JumpPrompt.Jump) -> None:
        view = resolve_view(event.word)
        if view is None:
            if event.word.strip():
                names = ", ".join(v.view_id for v in VIEWS)
                self.notify(
                    f"No view named {event.word.strip()!r}. Views: {names}.",
                    title="Jump",
                    severity="warning",
                )
            self.focus_view(self.current_view)
            return
        if self.query_one("#views", TabbedContent).active == view.view_id:
            self.focus_view(self.current_view)  # already shown: no TabActivated to focus it
        else:
            self.action_show_view(view.view_id)  # shown (built the first time) and focused

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(current_bindings(self)))
