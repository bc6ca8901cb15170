"""The containment rule (console/files/paths.py) and the one way a path reaches a host tool
(console/hosts/argv.py ``tool_path``): hostile names drawn by hypothesis, and links on a
real file system."""

from __future__ import annotations

import ast
import json
import os
import posixpath
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from console.files import paths
from console.files.paths import (
    UnsafeName,
    contained_path,
    contained_remote_path,
    is_inside,
    name_parts,
)
from console.files.remote_helpers import contained_names, python_command
from console.hosts.argv import tool_path
from console.hosts.local import LocalHost

EXAMPLES = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
DISK_EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# --- hostile names ------------------------------------------------------------------------

#: pieces people who write hostile names reach for: climbing, absolute paths, option-looking
#: names, shell and markup syntax, terminal escapes, separators and odd bytes
# fmt: off
HOSTILE_PIECES = [
    "..", ".", "", "/", "//", "\\", "-", "--", "-rf", "-delete", "--help", "~", "$HOME",
    "$(touch canary)", "`id`", "'", '"', " ", "\t", "\n", "\r", "[/]", "[b]x[/b]",
    "[@click=app.quit]", "\x1b[2J", "\x1b]52;c;Y2FuYXJ5\x07", "\x9b", "\u202e", "C:",
    "*", "?", "[", "a", "img", "x.jpg", "\udcff", "\udc80\udcfe", "é", "\x00",
]
# fmt: on
piece = st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=4))
#: a name as a listing gives it: pieces glued, some with "/" between them
hostile_name = st.lists(piece, min_size=1, max_size=6).map("".join)
#: a plain segment: no "/" and no NUL, not empty, not "." or ".."
plain_segment = (
    st.lists(piece, min_size=1, max_size=3)
    .map("".join)
    .map(lambda s: s.replace("/", "_").replace("\x00", "_"))
    .filter(lambda s: s not in ("", ".", ".."))
)


# --- name_parts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("..", "'..'"),
        ("../x", "'..'"),
        ("data/../../x", "'..'"),
        ("a/b/..", "'..'"),
        ("./../x", "'..'"),
        ("/etc/passwd", "absolute"),
        ("//server/share", "absolute"),
        ("\\\\server\\share", "absolute"),
        ("C:/Windows", "drive"),
        ("C:", "drive"),
        ("a//b", "empty path segment"),
        ("a/", "empty path segment"),
        ("", "empty"),
        (".", "empty"),
        ("./.", "empty"),
        ("a\x00b", "NUL"),
        (b"x/\x00", "NUL"),
    ],
)
def test_refused_names_say_why(name, reason):
    with pytest.raises(UnsafeName) as caught:
        name_parts(name)
    assert reason in caught.value.reason
    assert "\n" not in caught.value.reason


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("img/a.jpg", ["img", "a.jpg"]),
        ("./img/./a.jpg", ["img", "a.jpg"]),
        ("-rf", ["-rf"]),
        ("--help/-delete", ["--help", "-delete"]),
        ("$(touch x)/`id`", ["$(touch x)", "`id`"]),
        ("...", ["..."]),
        ("..a/a..", ["..a", "a.."]),
        (" ../.. ", [" ..", ".. "]),
        ("a:b.txt", ["a:b.txt"]),
        ("line\nbreak", ["line\nbreak"]),
        ("[b]x[/b]/\x1b[2J", ["[b]x[", "b]", "\x1b[2J"]),
        (b"caf\xe9/\xff", ["caf\udce9", "\udcff"]),
    ],
)
def test_accepted_names_keep_every_character(name, parts):
    assert name_parts(name) == parts


@EXAMPLES
@given(hostile_name)
@example("data/../../x")
@example("a/./../b")
def test_a_name_is_refused_or_stays_below_its_root(name):
    try:
        parts = name_parts(name)
    except UnsafeName as exc:
        assert exc.reason and exc.name == name
        return
    for part in parts:
        assert part not in ("", ".", "..")
        assert "/" not in part and "\x00" not in part
    # what remains is the name itself, less its "." segments
    assert parts == [p for p in name.split("/") if p != "."]
    joined = posixpath.normpath(posixpath.join("/dest/root", *parts))
    assert joined.startswith("/dest/root/")
    assert joined.count("/") == 2 + len(parts)


@EXAMPLES
@given(st.lists(plain_segment, min_size=1, max_size=4), st.integers(0, 3), st.integers(0, 3))
def test_any_dotdot_segment_is_refused_wherever_it_is(segments, where, dots):
    climbing = segments[:where] + [".."] * (dots + 1) + segments[where:]
    with pytest.raises(UnsafeName):  # for the '..', or earlier for a leading "\\" or "C:/"
        name_parts("/".join(climbing))


@EXAMPLES
@given(st.binary(min_size=1, max_size=40))
def test_bytes_and_their_surrogate_text_are_judged_alike(raw):
    text = raw.decode("utf-8", "surrogateescape")
    try:
        expected = name_parts(text)
    except UnsafeName:
        with pytest.raises(UnsafeName):
            name_parts(raw)
        return
    assert name_parts(raw) == expected
    assert os.fsencode("/".join(expected)) == b"/".join(p for p in raw.split(b"/") if p != b".")


# --- is_inside --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("root", "path", "inside"),
    [
        ("/a/b", "/a/b", True),
        ("/a/b", "/a/b/c", True),
        ("/a/b/", "/a/b/c", True),
        ("/a/b", "/a/bc", False),
        ("/a/b", "/a", False),
        ("/", "/anything", True),
    ],
)
def test_is_inside(root, path, inside):
    assert is_inside(root, path, posixpath) is inside


# --- contained_path on a real file system ---------------------------------------------------


@pytest.fixture
def tree(tmp_path):
    """``dest`` with a real folder, links that stay inside and links that lead out, next
    to ``outside``."""
    dest = tmp_path / "dest"
    (dest / "real").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (dest / "in").symlink_to("real")
    (dest / "in-abs").symlink_to(dest / "real")
    (dest / "round-trip").symlink_to("../dest/real")
    (dest / "out").symlink_to("../outside")
    (dest / "out-abs").symlink_to(outside)
    (dest / "up").symlink_to("..")
    (dest / "dot").symlink_to(".")
    (dest / "dangling-out").symlink_to("../outside/not-yet")
    (dest / "chain").symlink_to("dot/out")
    return dest


@pytest.mark.parametrize(
    "name",
    [
        "x",
        "real/x",
        "new/deeper/x",
        "in/x",
        "in-abs/x",
        "round-trip/x",
        "dot/x",
        "dot/in/x",
        "out",
        "up",
    ],  # fmt: skip
)
def test_names_whose_folder_resolves_inside_are_accepted(tree, name):
    target = contained_path(str(tree), name)
    assert target == os.path.join(str(tree), *name.split("/"))


@pytest.mark.parametrize(
    "name", ["out/x", "out-abs/x", "up/x", "dot/up/x", "dangling-out/x", "chain/x", "out/a/b"]
)
def test_names_through_a_link_that_leads_out_are_refused(tree, name):
    with pytest.raises(UnsafeName, match="a link on its path leads outside"):
        contained_path(str(tree), name)


def test_the_root_itself_may_be_a_link(tmp_path):
    real = tmp_path / "real-dest"
    real.mkdir()
    (tmp_path / "dest").symlink_to(real)
    assert contained_path(str(tmp_path / "dest"), "a/b") == str(tmp_path / "dest" / "a" / "b")


def test_a_host_resolves_its_own_links(tree):
    host = LocalHost("box")  # realpath as the host answers it (SFTP on an SshHost)
    assert contained_remote_path(str(tree), "in/x", host.realpath) == f"{tree}/in/x"
    with pytest.raises(UnsafeName, match="leads outside"):
        contained_remote_path(str(tree), "out/x", host.realpath)
    with pytest.raises(UnsafeName, match="'..'"):
        contained_remote_path(str(tree), "../x", host.realpath)


link_target = st.sampled_from(
    [".", "..", "../..", "sub", "../outside", "/", "a/b", "../dest", "../dest/a", "loop"]
)


@DISK_EXAMPLES
@given(
    links=st.dictionaries(
        st.sampled_from(["a", "b", "sub", "a/c", "loop", "b/d"]), link_target, max_size=4
    ),
    name=st.lists(
        st.sampled_from(["a", "b", "c", "d", "sub", "loop", "x", ".", "new"]),
        min_size=1,
        max_size=5,
    ).map("/".join),
)
def test_whatever_links_are_on_disk_an_accepted_write_lands_inside(tmp_path_factory, links, name):
    base = tmp_path_factory.mktemp("disk")
    dest = base / "dest"
    dest.mkdir()
    (base / "outside").mkdir()
    for where, target in sorted(links.items()):
        path = dest / where
        if path.parent.is_dir() and not os.path.lexists(path):
            path.symlink_to(target)
    before = sorted(os.fsdecode(p) for p in (base / "outside").rglob("*"))
    try:
        target = contained_path(str(dest), name)
    except UnsafeName:
        return
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target + ".part", "xb") as handle:
            handle.write(b"written")
        os.replace(target + ".part", target)
    except OSError:
        return  # a link loop, a file where a folder is needed: nothing was written
    written = os.path.realpath(target)
    assert is_inside(os.path.realpath(dest), written)
    assert sorted(os.fsdecode(p) for p in (base / "outside").rglob("*")) == before


# --- the rule travels to hosts ----------------------------------------------------------------


def test_the_rule_is_python_3_6():
    source = Path(paths.__file__).read_text(encoding="utf-8")
    ast.parse(source, feature_version=(3, 6))
    helper = Path(contained_names.__file__).read_text(encoding="utf-8")
    ast.parse(helper, feature_version=(3, 6))


def test_the_shipped_checker_judges_as_the_rule_does(tree):
    names = ["ok.txt", "in/x", "out/x", "../x", "a//b", "-rf", "new/\nline", "\udcffbyte"]
    argv = python_command("contained_names", str(tree), python=sys.executable)
    data = b"".join(os.fsencode(name) + b"\0" for name in names)
    result = subprocess.run(argv, input=data, capture_output=True, check=True, cwd=tree)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[-1] == {"done": len(names)}
    shipped = {line["index"]: line["reason"] for line in lines[:-1]}
    here = {}
    for index, name in enumerate(names):
        try:
            contained_path(str(tree), name)
        except UnsafeName as exc:
            here[index] = exc.reason
    assert shipped == here
    assert sorted(shipped) == [2, 3, 4]


# --- tool_path --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "argument"),
    [
        ("/abs/path", "/abs/path"),
        ("-delete", "./-delete"),
        ("--help", "./--help"),
        ("(", "./("),
        ("!", "./!"),
        ("rel/dir", "./rel/dir"),
        ("./x", "././x"),
    ],
)
def test_tool_path(path, argument):
    assert tool_path(path) == argument


@pytest.mark.parametrize("path", ["", "a\x00b"])
def test_tool_path_refuses_what_names_nothing(path):
    with pytest.raises(ValueError):
        tool_path(path)


@EXAMPLES
@given(hostile_name)
def test_a_tool_path_never_reads_as_an_option_and_names_the_same_file(path):
    assume(path and "\x00" not in path)
    argument = tool_path(path)
    assert argument.startswith(("/", "./"))
    assert not argument.startswith("-")
    assert os.path.normpath(os.path.join("/cwd", argument)) == os.path.normpath(
        os.path.join("/cwd", path)
    )
