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


def ui_node_classes() -> list[type[DOMNode]]:
    """The screens, views and widgets defined anywhere under console.ui (every feature
    folder and common/), so a binding id of a screen not yet opened is known too."""
    # imported here: walking the UI's modules loads all of them, which only the keymap
    # check needs, once, after the first screen is up
    import importlib
    import inspect
    import pkgutil

    import console.ui

    classes: list[type[DOMNode]] = []
    for info in pkgutil.walk_packages(console.ui.__path__, "console.ui."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, DOMNode) and obj.__module__ == module.__name__:
                classes.append(obj)
    return classes
