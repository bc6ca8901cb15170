"""What may be written to the user's terminal.

``visible`` is the rule for text that came from outside (a tag, a key, a job's output, a
host's error message) on its way to the terminal, for the CLI and the Textual UI alike:
every character that could drive the terminal instead of being shown — C0 controls but
tab (and newline where lines are wanted), ESC and so every escape sequence, DEL, C1
controls, the bidirectional overrides that reorder what is shown, and lone surrogates (bytes
that were not UTF-8) — is written as a visible escape such as ``\\x1b``. A name can then
never clear the screen, set the clipboard (OSC 52) or reset the terminal.
(Handing the terminal to an interactive program is ``console.hosts.interactive``, reached
by the UI through ``Services.run_in_terminal``.)
"""

from __future__ import annotations

import re

#: what ``visible`` escapes: C0 but tab and newline, DEL, C1, the Unicode line and paragraph
#: separators, the bidirectional embeddings, overrides and isolates, and lone surrogates
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE_IN_LINE = re.compile(f"[\n{_UNSAFE}]")
_UNSAFE_IN_LINES = re.compile(f"[{_UNSAFE}]")
#: the escapes people know by sight; any other character is written by its code
_NAMED = {"\n": "\\n", "\r": "\\r"}
#: an ANSI colour or text-style command (SGR): what a plain table leaves out of a cell
_SGR = re.compile(r"\x1b\[[0-9;:]*m")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): that byte
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def visible(text: str, *, newlines: bool = False) -> str:
    r"""``text`` with every character that could drive a terminal written as an escape:
    ESC shows as the four characters ``\x1b``, so a screen clear or an OSC 52 clipboard
    write inside a name is shown, never obeyed. Tabs stay; newlines stay when ``newlines``
    (a CRLF becomes a plain newline), else they show as ``\n`` and one name stays one line.
    Text with nothing to escape comes back as it is.
    """
    if text.isprintable():
        return text
    if newlines:
        return _UNSAFE_IN_LINES.sub(_escape, text.replace("\r\n", "\n"))
    return _UNSAFE_IN_LINE.sub(_escape, text)


_OUTPUT_UNSAFE = re.compile(f"[{_UNSAFE.replace(chr(0x0B) + '-', chr(0x0B) + chr(0x0C) + chr(0x0E) + '-')}]")


def as_output(text: str) -> str:
    r"""A job's output for a terminal, as ``tail`` would show it but safe: colours (SGR) and
    carriage returns (progress bars redrawn in place) pass; every other control — a screen
    clear, a cursor move, an OSC 52 clipboard write, a terminal reset — is made ``visible``."""
    if text.isprintable():
        return text
    parts = _SGR.split(text)
    colours = _SGR.findall(text)
    shown = [_OUTPUT_UNSAFE.sub(_escape, part) for part in parts]
    return "".join(part + (colours[i] if i < len(colours) else "") for i, part in enumerate(shown))


def plain_cell(text: str) -> str:
    """One line of a plain table: ANSI colour commands left out (a job's last output line
    is often coloured), everything else that could drive the terminal made ``visible``."""
    if "\x1b" in text:
        text = _SGR.sub("", text)
    return visible(text)
