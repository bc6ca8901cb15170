"""Non-interactive subcommands of ``awsconsole``: one module per command.

Each module exposes ``register(subparsers)``, which adds its parser and sets
``func(args, services) -> int`` as the parser's default. ``console.cli.COMMAND_MODULES``
lists them. The helpers here keep every command's output alike: a plain aligned table for
people, ``--json`` (an array of objects with stable keys) for scripts. Names from outside
cannot drive the terminal through either: a table cell is one line with every control
character made visible (``console.format.terminal.plain_cell``), and the JSON escapes every
character a terminal could obey, so it still reads back to the exact names. Whatever else a
command prints (a path in a message, a count's listing) passes ``VisibleText``, which
``console.cli`` puts in front of standard output for every command: the one place that
decides, so a new command cannot print a name raw.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO

from console.format.terminal import plain_cell, visible

#: what a missing value looks like in a table
MISSING = "-"
#: what json.dumps(ensure_ascii=False) leaves raw that a terminal may obey or cannot encode:
#: DEL, C1 controls, line separators, bidirectional controls and lone surrogates (it
#: escapes only the controls below 0x20)
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class VisibleText(io.TextIOBase):
    """Standard output for a command: text written is made ``visible`` (newlines and tabs
    stay), so no control character reaches the terminal whoever forgot to escape a name.
    ``buffer`` is the real byte stream, for ``logs``, which decides itself (``as_output``)."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    @property
    def buffer(self) -> Any:
        return self._stream.buffer

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._stream.encoding

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._stream.write(visible(text, newlines=True))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()


def jsonable(value: Any) -> Any:
    """Plain JSON types for a models value: datetimes as ISO 8601, enums as their value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def json_text(value: Any) -> str:
    """``value`` as indented JSON: readable UTF-8, but every character a terminal could
    obey written as a ``\\uXXXX`` escape (outside strings JSON has none of them, so this
    changes only how strings are spelt: ``json.loads`` gives back the exact text)."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def json_line(value: Any) -> str:
    """``value`` as JSON on one line (JSON Lines), spelt as ``json_text`` spells it."""
    text = json.dumps(value, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def print_json(records: Iterable[dict[str, Any]], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    out.write(json_text([jsonable(r) for r in records]) + "\n")


def print_table(
    rows: Sequence[Any],
    columns: Sequence[tuple[str, Callable[[Any], Any]]],
    out: TextIO | None = None,
) -> None:
    """Columns are (HEADER, getter); None and "" print as ``-``; widths fit the content.
    Each cell is one line whatever it holds: colour codes are left out and every other
    control character is shown as an escape (``\\x1b``, ``\\n``), never sent as it is."""
    out = out or sys.stdout
    cells = [[_cell(getter(row)) for _, getter in columns] for row in rows]
    headers = [header for header, _ in columns]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    for line in [headers, *cells]:
        out.write("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() + "\n")


def _cell(value: Any) -> str:
    if value is None or value == "":
        return MISSING
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return plain_cell(str(value))


def add_json_flag(parser: Any) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print a JSON array of objects instead of a table"
    )
