"""The screen of a running Pilot app as plain text, and text snapshots of it.

``screen_lines(app)`` draws what the terminal would show (the screen and the screens under a
modal one) into a recording console, as ``App.export_screenshot`` does for its SVG, and
returns its lines without styles. ``normalise`` masks what differs from run to run (instance
ids, addresses, ports, dates, times, durations, tiny costs, spinners, temporary folders),
each replaced by a fixed word padded to the width of what it replaced, so the columns
around it keep their place. ``assert_text_snapshot`` compares the result with a stored text
file and rewrites the file instead when snapshots are being updated (pytest's
``--snapshot-update``, the option the SVG snapshots use, or ``AWSCONSOLE_SNAPSHOT_UPDATE=1``).
"""

from __future__ import annotations

import difflib
import io
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from rich.console import Console

#: set to 1 to rewrite the stored text snapshots (as ``--snapshot-update`` does)
UPDATE_VARIABLE = "AWSCONSOLE_SNAPSHOT_UPDATE"


def screen_lines(app) -> list[str]:
    """Every line of the app's screen as the terminal shows it, trailing blanks removed."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    lines = console.export_text(styles=False).split("\n")[:height]
    return [line.rstrip() for line in lines]


def _same_width(word: str) -> Callable[[re.Match[str]], str]:
    """A replacement: ``word`` in the width of what it replaces (cut when that is shorter)."""

    def replace(match: re.Match[str]) -> str:
        found = match.group()
        return word.ljust(len(found))[: max(len(found), 1)]

    return replace


def _digits(mark: str = "#") -> Callable[[re.Match[str]], str]:
    """A replacement: what was matched with each digit as ``mark`` (its shape kept)."""
    return lambda match: re.sub(r"\d", mark, match.group())


def _date(match: re.Match[str]) -> str:
    """``2026-12-04 20:20:31`` as ``YYYY-MM-DD hh:mm:ss`` (as much of it as was there)."""
    return "YYYY-MM-DD hh:mm:ss"[: len(match.group())]


#: (what differs between runs, what it becomes: a word of the same width, or the same
#: shape with its digits masked), applied in this order
VOLATILE: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"\bi-[0-9a-f]{1,17}\b"), _same_width("i-<id>")),  # whole, or cut by a dialog
    (re.compile(r"\b(?:127\.0\.0\.1|localhost):\d{2,5}\b"), _same_width("<local:port>")),
    # an address with the blanks after it: its length varies, its column's width does not
    (re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b *"), _same_width("<ip>")),
    (re.compile(r"\b\d{4}-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d)?)?\b"), _date),
    # what a dialog leaves of one: a time of day, a date cut at either end
    (re.compile(r"\b\d\d:\d\d(?::\d\d)?\b"), _same_width("hh:mm:ss")),
    (re.compile(r"\b\d{4}-\d\d(?:-\d?)?"), _digits()),
    (re.compile(r"\b\d\d-\d\d(?= hh:)"), _same_width("MM-DD")),
    (re.compile(r"\b\d{8}-\d{6}\b"), _digits()),  # a stamp in a name: runs/train-20261204-120000
    (re.compile(r"\b\d+:\d\d:\d\d\b"), _digits()),
    (re.compile(r"\b\d+d \d+h\b|\b\d+h \d\dm\b|\b\d+m\b|\b\d+(?:\.\d+)?s\b"), _digits()),
    (re.compile(r"\$0\.0\d{4}\b"), _digits()),
    (re.compile(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]"), _same_width("*")),
    (re.compile(r"/tmp/\S+|/var/folders/\S+"), _same_width("<tmp>")),
)


def normalise(
    lines: Iterable[str], *extra: tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
) -> list[str]:
    """``lines`` with every VOLATILE match (and ``extra`` ones, first) replaced."""
    rules = (*extra, *VOLATILE)
    result = []
    for line in lines:
        for pattern, replacement in rules:
            line = pattern.sub(replacement, line)
        result.append(line.rstrip())
    return result


def updating(config: pytest.Config) -> bool:
    """Whether this run rewrites snapshots instead of comparing with them."""
    option = config.getoption("--snapshot-update", default=False)
    return bool(option) or os.environ.get(UPDATE_VARIABLE, "") not in ("", "0")


def assert_text_snapshot(request: pytest.FixtureRequest, path: Path, lines: list[str]) -> None:
    """``lines`` equal the stored ``path`` (written there instead when updating)."""
    text = "\n".join(lines).rstrip("\n") + "\n"
    if updating(request.config):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(
            f"No text snapshot {path.name}: run with --snapshot-update "
            f"(or {UPDATE_VARIABLE}=1) to write it.\n{text}"
        )
    stored = path.read_text(encoding="utf-8")
    if stored != text:
        diff = "\n".join(
            difflib.unified_diff(
                stored.splitlines(), text.splitlines(), "stored", "now", lineterm=""
            )
        )
        pytest.fail(f"The screen differs from {path.name} (--snapshot-update rewrites it):\n{diff}")
