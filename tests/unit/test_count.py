"""Pure parts of counting: locations, extensions, find's NUL records, comparisons."""

from __future__ import annotations

import pytest

from console.errors import CountError
from console.files.count.engine import (
    Location,
    _FindTally,
    compare_counts,
    find_command,
    parse_location,
)
from console.files.remote_helpers.count_tree import extension_of
from console.models import CountOptions, ExtensionCount, FileCount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/data/images", Location("local", "/data/images")),
        ("./a:b", Location("local", "./a:b")),
        ("relative dir", Location("local", "relative dir")),
        ("gpu-box:~/data", Location("host", "~/data", host="gpu-box")),
        ("i-0abc:/mnt/x y", Location("host", "/mnt/x y", host="i-0abc")),
        ("gpu-box:", Location("host", "~", host="gpu-box")),
        ("s3://bucket/deep/fashion", Location("s3", "deep/fashion", bucket="bucket")),
        ("s3://bucket", Location("s3", "", bucket="bucket")),
    ],
)
def test_parse_location(text, expected):
    assert parse_location(text) == expected


@pytest.mark.parametrize("text", ["", "s3://", "s3:///prefix"])
def test_parse_location_refuses_nonsense(text):
    with pytest.raises(CountError):
        parse_location(text)


@pytest.mark.parametrize(
    ("name", "ext"),
    [
        (b"photo.JPG", b".jpg"),
        (b"data.tar.gz", b".tar.gz"),
        (b"backup.gz", b".gz"),
        (b".bashrc", b""),
        (b"README", b""),
        (b"a.b.c.png", b".png"),
        (b".tar.gz", b".gz"),
        (b"trailing.", b"."),
    ],
)
def test_extension_of(name, ext):
    assert extension_of(name) == ext


def test_find_records_with_newlines_tabs_and_bad_bytes_are_counted_right():
    seen = []
    tally = _FindTally(
        "h:/d", CountOptions(recursive=True, by_ext=True, with_paths=True), seen.append
    )
    stream = (
        b"d\t4096\tsub dir\0"
        b"f\t10\tsub dir/line\nbreak.jpg\0"
        b"f\t5\ttab\there.JPG\0"
        b"l\t7\tlink\0"
        b"p\t0\tpipe\0"
        b"f\t3\tcaf\xe9.txt\0"
    )
    # delivered in awkward pieces, as a channel does
    for start in range(0, len(stream), 7):
        tally.feed(stream[start : start + 7])
    count = tally.finish(method="find")
    assert (count.files, count.dirs, count.symlinks, count.other, count.bytes) == (3, 1, 1, 1, 18)
    assert count.paths == {"sub dir/line\nbreak.jpg", "tab\there.JPG", "caf\udce9.txt"}
    assert {r.extension: (r.files, r.bytes) for r in count.by_extension} == {
        ".jpg": (2, 15),
        ".txt": (1, 3),
    }
    assert seen and seen[-1].files == 3


def test_find_command_is_nul_separated_and_bounded_when_not_recursive():
    assert find_command("/d", recursive=False) == [
        "find", "-H", "/d", "-mindepth", "1", "-maxdepth", "1", "-printf", "%y\\t%s\\t%P\\0",
    ]  # fmt: skip
    assert "-maxdepth" not in find_command("/d", recursive=True)


def make_count(location, exts=None, files=0, paths=None):
    by_ext = tuple(ExtensionCount(e, n, 0) for e, n in (exts or {}).items())
    total = sum((exts or {}).values()) or files
    return FileCount(location, total, 0, 0, 0, 0, True, by_ext, paths)


def test_compare_by_counts_reports_missing_and_extra_per_extension():
    reference = make_count("a", {".jpg": 10, ".txt": 2})
    fewer = make_count("b", {".jpg": 7, ".txt": 2, ".tmp": 1})
    more = make_count("c", {".jpg": 12})
    comparison = compare_counts([reference, fewer, more])
    rows = {r.extension: r for r in comparison.by_extension}
    assert rows[".jpg"].files == (10, 7, 12)
    assert rows[".jpg"].missing == (0, 3, 0) and rows[".jpg"].extra == (0, 0, 2)
    assert rows[".txt"].missing == (0, 0, 2)
    assert rows[".tmp"].extra == (0, 1, 0)
    assert not comparison.matches and not comparison.by_path


def test_compare_without_breakdown_uses_one_row_of_files():
    comparison = compare_counts([make_count("a", files=5), make_count("b", files=5)])
    assert [(r.extension, r.files) for r in comparison.by_extension] == [("*", (5, 5))]
    assert comparison.matches


def test_compare_by_path_sees_a_rename_that_counts_miss():
    a = make_count("a", {".jpg": 2}, paths=frozenset({"x/1.jpg", "x/2.jpg"}))
    b = make_count("b", {".jpg": 2}, paths=frozenset({"x/1.jpg", "x/2 renamed.jpg"}))
    assert compare_counts([make_count("a", {".jpg": 2}), make_count("b", {".jpg": 2})]).matches
    comparison = compare_counts([a, b])
    assert comparison.by_path and not comparison.matches
    assert comparison.missing_paths == ((), ("x/2.jpg",))
    assert comparison.extra_paths == ((), ("x/2 renamed.jpg",))


@pytest.mark.parametrize("n", [1, 4])
def test_compare_takes_two_or_three(n):
    with pytest.raises(CountError, match="two or three"):
        compare_counts([make_count(str(i)) for i in range(n)])
