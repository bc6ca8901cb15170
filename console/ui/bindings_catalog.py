"""Every binding id the console defines, for checking the user's keymap."""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding
from textual.dom import DOMNode


def binding_ids(classes: Iterable[type[DOMNode]]) -> set[str]:
    ids: set[str] = set()
    for cls in classes:
        for klass in cls.__mro__:
            for binding in klass.__dict__.get("BINDINGS", ()):
                if isinstance(binding, Binding) and binding.id:
                    ids.add(binding.id)
    return ids
