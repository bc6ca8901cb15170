"""The key bar at the bottom of every screen, redrawn once per burst of binding changes."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class ConsoleFooter(Footer):
    """Textual's Footer, but a burst of binding changes (focus moving while a screen is
    built, a view activating) schedules one rebuild of its keys instead of one each: the
    console's start-up rebuilt the key bar five times, a third of the main thread's work
    before the first rows."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._rebuild_scheduled = False

    def bindings_changed(self, screen: Screen) -> None:
        if self._rebuild_scheduled:
            return  # the rebuild to come reads the bindings as they are then
        # the conditions under which Footer.bindings_changed schedules its rebuild
        will_rebuild = bool(screen.app.app_focus) and self.is_attached and screen is self.screen
        super().bindings_changed(screen)
        self._rebuild_scheduled = will_rebuild

    async def recompose(self) -> None:
        self._rebuild_scheduled = False
        await super().recompose()
