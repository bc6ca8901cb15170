"""Text from outside, drawn as written: never markup, never a terminal command.

Instance names and tags, bucket names and keys, job names, commands and output lines, host
names and ssh aliases, file names, GPU process names, profile names and the error messages
of AWS or a host are data. Textual would read a ``str`` handed to a Static, a Label, a
DataTable cell, an option, a tooltip or a notification as markup: a Name tag ``[/]prod``
raised a MarkupError while drawing (the console stopped), ``[@click=app.quit]x[/]`` made a
name a button. And Textual writes ESC, C1 and other controls to the terminal as they are.

So outside text reaches the screen only as a rich ``Text`` built here, never parsed:

- ``literal(value)``: one value as it is written, every character that could drive the
  terminal shown as an escape (``console.format.terminal.visible``: ``\\x1b``, ``\\n``).
- ``assemble(...)``: our own words, styled, and outside values in one ``Text``, instead of
  an f-string of markup; ``lines(...)`` joins such lines.
- ``clean(text)``: a ``Text`` built elsewhere with the same escapes, its styles kept.
- ``ansi_line(line)``: a line of program output: its ANSI colours drawn, other cursor and
  screen commands left out, everything else that could drive the terminal shown.

The widgets of ``console.ui.common.literal`` (Static, Label, DataTable, OptionList,
Option, Select) apply ``literal`` and ``clean`` to whatever they are given, and
``LiteralApp`` does it for the app's notifications and header. A new panel inherits all of
it by importing those; tests/unit/test_ui_literal_guard.py refuses the markup-reading
Textual originals anywhere else in the UI.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rich.style import StyleType
from rich.text import Span, Text
from textual.content import Content

from console.format.terminal import visible

if TYPE_CHECKING:
    from textual.fuzzy import Matcher

#: a piece of ``assemble``: outside or own words (drawn plain), styled words, or a Text
Part = str | Text | tuple[str, StyleType]

#: a CSI escape sequence, and of those the SGR ones (colours, bold, …) a log line may keep
_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_SGR = re.compile(r"\x1b\[[0-9;:]*m")


def literal(value: object, style: StyleType = "", *, newlines: bool = False) -> Text:
    """``value`` as text that shows exactly what it says: no markup is read, and a
    character that could drive the terminal shows as an escape. One line unless
    ``newlines``."""
    return Text(visible(str(value), newlines=newlines), style=style)


def assemble(*parts: Part, style: StyleType = "") -> Text:
    """Our styled words and outside values in one line of text, none of it read as markup::

        assemble("Type ", (name, "bold"), " to confirm:")

    A ``str`` part is drawn as it is written (a newline in it shows as ``\\n``); a
    ``(str, style)`` part the same, with the style; a ``Text`` part keeps its styles and
    its newlines (``clean``)."""
    text = Text(style=style)
    for part in parts:
        if isinstance(part, Text):
            text.append_text(clean(part))
        elif isinstance(part, tuple):
            words, part_style = part
            text.append(visible(str(words)), style=part_style)
        else:
            text.append(visible(str(part)))
    return text


def lines(*rows: Part | None) -> Text:
    """Several lines of text in one ``Text`` (each row as ``assemble`` takes a part;
    None leaves the row out)."""
    return Text("\n").join(assemble(row) for row in rows if row is not None)


def _shown(plain: str, newlines: bool) -> list[str]:
    """What ``visible`` makes of each character of ``plain`` (a CR before a newline, when
    newlines are kept, vanishes as ``visible`` drops it)."""
    shown = []
    for index, char in enumerate(plain):
        if newlines and char == "\r" and plain[index + 1 : index + 2] == "\n":
            shown.append("")
        else:
            shown.append(visible(char, newlines=newlines))
    return shown


def clean(text: Text, *, newlines: bool = True) -> Text:
    """``text`` with its control characters shown as ``visible`` shows them; its styles
    move with the characters they covered. Text with nothing to escape is returned as is."""
    plain = text.plain
    if plain.isprintable() or visible(plain, newlines=newlines) == plain:
        return text
    pieces = _shown(plain, newlines)
    starts = [0]
    for piece in pieces:
        starts.append(starts[-1] + len(piece))
    result = Text(
        "".join(pieces),
        style=text.style,
        justify=text.justify,
        overflow=text.overflow,
        no_wrap=text.no_wrap,
        end=text.end,
        tab_size=text.tab_size,
    )
    result.spans[:] = [
        Span(starts[span.start], starts[min(span.end, len(plain))], span.style)
        for span in text.spans
    ]
    return result


def _ansi_source(line: str) -> str:
    """``line`` with only its SGR sequences left as escapes: every other CSI sequence (cursor
    moves, screen clears) removed, every other control character made visible."""
    if "\x1b" not in line:
        return visible(line)
    kept: list[str] = []
    position = 0
    for match in _CSI.finditer(line):
        kept.append(visible(line[position : match.start()]))
        if _SGR.fullmatch(match.group()):
            kept.append(match.group())
        position = match.end()
    kept.append(visible(line[position:]))
    return "".join(kept)


def ansi_line(line: str) -> Text:
    """A line a program printed, as a terminal would colour it but never obey it: SGR
    colours and styles are drawn; cursor and screen commands (CSI) are left out, as a
    scrolling view has no cursor to move; any other escape (an OSC 52 clipboard write, an
    OSC 8 link, a lone ESC, C1 controls) shows as ``\\x1b…`` text."""
    source = _ansi_source(line)
    if "\x1b" not in source:
        return Text(source, no_wrap=True, end="")
    return Text.from_ansi(source, no_wrap=True, end="")


def ansi_plain(line: str) -> str:
    """The characters ``ansi_line(line)`` shows, without building it (cheap: for measuring)."""
    source = _ansi_source(line)
    return _SGR.sub("", source) if "\x1b" in source else source


def highlight(matcher: Matcher, candidate: str) -> Content:
    """``candidate`` with the characters ``matcher`` matched highlighted, read literally
    (Textual's ``Matcher.highlight`` reads it as markup)."""
    shown = visible(candidate)
    content = Content(shown)
    score, offsets = matcher.fuzzy_search.match(matcher.query, shown)
    if not score:
        return content
    for offset in offsets:
        if not shown[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class LiteralApp:
    """Mixin for the App (before ``App`` in its bases): every notification, whoever raises
    it, and the header's title and subtitle are literal text, their control characters
    shown. ``markup`` is accepted for Textual's signature and ignored."""

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        super().notify(  # type: ignore[misc]
            visible(str(message), newlines=True),
            title=visible(str(title)),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def format_title(self, title: str, sub_title: str) -> Content:
        return super().format_title(visible(title), visible(sub_title))  # type: ignore[misc]
