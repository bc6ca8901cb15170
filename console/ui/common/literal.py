"""Textual's text widgets, made literal: what they are given is shown as it is written.

``Static``, ``Label``, ``DataTable``, ``OptionList``, ``Option`` and ``Select`` here are
Textual's, with one change: a ``str`` they receive (content, a cell, a column label, an
option's prompt) becomes ``console.ui.common.text.literal`` text instead of being read as markup,
and a rich ``Text`` has its control characters made visible (``clean``). ``TextArea`` reads
no markup but draws control characters as they are: the text it is given has them shown. Our own styling
travels as ``Text`` (``console.ui.common.text.assemble``), never as markup in a string.

The console's UI imports these widgets, not Textual's (tests/unit/test_ui_literal_guard.py
holds every module of console.ui to that), so an instance name, a key or an error message
can be passed to any of them as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.content import Content
from textual.widgets import DataTable as _DataTable
from textual.widgets import Label as _Label
from textual.widgets import OptionList as _OptionList
from textual.widgets import Select as _Select
from textual.widgets import Static as _Static
from textual.widgets import TextArea as _TextArea
from textual.widgets.option_list import Option as _Option

from console.format.terminal import visible
from console.ui.common.text import clean, literal

__all__ = ["DataTable", "Label", "Option", "OptionList", "Select", "Static", "TextArea"]


def shown_block(content: Any) -> Any:
    """What a Static or Label draws for ``content``: a str as literal text (its newlines
    kept), a Text or Content with its control characters shown, anything else as it is."""
    if isinstance(content, str):
        return literal(content, newlines=True)
    if isinstance(content, Text):
        return clean(content)
    if isinstance(content, Content):
        plain = content.plain
        return content if visible(plain, newlines=True) == plain else literal(plain, newlines=True)
    return content


def shown_line(value: Any) -> Any:
    """What a cell, a column label or an option draws for ``value``: a str as one line of
    literal text; a Text with its control characters shown; numbers and other renderables
    as they are (DataTable's own formatting)."""
    if isinstance(value, str):
        return literal(value)
    if isinstance(value, Text | Content):
        return shown_block(value)
    return value


class _LiteralContent:
    """``update`` and the ``content`` property of a Static (or Label) made literal."""

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        super().update(shown_block(content), layout=layout)  # type: ignore[misc]

    @property
    def content(self) -> Any:
        return _Static.content.fget(self)  # type: ignore[attr-defined]

    @content.setter
    def content(self, content: Any) -> None:
        _Static.content.fset(self, shown_block(content))  # type: ignore[attr-defined]


class Static(_LiteralContent, _Static):
    """Textual's Static; ``content`` and ``update`` take text as it is written (no markup).
    ``markup`` is accepted for Textual's signature and ignored."""

    def __init__(
        self,
        content: Any = "",
        *,
        expand: bool = False,
        shrink: bool = False,
        markup: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            shown_block(content),
            expand=expand,
            shrink=shrink,
            markup=False,
            name=name,
            id=id,
            classes=classes,
            disabled=disabled,
        )


class Label(_LiteralContent, _Label):
    """Textual's Label; text as it is written (no markup). ``markup`` is ignored."""

    def __init__(
        self,
        content: Any = "",
        *,
        variant: Any = None,
        expand: bool = False,
        shrink: bool = False,
        markup: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            shown_block(content),
            variant=variant,
            expand=expand,
            shrink=shrink,
            markup=False,
            name=name,
            id=id,
            classes=classes,
            disabled=disabled,
        )


class DataTable(_DataTable):
    """Textual's DataTable; a str cell, row label or column label is one line of literal
    text (Textual reads it as markup)."""

    def _update_dimensions(self, new_rows) -> None:  # type: ignore[no-untyped-def]
        # DataTable widens auto-width columns on its idle pass after rows are added, and
        # caches drawn lines by its update count, not by column widths: a frame drawn
        # between add_row and that pass stayed cached at the labels' widths ("acct" for
        # "acct-bucket", "[bold r" for an archive's name, until the next change of rows).
        # Every table drops those lines once the widths are known.
        super()._update_dimensions(new_rows)
        self._clear_caches()
        self.refresh()

    def add_column(
        self,
        label: Any,
        *,
        width: int | None = None,
        key: str | None = None,
        default: Any = None,
    ) -> Any:
        return super().add_column(
            shown_line(label),
            width=width,
            key=key,
            default=None if default is None else shown_line(default),
        )

    def add_row(
        self,
        *cells: Any,
        height: int | None = 1,
        key: str | None = None,
        label: Any = None,
    ) -> Any:
        return super().add_row(
            *(shown_line(cell) for cell in cells),
            height=height,
            key=key,
            label=None if label is None else shown_line(label),
        )

    def update_cell(
        self, row_key: Any, column_key: Any, value: Any, *, update_width: bool = False
    ) -> None:
        super().update_cell(row_key, column_key, shown_line(value), update_width=update_width)


class Option(_Option):
    """Textual's Option; its prompt is one line of literal text."""

    def __init__(self, prompt: Any, id: str | None = None, disabled: bool = False) -> None:
        super().__init__(shown_line(prompt), id=id, disabled=disabled)


def _literal_option(option: Any) -> Any:
    if option is None or isinstance(option, Option):
        return option
    if isinstance(option, _Option):
        return Option(option.prompt, id=option.id, disabled=option.disabled)
    return Option(option)


class OptionList(_OptionList):
    """Textual's OptionList; every prompt is literal text. ``markup`` is ignored."""

    def __init__(self, *content: Any, markup: bool = False, **options: Any) -> None:
        super().__init__(*content, markup=False, **options)

    def add_options(self, new_options: Iterable[Any]) -> Any:
        return super().add_options([_literal_option(option) for option in new_options])

    def replace_option_prompt(self, option_id: str, prompt: Any) -> Any:
        return super().replace_option_prompt(option_id, shown_line(prompt))

    def replace_option_prompt_at_index(self, index: int, prompt: Any) -> Any:
        return super().replace_option_prompt_at_index(index, shown_line(prompt))


class Select(_Select):
    """Textual's Select; each option's prompt is one line of literal text (the list under
    it reads a str as markup)."""

    def __init__(self, options: Iterable[tuple[Any, Any]], **settings: Any) -> None:
        super().__init__([(shown_line(prompt), value) for prompt, value in options], **settings)

    def set_options(self, options: Iterable[tuple[Any, Any]]) -> None:
        super().set_options([(shown_line(prompt), value) for prompt, value in options])


class TextArea(_TextArea):
    """Textual's TextArea; text loaded into it (not what is typed) has its control
    characters shown as escapes, its newlines and tabs kept."""

    def __init__(self, text: str = "", **options: Any) -> None:
        super().__init__(visible(text, newlines=True), **options)

    def load_text(self, text: str) -> None:
        super().load_text(visible(text, newlines=True))
