"""Pure log helpers: line splitting, carriage-return collapse, clipping, the ring buffer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.errors import LogError
from console.format.logs import LineSplitter, LogBuffer, clip, collapse_cr, strip_ansi, wrap
from console.models import LogChunk, LogWindow


def test_collapse_cr_keeps_the_last_state_of_a_progress_bar():
    bar = " 10%|█         |\r 50%|█████     |\r100%|██████████|"
    assert collapse_cr(bar) == "100%|██████████|"
    assert collapse_cr("done\r\n".rstrip("\n")) == "done"
    assert collapse_cr("plain line") == "plain line"
    assert collapse_cr("\r\r") == ""


def test_strip_ansi_removes_colour_codes_only():
    coloured = "\x1b[1;31mERROR\x1b[0m loss=\x1b[32m0.5\x1b[0m \x1b]0;title\x07end"
    assert strip_ansi(coloured) == "ERROR loss=0.5 end"
    assert strip_ansi("no codes [1;31m") == "no codes [1;31m"


def test_clip_and_wrap_handle_a_huge_line():
    line = "x" * 5_000_000
    clipped = clip(line, 100)
    assert clipped.startswith("x" * 100) and clipped.endswith("[4,999,900 more characters]")
    assert clip("short", 100) == "short"
    assert wrap("abcdefg", 3) == ["abc", "def", "g"]
    assert wrap("", 3) == [""]
    with pytest.raises(ValueError):
        wrap("abc", 0)


def test_line_splitter_carries_partial_lines_and_split_characters():
    splitter = LineSplitter()
    encoded = "héllo wörld\nsecond".encode()
    cut = encoded.index("ö".encode()) + 1  # in the middle of a two-byte character
    assert splitter.feed(encoded[:cut]) == []
    assert splitter.feed(encoded[cut:]) == ["héllo wörld"]
    assert splitter.partial == "second"
    assert splitter.feed(b" line\n\nthird\n") == ["second line", "", "third"]
    assert splitter.partial == ""


@given(st.lists(st.binary(max_size=40), max_size=30))
def test_line_splitter_loses_nothing_whatever_the_chunking(pieces):
    whole = b"".join(pieces)
    splitter = LineSplitter()
    lines = [line for piece in pieces for line in splitter.feed(piece)]
    expected = whole[: whole.rfind(b"\n") + 1].decode("utf-8", "replace").split("\n")[:-1]
    assert lines == expected


def test_log_buffer_is_bounded_and_keeps_the_newest_lines():
    buffer = LogBuffer(max_lines=100)
    offset = 0
    for i in range(1000):
        data = f"line {i}\n".encode()
        buffer.feed(LogChunk(offset, data))
        offset += len(data)
    assert len(buffer) == 100
    assert buffer.dropped == 900
    assert buffer[0] == "line 900" and buffer[-1] == "line 999"
    assert buffer.first_offset == sum(len(f"line {i}\n") for i in range(900))


def test_log_buffer_collapses_cr_keeps_ansi_and_shows_the_pending_line():
    buffer = LogBuffer()
    buffer.feed(LogChunk(0, b"epoch 1\r\n\x1b[32mok\x1b[0m\n 10%\r 20%\r", pending=b" 30%"))
    assert buffer.lines() == ["epoch 1", "\x1b[32mok\x1b[0m", " 20%"]
    buffer.feed(LogChunk(0, b"", pending=b" 10%\r 40%"))
    assert buffer.pending == " 40%"


def test_log_buffer_clips_long_lines():
    buffer = LogBuffer(max_line_chars=50)
    buffer.feed(LogChunk(0, b"y" * 10_000 + b"\n"))
    assert len(buffer[0]) < 100 and buffer[0].startswith("y" * 50)


def test_log_buffer_prepends_older_lines_with_their_offsets():
    buffer = LogBuffer(max_lines=5)
    buffer.feed(LogChunk(12, b"c\nd\n"))
    assert buffer.first_offset == 12
    added = buffer.prepend(LogWindow(start=0, end=12, data=b"a\nbbbbbbbbb\n"))
    assert added == 2
    assert buffer.lines() == ["a", "bbbbbbbbb", "c", "d"]
    assert buffer.first_offset == 0
    # No room for more than max_lines: only the newest of the older lines go in.
    assert buffer.prepend(LogWindow(0, 0, b"x\ny\nz\n")) == 1
    assert buffer.lines() == ["z", "a", "bbbbbbbbb", "c", "d"]


def test_log_buffer_search_filter_and_save(tmp_path):
    buffer = LogBuffer()
    buffer.feed(LogChunk(0, b"Loss 0.9\n\x1b[31mERROR\x1b[0m disk\nloss 0.5\nacc 0.7\n"))
    assert buffer.search("loss") == [0, 2]
    assert buffer.search("loss", case=True) == [2]
    assert buffer.search(r"ERROR disk") == [1]  # colour codes do not break a match
    assert buffer.search(r"\d\.[57]", regex=True) == [2, 3]
    assert buffer.filtered("acc") == ["acc 0.7"]
    with pytest.raises(LogError, match=r"'\('"):
        buffer.search("(", regex=True)
    target = tmp_path / "saved.log"
    assert buffer.save(target) == 4
    assert target.read_text() == "Loss 0.9\nERROR disk\nloss 0.5\nacc 0.7\n"
