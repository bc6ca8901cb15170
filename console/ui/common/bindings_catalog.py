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
    """The screens, views and widgets defined in the modules of console.ui's subpackages."""
    import importlib
    import inspect
    import pkgutil

    import console.ui.registry
    import console.ui.screens
    import console.ui.widgets

    classes: list[type[DOMNode]] = []
    for package in (console.ui.screens, console.ui.registry, console.ui.widgets):
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            for _, obj in inspect.getmembers(module, inspect.isclass):
                if issubclass(obj, DOMNode) and obj.__module__ == module.__name__:
                    classes.append(obj)
    return classes
