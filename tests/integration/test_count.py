"""Counts on this machine and through a real sshd, checked against an independent os.walk.

The tree holds what breaks ``ls | wc -l``: names with spaces, newlines, tabs, unicode and
bytes that are not UTF-8, symlinks (to a file, to a folder, dangling), empty folders, a
fifo, hidden files and double extensions.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading
from collections import Counter
from pathlib import Path

import pytest

from console.errors import CountError
from console.files.count.counter import FileCounter
from console.files.count.engine import compare_counts, count_local, count_on_host
from console.files.remote_helpers.count_tree import extension_of
from console.hosts.local import LocalHost
from console.models import CountOptions
from tests.fixtures.places import Place

NON_UTF8 = b"caf\xe9 latin1.jpg"


def build_tree(root: Path) -> None:
    """Write the awkward tree under ``root``."""
    (root / "images" / "with space").mkdir(parents=True)
    (root / "images" / "empty").mkdir()
    (root / "deep" / "a" / "b" / "c").mkdir(parents=True)
    (root / "empty top").mkdir()
    files = {
        "images/cat 1.jpg": b"meow" * 10,
        "images/with space/dog.JPG": b"woof" * 3,
        "images/line\nbreak.png": b"\x89PNG" + bytes(100),
        "images/tab\there.png": b"png",
        "images/ünïcödé 画像.jpeg": "ü".encode() * 7,
        "deep/a/b/c/archive.tar.gz": bytes(333),
        "deep/a/notes": b"no extension",
        ".hidden": b"secret",
        "README.md": b"# data\n",
        "empty file.txt": b"",
    }
    for relative, data in files.items():
        (root / relative).write_bytes(data)
    # a name that is not UTF-8, written through the bytes API (no chdir: the working folder
    # is the whole test process's)
    with open(os.path.join(os.fsencode(root), b"images", NON_UTF8), "wb") as handle:
        handle.write(b"latin")
    os.symlink("cat 1.jpg", root / "images" / "link to cat.jpg")
    os.symlink("../deep", root / "images" / "link to deep")
    os.symlink("/nowhere/at/all", root / "dangling")
    os.mkfifo(root / "deep" / "a" / "pipe")


def truth(root: Path, recursive: bool) -> dict:
    """The expected count, computed with os.walk and lstat (no code shared with count)."""
    kinds = Counter()
    size = 0
    by_ext: Counter = Counter()
    paths = set()
    root_b = os.fsencode(root)
    for directory, dirnames, filenames in os.walk(root_b):
        for name in dirnames + filenames:
            full = os.path.join(directory, name)
            mode = os.lstat(full).st_mode
            if stat.S_ISLNK(mode):
                kinds["symlinks"] += 1
            elif stat.S_ISDIR(mode):
                kinds["dirs"] += 1
            elif stat.S_ISREG(mode):
                kinds["files"] += 1
                size += os.lstat(full).st_size
                by_ext[extension_of(name).decode("utf-8", "surrogateescape")] += 1
                paths.add(os.fsdecode(os.path.relpath(full, root_b)))
            else:
                kinds["other"] += 1
        if not recursive:
            break
    return {"kinds": kinds, "bytes": size, "by_ext": dict(by_ext), "paths": paths}


def assert_matches(count, expected) -> None:
    assert count.files == expected["kinds"]["files"]
    assert count.dirs == expected["kinds"]["dirs"]
    assert count.symlinks == expected["kinds"]["symlinks"]
    assert count.other == expected["kinds"]["other"]
    assert count.bytes == expected["bytes"]
    assert {row.extension: row.files for row in count.by_extension} == expected["by_ext"]
    assert count.paths == expected["paths"]
    assert count.error_count == 0


ALL = CountOptions(recursive=True, by_ext=True, with_paths=True)
TOP = CountOptions(recursive=False, by_ext=True, with_paths=True)


@pytest.mark.parametrize("method", ["scandir", "find"])
@pytest.mark.parametrize("options", [ALL, TOP], ids=["recursive", "top-level"])
def test_count_on_a_host_equals_os_walk(place, method, options):
    root = place.directory / "tree"
    root.mkdir()
    build_tree(root)
    place.hand_over()

    count = count_on_host(place.host, str(root), options, method=method)

    assert_matches(count, truth(root, options.recursive))
    assert count.method == method
    if options.recursive:
        assert "images/line\nbreak.png" in (count.paths or ())


def test_local_count_in_process_equals_os_walk(tmp_path):
    build_tree(tmp_path)
    assert_matches(count_local(str(tmp_path), ALL), truth(tmp_path, recursive=True))
    assert_matches(count_local(str(tmp_path), TOP), truth(tmp_path, recursive=False))


def test_count_without_bytes_still_counts_every_kind(tmp_path):
    build_tree(tmp_path)
    expected = truth(tmp_path, recursive=True)
    count = count_local(str(tmp_path), CountOptions(recursive=True, with_bytes=False))
    assert count.bytes is None
    assert (count.files, count.dirs, count.symlinks, count.other) == (
        expected["kinds"]["files"],
        expected["kinds"]["dirs"],
        expected["kinds"]["symlinks"],
        expected["kinds"]["other"],
    )


def test_home_relative_path_counts_the_hosts_home(tmp_path):
    host = LocalHost("sandbox", home=tmp_path)
    (tmp_path / "data").mkdir()
    for i in range(5):
        (tmp_path / "data" / f"{i}.jpg").write_bytes(b"x" * i)
    count = count_on_host(host, "~/data", CountOptions())
    assert (count.files, count.bytes) == (5, 0 + 1 + 2 + 3 + 4)
    assert count.location == "sandbox:~/data"


def test_progress_streams_partial_counts_of_a_big_tree(place):
    root = place.directory / "big"
    for d in range(6):
        (root / f"d{d}").mkdir(parents=True)
        for i in range(1500):
            (root / f"d{d}" / f"{i}.jpg").touch()
    place.hand_over()
    seen = []

    count = count_on_host(
        place.host,
        str(root),
        CountOptions(recursive=True, progress_every=0.0),
        on_progress=seen.append,
    )

    assert count.files == 9000 and count.dirs == 6
    assert seen, "a count of 9,006 entries reports progress before its result"
    totals = [p.files + p.dirs for p in seen]
    assert totals == sorted(totals) and totals[-1] <= 9006
    assert totals[0] < 9006


def test_cancel_stops_the_count(tmp_path):
    for i in range(20000):
        (tmp_path / f"{i}").touch()
    cancel = threading.Event()
    cancel.set()
    count = count_local(str(tmp_path), CountOptions(), cancel=cancel)
    assert count.cancelled
    assert count.files < 20000


@pytest.mark.parametrize("method", ["scandir", "find"])
def test_a_missing_path_is_a_clear_error(place, method):
    missing = place.directory / "no such folder"
    with pytest.raises(CountError, match="no such folder"):
        count_on_host(place.host, str(missing), CountOptions(), method=method)


def test_compare_by_path_shows_missing_and_extra(tmp_path):
    source, copy = tmp_path / "source", tmp_path / "copy"
    for tree in (source, copy):
        tree.mkdir()
        build_tree(tree)
    (copy / "images" / "cat 1.jpg").unlink()
    (copy / "images" / "line\nbreak.png").unlink()
    (copy / "stray.jpg").write_bytes(b"extra")

    comparison = FileCounter().compare([str(source), str(copy)], ALL)

    assert comparison.by_path and not comparison.matches
    assert comparison.missing_paths[1] == ("images/cat 1.jpg", "images/line\nbreak.png")
    assert comparison.extra_paths[1] == ("stray.jpg",)
    rows = {row.extension: row for row in comparison.by_extension}
    assert rows[".jpg"].missing == (0, 1) and rows[".jpg"].extra == (0, 1)
    assert rows[".png"].missing == (0, 1) and rows[".png"].extra == (0, 0)
    assert rows[".md"].missing == (0, 0)


def test_compare_three_places_by_count(tmp_path, place):
    local = tmp_path / "laptop"
    local.mkdir()
    build_tree(local)
    remote = place.directory / "unpacked"
    remote.mkdir()
    build_tree(remote)
    (remote / "README.md").unlink()
    place.hand_over()
    options = CountOptions(recursive=True, by_ext=True)
    counts = [
        count_local(str(local), options),
        count_on_host(place.host, str(remote), options),
        count_local(str(local), options),
    ]

    comparison = compare_counts(counts)

    assert not comparison.by_path
    rows = {row.extension: row for row in comparison.by_extension}
    assert rows[".md"].files == (1, 0, 1)
    assert rows[".md"].missing == (0, 1, 0)
    assert all(not any(row.missing) for ext, row in rows.items() if ext != ".md")
    assert compare_counts([counts[0], counts[2]]).matches


def test_a_host_without_python_is_counted_with_find(place):
    root = place.directory / "tree"
    root.mkdir()
    build_tree(root)
    place.hand_over()

    count = count_on_host(place.host, str(root), ALL, python="no-such-python3")

    assert count.method == "find"
    assert_matches(count, truth(root, recursive=True))


def test_an_unreadable_folder_is_reported_and_the_rest_counted(ssh_env):
    directory = Path(tempfile.mkdtemp(prefix="count-", dir=ssh_env.material.user_home))
    try:
        place = Place(ssh_env.host(), directory, ssh_env.material.user)
        (directory / "open").mkdir()
        (directory / "open" / "a.jpg").write_bytes(b"a")
        place.hand_over()
        locked = directory / "locked"
        locked.mkdir(mode=0o700)  # root's: the ssh user cannot list it
        (locked / "hidden.jpg").write_bytes(b"h")

        count = count_on_host(place.host, str(directory), CountOptions(recursive=True))

        assert (count.files, count.dirs) == (1, 2)
        assert count.error_count == 1
        assert "locked" in count.errors[0] and "Permission denied" in count.errors[0]
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def test_without_python_and_without_fallback_the_error_says_why(place):
    with pytest.raises(CountError, match="ended without a result .*127"):
        count_on_host(
            place.host, str(place.directory), CountOptions(), method="scandir", python="no-python"
        )


KINDS_ONLY = [
    CountOptions(recursive=True, with_bytes=False),
    CountOptions(recursive=False, with_bytes=False),
]


@pytest.mark.parametrize("options", KINDS_ONLY, ids=["recursive", "top-level"])
def test_kinds_only_count_from_the_listing_equals_os_walk(place, options):
    """The fast path (no sizes, no extensions, no paths) sorts entries by d_type alone."""
    root = place.directory / "tree"
    root.mkdir()
    build_tree(root)
    # more entries than one batch, so the batches add up
    for i in range(5000):
        (root / "images" / f"bulk {i}.jpg").touch()
    place.hand_over()

    count = count_on_host(place.host, str(root), options)

    expected = truth(root, options.recursive)
    assert (count.files, count.dirs, count.symlinks, count.other) == (
        expected["kinds"]["files"],
        expected["kinds"]["dirs"],
        expected["kinds"]["symlinks"],
        expected["kinds"]["other"],
    )
    assert count.bytes is None and count.error_count == 0


def test_kinds_only_count_survives_a_link_it_may_not_follow(ssh_env):
    """A symlink into a folder the user cannot enter: counted as a symlink, no error."""
    directory = Path(tempfile.mkdtemp(prefix="count-", dir=ssh_env.material.user_home))
    try:
        place = Place(ssh_env.host(), directory, ssh_env.material.user)
        for i in range(10):
            (directory / f"{i}.jpg").write_bytes(b"x")
        (directory / "sub").mkdir()
        place.hand_over()
        locked = directory / "locked"
        locked.mkdir(mode=0o700)  # root's: the ssh user cannot look inside
        (locked / "secret.jpg").write_bytes(b"s")
        os.symlink(locked / "secret.jpg", directory / "link into locked")

        count = count_on_host(place.host, str(directory), CountOptions(with_bytes=False))

        assert (count.files, count.dirs, count.symlinks, count.other) == (10, 2, 1, 0)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
