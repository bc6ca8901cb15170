"""Names are text, never markup, never a terminal command: the helpers every screen and
every CLI table draws outside text through (console/format/terminal.py, console/ui/common/text.py,
console/commands/__init__.py), tried with hostile strings drawn by hypothesis."""

from __future__ import annotations

import io
import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text
from textual.content import Content
from textual.fuzzy import Matcher

from console.commands import json_text, print_table
from console.format.terminal import plain_cell, visible
from console.ui.common.text import ansi_line, ansi_plain, assemble, clean, highlight, lines, literal

#: names that are markup to Textual or Rich, or commands to a terminal
HOSTILE = [
    "[/]prod",
    "[/] x",
    "[bold red]x[/]",
    "[link=file:///etc/passwd]a[/link]",
    "[@click=app.quit]q[/]",
    "$name [b]",
    "\\[escaped]\\",
    "\x1b]52;c;aGk=\x07",  # OSC 52: set the clipboard
    "\x1b]8;;file:///etc/passwd\x1b\\a\x1b]8;;\x1b\\",  # OSC 8: a link
    "\x1b[2J\x1b[H",  # clear the screen, cursor home
    "\x1bc",  # RIS: reset the terminal
    "a\x9b2Jb",  # C1 CSI
    "\x9d0;title\x9c",  # C1 OSC ... ST
    "del\x7f",
    "bell\x07 bs\x08 nul\x00",
    "line\nbreak\r\nand\rcr",
    "\u202eevil\u202c",  # right-to-left override
    "\u2066iso\u2069 \u2028sep",
    "bad \udcff\udcfe bytes",  # not UTF-8, read with surrogateescape
    "tab\there",
]

#: characters a terminal may obey (or cannot encode), by category and by name
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def unsafe(char: str, *, newlines: bool = False) -> bool:
    if char == "\t" or (newlines and char == "\n"):
        return False
    return (
        unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp")
        or char in BIDI
        or 0x80 <= ord(char) <= 0x9F
    )


def no_unsafe(text: str, *, newlines: bool = False) -> bool:
    return not any(unsafe(char, newlines=newlines) for char in text)


#: hostile characters mixed with ordinary ones; lone surrogates only from surrogateescape
#: (bytes that were not UTF-8), as file names and output read from hosts have them
hostile_text = st.text(
    st.one_of(
        st.characters(exclude_categories=("Cs",)),
        st.sampled_from(
            list("[]/\\$@=\x1b\x07\x9b\x9c\x9d\x7f\x00\r\n\t\u2028")
            + sorted(BIDI)
            + [chr(c) for c in range(0xDC80, 0xDD00, 7)]
        ),
    ),
    max_size=40,
) | st.sampled_from(HOSTILE)


# -- visible: the one rule ---------------------------------------------------------------


@given(hostile_text)
def test_visible_leaves_nothing_a_terminal_obeys(text):
    shown = visible(text)
    assert no_unsafe(shown)
    assert "\n" not in shown  # one name, one line
    assert visible(shown) == shown  # showing twice changes nothing more
    shown_lines = visible(text, newlines=True)
    assert no_unsafe(shown_lines, newlines=True)
    assert shown_lines.count("\n") == text.count("\n")  # every line kept, none added


@given(st.text(st.characters(exclude_categories=("Cc", "Cs", "Cf", "Zl", "Zp"))))
def test_visible_leaves_ordinary_text_as_it_is(text):
    assert visible(text) == text == visible(text, newlines=True)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"),
        ("\x1b[2J", "\\x1b[2J"),
        ("a\x9b2Jb\x7f", "a\\x9b2Jb\\x7f"),
        ("line\nbreak\r\n", "line\\nbreak\\r\\n"),
        ("\u202eevil", "\\u202eevil"),
        ("bad \udcff", "bad \\xff"),  # the byte that was not UTF-8
        ("[/]prod", "[/]prod"),  # brackets are not the terminal's business
        ("tab\there", "tab\there"),
    ],
)
def test_visible_spells_each_control_so_people_can_read_it(text, shown):
    assert visible(text) == shown


def test_visible_keeps_lines_where_lines_are_wanted():
    assert visible("one\r\ntwo\nthree\r", newlines=True) == "one\ntwo\nthree\\r"


# -- literal, assemble, clean: Text for the screen ---------------------------------------------


def drawn(text: Text) -> str:
    """What a terminal would be sent for ``text`` (rich renders it as the UI's widgets do)."""
    console = Console(file=io.StringIO(), width=400, force_terminal=True, color_system=None)
    return "".join(segment.text for segment in text.render(console))


@given(hostile_text)
def test_literal_is_the_text_as_written_never_markup(text):
    shown = literal(text)
    assert shown.plain == visible(text)
    assert shown.spans == []  # no markup read: no style, no link, no click action
    assert Content.from_rich_text(shown).plain == visible(text)  # what a widget holds
    assert no_unsafe(drawn(shown).replace("\n", ""))


@pytest.mark.parametrize("name", HOSTILE)
def test_markup_looking_names_are_shown_character_for_character(name):
    assert literal(name).plain == visible(name)
    assert literal(name, newlines=True).plain == visible(name, newlines=True)


@given(hostile_text, hostile_text)
def test_assemble_styles_only_our_own_words(name, tag):
    text = assemble("Type ", (name, "bold"), " to confirm ", tag)
    assert text.plain == f"Type {visible(name)} to confirm {visible(tag)}"
    bold = [span for span in text.spans if span.style == "bold"]
    assert [(s.start, s.end) for s in bold] == ([(5, 5 + len(visible(name)))] if name else [])
    assert no_unsafe(text.plain)


def test_lines_join_rows_and_keep_their_styles():
    text = lines(assemble(("Tags", "bold")), "  [/]prod = \x1b[2J", None, "")
    assert text.plain == "Tags\n  [/]prod = \\x1b[2J\n"
    assert [(s.start, s.end, s.style) for s in text.spans] == [(0, 4, "bold")]


def test_clean_moves_each_style_with_its_characters():
    text = Text.assemble(("a\x1bb", "red"), ("c", "blue"), ("\x9bd", "green"))
    shown = clean(text)
    assert shown.plain == "a\\x1bbc\\x9bd"
    assert [(shown.plain[s.start : s.end], s.style) for s in shown.spans] == [
        ("a\\x1bb", "red"),
        ("c", "blue"),
        ("\\x9bd", "green"),
    ]
    ordinary = Text("nothing to show", style="bold")
    assert clean(ordinary) is ordinary


@given(hostile_text)
def test_clean_of_any_text_shows_what_visible_shows(text):
    assert clean(Text(text)).plain == visible(Text(text).plain, newlines=True)


# -- ansi_line: a program's output -------------------------------------------------------------


@given(hostile_text)
def test_ansi_line_never_carries_a_command_or_a_link(line):
    shown = ansi_line(line)
    assert shown.plain == ansi_plain(line)  # what the log view measures is what it draws
    assert no_unsafe(shown.plain)
    assert not any(span.style.link for span in shown.spans if not isinstance(span.style, str))
    assert no_unsafe(drawn(shown).replace("\n", ""))


def test_ansi_line_draws_colours_and_shows_the_rest():
    shown = ansi_line("\x1b[1;31mERROR\x1b[0m \x1b]52;c;aGk=\x07 \x1b[2J\x1b[Adone \x1bc")
    assert shown.plain == "ERROR \\x1b]52;c;aGk=\\x07 done \\x1bc"
    (red,) = shown.spans
    assert shown.plain[red.start : red.end] == "ERROR"
    assert red.style.color.number == 1 and red.style.bold  # SGR 31: red
    link = ansi_line("\x1b]8;;file:///etc/passwd\x1b\\click\x1b]8;;\x1b\\")
    assert link.plain == "\\x1b]8;;file:///etc/passwd\\x1b\\click\\x1b]8;;\\x1b\\"
    assert link.spans == []


def test_highlight_reads_no_markup():
    matcher = Matcher("pr")
    content = highlight(matcher, "[/]prod")
    assert content.plain == "[/]prod"


# -- the CLI: tables and JSON ----------------------------------------------------------------


@given(st.lists(st.tuples(hostile_text, hostile_text), max_size=5))
def test_a_table_row_is_one_line_with_nothing_a_terminal_obeys(rows):
    out = io.StringIO()
    print_table(rows, [("NAME", lambda r: r[0]), ("LAST LINE", lambda r: r[1])], out)
    printed = out.getvalue()
    assert printed.count("\n") == len(rows) + 1
    assert no_unsafe(printed, newlines=True)


def test_a_table_cell_leaves_colours_out_and_shows_other_commands():
    assert plain_cell("\x1b[32mok\x1b[0m \x1b]52;c;aGk=\x07\x1b[2J") == (
        "ok \\x1b]52;c;aGk=\\x07\\x1b[2J"
    )
    assert plain_cell("[/] x") == "[/] x"


@settings(max_examples=200)
@given(st.dictionaries(hostile_text, st.lists(hostile_text, max_size=3), max_size=4))
def test_json_reads_back_exactly_and_obeys_nothing(value):
    text = json_text(value)
    assert json.loads(text) == value
    assert no_unsafe(text, newlines=True)
    text.encode("utf-8")  # lone surrogates are escapes: nothing that cannot be written
