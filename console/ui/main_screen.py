"""The main screen: one tab per view, reached by number keys or the ``:`` prompt.

Its number keys and ``:`` are the forms to use where no field has focus; from a field
(whose printable keys are text), alt+1…alt+5 and ctrl+g do the same. Whenever a view is
shown, focus goes to its list (``ConsoleView.focus_home``, the focus policy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, TabbedContent, TabPane

from console.ui.common.footer import ConsoleFooter
from console.ui.common.jump_prompt import JumpPrompt
from console.ui.common.quit import ActiveWork, work_under_way
from console.ui.common.view_base import ConsoleView
from console.ui.registry import VIEWS, resolve_view, view_words

if TYPE_CHECKING:  # the UI reaches backends only through the object it is given
    from console.services import Services


def _view_bindings() -> list[Binding]:
    bindings = []
    for number, view in enumerate(VIEWS, start=1):
        bindings.append(
            Binding(
                str(number),
                f"show_view('{view.view_id}')",
                view.title,
                id=f"view.{view.view_id}",
                tooltip=f"Show the {view.title} view (or :{view.view_id}; alt+{number} from a field)",
            )
        )
        # a field takes the digit as text: its alt form reaches the screen from there
        bindings.append(
            Binding(
                f"alt+{number}",
                f"show_view('{view.view_id}')",
                view.title,
                id=f"view.{view.view_id}.alt",
                show=False,
            )
        )
    return bindings


class MainScreen(Screen[None]):
    BINDINGS = [
        *_view_bindings(),
        Binding(
            "colon",
            "open_jump",
            "Jump",
            id="jump.open",
            key_display=":",
            tooltip="Jump to a view by name: :instances, :buckets, :jobs, :gpu, :files "
            "(ctrl+g from a field)",
        ),
        Binding("ctrl+g", "open_jump", "Jump", id="jump.open.ctrl", show=False),
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
        self.focus_home()

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
        self.focus_home()

    def focus_home(self) -> None:
        """Focus the list of the view shown (the focus policy's home of this screen)."""
        self.current_view.focus_home()

    def active_work(self) -> list[ActiveWork]:
        """What the views built so far have under way (a view never shown has none)."""
        return work_under_way(self.query(ConsoleView))

    def action_show_view(self, view_id: str) -> None:
        views = self.query_one("#views", TabbedContent)
        if views.active == view_id:
            self.focus_home()  # already shown: no TabActivated comes to focus its list
        views.active = view_id

    def action_open_jump(self) -> None:
        self.query_one(JumpPrompt).open()

    def on_jump_prompt_closed(self, event: JumpPrompt.Closed) -> None:
        self.focus_home()

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
            self.focus_home()
            return
        self.action_show_view(view.view_id)  # shown (built the first time) and focused
