"""Command-palette entries: one per console action reachable from the current screen, and
wherever the palette is opened (from a field, a form or a log) the view jumps, Help and Quit
(choosing a view closes what is in front of the main screen, as Escape would).

Textual's palette reads a str prompt or help line as markup: ours are literal ``Content``
(the keys shown come from the user's keymap; a title or a key is never read as markup)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from console.format.terminal import visible
from console.ui.common.bindings_info import BindingEntry, command_entries
from console.ui.common.text import highlight, literal
from console.ui.registry import VIEWS

#: ``q`` closes a form before it quits; chosen in the palette, Quit quits
_PALETTE_ACTIONS = {"close_or_quit": "quit"}


@dataclass(frozen=True)
class AppCommand:
    """A command of the app the screen's own keys do not offer here (a field has focus and
    takes the key as text, or another screen is in front of the main one)."""

    command_title: str
    #: an action of the app
    action: str
    help: str


def always_offered() -> list[AppCommand]:
    """Navigation, help and quit: the palette has them on every screen."""
    jumps = [
        AppCommand(
            view.title,
            f"show_view('{view.view_id}')",
            f"Show the {view.title} view · key: {number} (alt+{number} from a field)",
        )
        for number, view in enumerate(VIEWS, start=1)
    ]
    return [
        *jumps,
        AppCommand("Help", "help", "List every key of this screen · key: ? (f1 from a field)"),
        AppCommand(
            "Quit",
            "quit",
            "Leave the console (asks first while work started here is under way) · key: q",
        ),
    ]


def missing_commands(entries: list[BindingEntry]) -> list[AppCommand]:
    """The always-offered commands whose action is not among ``entries`` (the bindings
    live on the screen now)."""
    offered = {_PALETTE_ACTIONS.get(e.binding.action, e.binding.action) for e in entries}
    return [command for command in always_offered() if command.action not in offered]


class ConsoleCommands(Provider):
    """Every binding with an id is also a command, so nothing is reachable by key alone;
    the view jumps, Help and Quit are offered on every screen."""

    def _entries(self) -> list[BindingEntry | AppCommand]:
        entries = command_entries(self.screen)
        return [*entries, *missing_commands(entries)]

    def _run(self, entry: BindingEntry | AppCommand):
        if isinstance(entry, AppCommand):
            return partial(self.app.run_action, entry.action)
        action = _PALETTE_ACTIONS.get(entry.binding.action, entry.binding.action)
        return partial(self.app.run_action, action, entry.node)

    @staticmethod
    def _help(entry: BindingEntry | AppCommand) -> Content:
        if isinstance(entry, AppCommand):
            return Content(visible(entry.help))
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
