"""Command-palette entries: one per console action reachable from the current screen."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from console.ui.bindings_info import BindingEntry, command_entries


class ConsoleCommands(Provider):
    """Every binding with an id is also a command, so nothing is reachable by key alone."""

    def _entries(self) -> list[BindingEntry]:
        return command_entries(self.screen)

    def _run(self, entry: BindingEntry):
        return partial(self.app.run_action, entry.binding.action, entry.node)

    @staticmethod
    def _help(entry: BindingEntry) -> str:
        keys = "key: " + ", ".join(entry.keys)
        return f"{entry.help} · {keys}" if entry.help else keys

    async def discover(self) -> Hits:
        for entry in self._entries():
            yield DiscoveryHit(entry.command_title, self._run(entry), help=self._help(entry))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            score = matcher.match(entry.command_title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(entry.command_title),
                    self._run(entry),
                    text=entry.command_title,
                    help=self._help(entry),
                )
