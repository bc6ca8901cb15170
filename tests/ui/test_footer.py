"""The key bar rebuilds once per round of a burst of binding changes, not once per change,
and shows the bindings in effect after the burst."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from console.ui.common.footer import ConsoleFooter


class Pane(Static, can_focus=True):
    pass


class Left(Pane):
    BINDINGS = [Binding("l", "app.bell", "Left thing")]


class Right(Pane):
    BINDINGS = [Binding("r", "app.bell", "Right thing")]


class KeysApp(App):
    def compose(self) -> ComposeResult:
        yield Left("left", id="left")
        yield Right("right", id="right")
        yield ConsoleFooter()


def shown_keys(app: App) -> set[str]:
    return {key.description for key in app.screen.query(FooterKey)}


async def test_a_burst_of_focus_changes_rebuilds_the_keys_once():
    app = KeysApp()
    async with app.run_test() as pilot:
        left, right = app.query_one("#left"), app.query_one("#right")
        left.focus()
        await pilot.pause()
        assert "Left thing" in shown_keys(app)

        footer = app.query_one(ConsoleFooter)
        rebuilds = []
        original = footer.recompose

        async def counted() -> None:
            rebuilds.append(1)
            await original()

        footer.recompose = counted
        for widget in (right, left, right, left, right):  # five changes in one go
            app.screen.set_focus(widget, scroll_visible=False)
        await pilot.pause()
        await pilot.pause()
        # the changes reach the footer in two rounds (the calls, then the Focus and Blur
        # events they post): one rebuild each, where Footer rebuilds twice per change
        assert 1 <= len(rebuilds) <= 2
        burst = len(rebuilds)
        assert "Right thing" in shown_keys(app) and "Left thing" not in shown_keys(app)

        left.focus()  # a later change is not swallowed
        await pilot.pause()
        await pilot.pause()
        assert len(rebuilds) > burst
        assert "Left thing" in shown_keys(app) and "Right thing" not in shown_keys(app)
