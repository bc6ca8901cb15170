"""Command-palette entries: one per console action reachable from the current screen.

Textual's palette reads a str prompt or help line as markup: ours are literal ``Content``
(the keys shown come from the user's keymap; a title or a key is never read as markup)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from console.format.terminal import visible
from console.ui.common.bindings_info import BindingEntry, command_entries
from console.ui.common.text import highlight, literal


class ConsoleCommands(Provider):
    """Every binding with an id is also a command, so nothing is reachable by key alone."""

    def _entries(self) -> list[BindingEntry]:
        return command_entries(self.screen)

    def _run(self, entry: BindingEntry):
        return partial(self.app.run_action, entry.binding.action, entry.node)

    @staticmethod
    def _help(entry: BindingEntry) -> Content:
        keys = "key: " + ", ".join(entry.keys)
        # a Content, not a str: the palette reads a str help line as markup
        help_line = f"{entry.help} · {keys}" if entry.help else keys
        return Content(visible(help_line))

    async def discover(self) -> Hits:
        for entry in self._entries():
            yield DiscoveryHit(
                literal(entry.command_title),
                self._run(entry),
                text=entry.command_title,
                help=self._help(entry),
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            score = matcher.match(entry.command_title)
            if score > 0:
                yield Hit(
                    score,
                    highlight(matcher, entry.command_title),
                    self._run(entry),
                    text=entry.command_title,
                    help=self._help(entry),
                )
