"""The bindings live on a screen right now, grouped for the help screen and the palette.

Both read Textual's binding chain (``Screen.active_bindings``), so what they list is what
the keys do at this moment, with the user's keymap applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

from console.ui.common.literal import DataTable

#: actions Textual offers by itself that the palette must not offer as a command of its own
_NOT_COMMANDS = {"command_palette"}


@dataclass
class BindingEntry:
    group: str
    keys: list[str]
    binding: Binding
    node: DOMNode

    @property
    def description(self) -> str:
        return self.binding.description or self.binding.action

    @property
    def help(self) -> str:
        return self.binding.tooltip or ""

    @property
    def command_title(self) -> str:
        """The palette's name for it: a view's action says which view it acts on."""
        if self.group == "Global":
            return self.description
        return f"{self.description} ({self.group})"


def group_name(node: DOMNode) -> str:
    if isinstance(node, App | Screen):
        return "Global"
    title = getattr(node, "title", None)
    if isinstance(title, str) and title and hasattr(node, "view_id"):
        return f"{title} view"
    if isinstance(node, DataTable):
        return "Table"
    return type(node).__name__


def _order(entry: BindingEntry) -> int:
    """The view's own keys first, then the global ones, then widget navigation."""
    if entry.group.endswith(" view"):
        return 0
    return 1 if entry.group == "Global" else 2


def current_bindings(screen: Screen) -> list[BindingEntry]:
    """One entry per action of each group, its keys joined (Textual's own ctrl+q joins our
    q), the view's keys first."""
    app = screen.app
    entries: dict[tuple[str, str], BindingEntry] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        group = group_name(active.node)
        key = app.get_key_display(binding)
        entry = entries.get((group, binding.action))
        if entry is None:
            entries[(group, binding.action)] = BindingEntry(group, [key], binding, active.node)
            continue
        if key not in entry.keys:
            entry.keys.append(key)
        if binding.id and not entry.binding.id:  # ours describes it for this console
            entry.binding, entry.node = binding, active.node
    return sorted(entries.values(), key=_order)


def command_entries(screen: Screen) -> list[BindingEntry]:
    """The bindings that are actions of the console (they carry an id): one command each."""
    return [
        entry
        for entry in current_bindings(screen)
        if entry.binding.id and entry.binding.action not in _NOT_COMMANDS
    ]
