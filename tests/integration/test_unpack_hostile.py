"""Hostile archives unpacked on this machine and through a real sshd: nothing leaves.

Every test builds a scene: a destination folder inside a sentinel tree (a ``secret`` next to
the destination, a ``sentinel/`` folder with keys and a link) that must stay byte-identical,
and canary names that the archives aim at and that must never appear outside the
destination. Archives are built here with zipfile/tarfile: escaping links (direct,
absolute, chained through links already extracted, ``b -> .`` then ``b/../x``, a link and
then a file through it, hard links out), hostile names (``..``, absolute, NUL, leading
``-``, markup, ANSI/OSC sequences, non-UTF-8 bytes), archives racing each other, a
neighbour swapping a folder for a link while the workers write, and a full disk. Each test
also checks that the legitimate entries of the same archives arrived, and that every link
left in the destination resolves inside it.
"""

from __future__ import annotations

import ast
import glob
import io
import os
import pwd
import resource
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.files.paths import UnsafeName, link_parts, name_parts
from console.files.remote_helpers import python_command, script_source, shipped_modules
from console.files.unpack.runner import read_unpack_output, unpack_command, unpack_on_host
from console.hosts.local import LocalHost
from console.models import UnpackFailureKind
from tests.fixtures.places import Place

REFUSED = UnpackFailureKind.REFUSED
SECRET = b"-----BEGIN OPENSSH PRIVATE KEY----- not for upload"


@pytest.fixture
def local_place(tmp_path):
    return Place(LocalHost("local"), tmp_path, None)


# --- archives from a list of entries --------------------------------------------------------


class Entry:
    """One archive member: ``kind`` is file, dir, sym or hard; ``ok`` says what must happen."""

    def __init__(self, kind: str, name: str, data: bytes | str = b"", ok: bool = True):
        self.kind, self.name, self.data, self.ok = kind, name, data, ok


def f(name, data, ok=True):
    return Entry("file", name, data, ok)


def sym(name, target, ok=True):
    return Entry("sym", name, target, ok)


def hard(name, target, ok=True):
    return Entry("hard", name, target, ok)


def folder(name, ok=True):
    return Entry("dir", name, ok=ok)


def write_tar(path: Path, entries: list[Entry]) -> None:
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as archive:
        for entry in entries:
            info = tarfile.TarInfo(entry.name)
            if "\0" in entry.name:
                info.pax_headers = {"path": entry.name}  # a ustar field would cut it
            if entry.kind == "file":
                info.size, info.mode = len(entry.data), 0o644
                archive.addfile(info, io.BytesIO(entry.data))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE}[
                entry.kind
            ]
            if entry.kind in ("sym", "hard"):
                info.linkname = entry.data
                if "\0" in entry.data:
                    info.pax_headers = {**info.pax_headers, "linkpath": entry.data}
            archive.addfile(info)


def write_zip(path: Path, entries: list[Entry]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for entry in entries:
            if entry.kind == "hard":
                continue  # zip has no hard links
            if entry.kind == "dir":
                archive.writestr(entry.name.rstrip("/") + "/", b"")
            elif entry.kind == "sym":
                info = zipfile.ZipInfo(entry.name)
                info.create_system = 3
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, entry.data.encode("utf-8", "surrogateescape"))
            else:
                archive.writestr(entry.name, entry.data)


def write_archive(path: Path, entries: list[Entry]) -> None:
    (write_zip if path.suffix == ".zip" else write_tar)(path, entries)


# --- the scene: a destination inside a tree that must not change ------------------------------


def tree_state(root: Path, skip: Path) -> dict[bytes, tuple]:
    """Every name under ``root`` (but ``skip``) with its type, mode, bytes or link text."""
    state: dict[bytes, tuple] = {}
    skip_b = os.fsencode(skip)
    for current, dirs, files in os.walk(os.fsencode(root)):
        dirs[:] = [d for d in dirs if os.path.join(current, d) != skip_b]
        for name in dirs + files:
            full = os.path.join(current, name)
            info = os.lstat(full)
            if stat.S_ISLNK(info.st_mode):
                state[full] = ("link", os.readlink(full))
            elif stat.S_ISREG(info.st_mode):
                with open(full, "rb") as handle:
                    state[full] = ("file", info.st_mode, handle.read())
            else:
                state[full] = ("other", info.st_mode)
    return state


class Scene:
    """``R/dest`` is where archives from ``R/archives`` go; everything else in R is sentinel."""

    def __init__(self, place: Place, name: str = "scene"):
        self.place = place
        self.root = place.directory / name
        self.archives = self.root / "archives"
        self.dest = self.root / "dest"
        self.sentinel = self.root / "sentinel"
        for path in (self.archives, self.dest, self.sentinel / "keys"):
            path.mkdir(parents=True)
        (self.root / "secret").write_bytes(SECRET)
        (self.sentinel / "keys" / "id_ed25519").write_bytes(SECRET)
        (self.sentinel / "data.txt").write_bytes(b"sentinel data")
        os.symlink("../secret", self.sentinel / "secret-link")
        self.before: dict[bytes, tuple] = {}
        self.links_before: set[bytes] = set()
        self.above_before: dict = {}

    def add(self, name: str, entries: list[Entry]) -> Path:
        path = self.archives / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_archive(path, entries)
        return path

    def freeze(self) -> None:
        """Hand the scene to the host's user and remember how it looks."""
        self.place.hand_over()
        self.before = tree_state(self.root, skip=self.dest)
        self.links_before = set(self._links())
        self.above_before = {above: set(os.listdir(os.fsencode(above))) for above in self._above()}

    def _above(self):
        """One and two levels above the scene: where ``../..`` and ``../../..`` would land.
        Other tests' folders live there too (one is named after canary payloads), so only
        what appeared since ``freeze`` counts."""
        return (self.place.directory, self.place.directory.parent)

    def unpack(self, parallel: int = 1):
        if not self.before:
            self.freeze()
        return unpack_on_host(
            self.place.host, str(self.archives), dest=str(self.dest), parallel=parallel
        )

    def _links(self):
        for current, dirs, files in os.walk(os.fsencode(self.dest)):
            for name in dirs + files:
                full = os.path.join(current, name)
                if os.path.islink(full):
                    yield full

    def canaries(self) -> list[bytes]:
        """Names with ``canary`` in them outside the destination (there must be none)."""
        hits = [
            path
            for path in tree_state(self.root, skip=self.dest)
            if b"canary" in os.path.basename(path)
        ]
        for above in self._above():
            folder = os.fsencode(above)
            new_names = set(os.listdir(folder)) - self.above_before.get(above, set())
            hits += [os.path.join(folder, n) for n in new_names if b"canary" in n]
        hits += [os.fsencode(p) for p in glob.glob(f"{ABSOLUTE_CANARY_PREFIX}*")]
        return hits

    def assert_contained(self) -> None:
        """The sentinel tree is byte-identical, no canary exists, every new link stays in."""
        assert tree_state(self.root, skip=self.dest) == self.before
        assert self.canaries() == []
        real_dest = os.fsencode(os.path.realpath(self.dest))
        for link in self._links():
            if link in self.links_before:
                continue
            resolved = os.path.realpath(link)
            assert resolved == real_dest or resolved.startswith(real_dest + b"/"), (
                link,
                os.readlink(link),
                resolved,
            )
        temporaries = [p for p in self.dest.rglob("*") if ".unpacking-" in p.name]
        assert temporaries == []


def refused_entries(result, archive: str | None = None) -> set[str]:
    return {
        f.entry
        for f in result.failures
        if f.kind == REFUSED and (archive is None or f.archive == archive)
    }


def reasons(result) -> dict[str, str]:
    return {f.entry: f.reason for f in result.failures if f.entry is not None}


# --- the containment rule for link targets ----------------------------------------------------


def test_link_parts_allows_a_climb_then_a_descent_only():
    assert link_parts("a.jpg") == (0, ["a.jpg"])
    assert link_parts("../../lib/./x.so") == (2, ["lib", "x.so"])
    assert link_parts(".") == (0, [])
    assert link_parts(b"../\xff") == (1, ["\udcff"])
    for target, why in (
        ("../b/../secret", "after a name"),
        ("b/..", "after a name"),
        ("/etc/passwd", "absolute"),
        ("a\0b", "NUL"),
        ("", "empty"),
    ):
        with pytest.raises(UnsafeName, match=why):
            link_parts(target)


def test_a_colon_is_a_name_and_a_drive_path_is_absolute():
    assert name_parts("a:colon.txt") == ["a:colon.txt"]
    for name in ("C:/x", "C:\\x", "C:"):
        with pytest.raises(UnsafeName, match="drive letter"):
            name_parts(name)


# --- links ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".tar", ".zip"])
def test_a_link_is_judged_where_it_resolves_not_by_its_text(place, suffix):
    """``b -> .`` plus ``img/label.txt -> ../b/../secret``: the text normalises to
    ``secret`` inside, but on disk it reads the secret next to the destination."""
    scene = Scene(place)
    scene.add(
        "labels" + suffix,
        [
            f("img/0001.jpg", b"jpeg"),
            sym("b", "."),
            sym("img/label.txt", "../b/../secret", ok=False),
            f("img/labels.csv", b"1,2"),
        ],
    )
    result = scene.unpack()

    assert refused_entries(result) == {"img/label.txt"}
    assert not os.path.lexists(scene.dest / "img" / "label.txt")
    assert (scene.dest / "img" / "0001.jpg").read_bytes() == b"jpeg"
    assert (scene.dest / "img" / "labels.csv").read_bytes() == b"1,2"
    assert os.readlink(scene.dest / "b") == "."
    scene.assert_contained()


def escaping_links(scene: Scene) -> list[Entry]:
    """Links out in every shape, and links that stay inside, in one archive."""
    return [
        folder("sub/"),
        f("sub/real.txt", b"real"),
        f("img/a.jpg", b"jpg"),
        sym("b", "."),
        sym("up", "..", ok=False),  # direct
        sym("img/up2", "../../secret", ok=False),
        sym("sub/deeper/up3", "../../..", ok=False),
        sym("abs", str(scene.root / "secret"), ok=False),  # absolute
        sym("etc", "/etc", ok=False),
        sym("via-pre", "pre/data.txt", ok=False),  # through a link already there, leading out
        sym("chain", "b/b/../secret", ok=False),  # chained through an extracted link
        sym("sub/in", "../img"),  # climbs from sub to the root: inside
        sym("sub/in2", "../b/b/img/a.jpg"),
        sym("sub", "img", ok=False),  # a link never replaces a folder
        f("b/../canary-dotdot.txt", b"evil", ok=False),  # `b -> .` then b/../x
        f("pre/canary-through-pre.txt", b"evil", ok=False),  # a file through a link out
        f("sub/in/through-in.txt", b"in"),  # a file through a link that stays inside
        f("b/b/through-b.txt", b"bb"),
        sym("esc", "../canary-dir", ok=False),  # a link out, then a file "through" it
        f("esc/after.txt", b"after"),
        sym("loop1", "loop2"),  # dangling for now
        sym("loop2", "loop1"),  # a cycle: nothing resolves through it, inside or out
        f("loop1/x.txt", b"loop", ok=False),
        sym("nowhere", "missing/dir"),  # dangling: its target is not made for it
        f("nowhere/x.txt", b"x", ok=False),
        f("tail.txt", b"the rest of the archive still arrives"),
    ]


HARD_LINKS = [
    hard("h-ok", "img/a.jpg"),
    hard("h-up", "../secret", ok=False),
    hard("h-abs", "/etc/hostname", ok=False),
    hard("h-pre", "pre/data.txt", ok=False),  # not extracted by this archive, and out
    hard("h-dir", "sub", ok=False),  # a folder
    hard("h-link", "b", ok=False),  # a link, not a regular file
    hard("h-later", "tail2.txt", ok=False),  # not extracted yet
    f("tail2.txt", b"tail"),
]


@pytest.mark.parametrize("suffix", [".tar", ".zip"])
def test_escaping_links_are_refused_and_inside_links_work(place, suffix):
    scene = Scene(place)
    # an earlier, careless unpack left a link out of the destination
    os.symlink(scene.sentinel, scene.dest / "pre")
    entries = escaping_links(scene) + (HARD_LINKS if suffix == ".tar" else [])
    scene.add("links" + suffix, entries)
    result = scene.unpack()

    assert refused_entries(result) == {e.name for e in entries if not e.ok}
    why = reasons(result)
    # (where Python has the tar data filter, a tar's links out get its reason instead)
    assert "a '..' after a name" in why["chain"] or "outside the destination" in why["chain"]
    assert "a '..' segment" in why["b/../canary-dotdot.txt"]
    assert "replace a folder" in why["sub"]
    assert "too many links" in why["loop1/x.txt"]
    assert "leads to no folder" in why["nowhere/x.txt"]
    dest = scene.dest
    assert (dest / "sub" / "real.txt").read_bytes() == b"real"
    assert (dest / "img" / "through-in.txt").read_bytes() == b"in"  # via sub/in -> ../img
    assert (dest / "through-b.txt").read_bytes() == b"bb"  # via b -> .
    assert (dest / "sub" / "in2").read_bytes() == b"jpg"
    assert (dest / "esc").is_dir() and not (dest / "esc").is_symlink()
    assert (dest / "esc" / "after.txt").read_bytes() == b"after"
    assert (dest / "tail.txt").read_bytes() == b"the rest of the archive still arrives"
    assert not os.path.lexists(dest / "missing")
    for name in ("up", "img/up2", "abs", "etc", "via-pre", "chain", "sub/deeper/up3"):
        assert not os.path.lexists(dest / name), name
    if suffix == ".tar":
        assert os.stat(dest / "h-ok").st_ino == os.stat(dest / "img" / "a.jpg").st_ino
        for name in ("h-up", "h-abs", "h-pre", "h-dir", "h-link", "h-later"):
            assert not os.path.lexists(dest / name), name
        assert (dest / "tail2.txt").read_bytes() == b"tail"
    scene.assert_contained()


def test_a_later_link_cannot_carry_an_earlier_one_out(place):
    """``l -> c/../secret`` resolves inside while ``c -> sub/deep``, and its text normalises
    to ``secret`` inside: a check of where it resolves today (the data filter's) or of its
    normalised text lets it through. A later archive turns ``c`` into ``c -> .``, fine
    alone, and ``l`` would then read the secret next to the destination."""
    scene = Scene(place)
    scene.add(
        "1-first.tar",
        [folder("sub/deep/"), sym("c", "sub/deep"), sym("l", "c/../secret", ok=False)],
    )
    scene.add("2-second.zip", [sym("c", "."), f("after.txt", b"after")])
    result = scene.unpack(parallel=1)
    assert refused_entries(result) == {"l"}
    assert "a '..' after a name" in reasons(result)["l"]
    assert os.readlink(scene.dest / "c") == "."  # replaced: l would now lead out
    assert (scene.dest / "after.txt").read_bytes() == b"after"
    scene.assert_contained()


# --- names -----------------------------------------------------------------------------------

ODD_BUT_SAFE = [
    "-rf",
    "--help.txt",
    "-/x.txt",
    "[/]prod",
    "[bold red]x[/]",
    "[link=https:x]y",
    "\x1b[2Jclear",
    "\x1b]52;c;ZXZpbA==\x07clip",
    "\x1b]0;title\x07",
    "$(touch canary-cmd)",
    "`touch canary-tick`",
    "a'b\"c d",
    "line\nbreak",
    "tab\there",
    "a:colon",
    "back\\slash",
    "ünï 画像",
]

#: absolute entry names land here if they escape; the pid keeps the names of test processes
#: running in parallel apart, so one process's canary is never another's failure
ABSOLUTE_CANARY_PREFIX = f"/tmp/awsc-canary-{os.getpid()}-"

HOSTILE_NAMES = [
    "../canary-up.txt",
    "a/../../canary-up2.txt",
    f"{ABSOLUTE_CANARY_PREFIX}abs.txt",
    "C:/canary-drive.txt",
    "\\\\server\\canary-unc.txt",
    "a//canary-empty.txt",
    "./",  # the destination itself: skipped, not refused
]


@pytest.mark.parametrize("suffix", [".tar", ".zip"])
def test_hostile_names_are_refused_and_odd_names_arrive_as_they_are(place, suffix):
    scene = Scene(place)
    entries = [f(f"odd/{name}/{i}.bin", f"{i}".encode()) for i, name in enumerate(ODD_BUT_SAFE)]
    hostile = [n for n in HOSTILE_NAMES if n != "./"]
    hostile_abs = str(scene.root / "canary-abs2.txt")
    entries += [f(name, b"evil", ok=False) for name in [*hostile, hostile_abs]]
    entries.append(sym("nul-link", "a\0b", ok=False))
    if suffix == ".tar":
        entries.append(f("nul\0canary.txt", b"evil", ok=False))  # a pax header holds a NUL
        entries.append(f("raw-\udcff\udcfe.bin", b"raw"))  # bytes that are not UTF-8
    entries.append(folder("./"))
    entries.append(f("last.txt", b"last"))
    scene.add("names" + suffix, entries)
    if suffix == ".zip":
        raw_zip(scene.archives / "raw.zip", b"raw-\xff\xfe.bin", b"raw")
    result = scene.unpack()

    assert refused_entries(result) == {e.name for e in entries if not e.ok}
    assert "NUL" in reasons(result)["nul-link"]
    for i, name in enumerate(ODD_BUT_SAFE):
        raw = os.path.join(os.fsencode(scene.dest), b"odd", name.encode(), f"{i}.bin".encode())
        with open(raw, "rb") as handle:
            assert handle.read() == f"{i}".encode(), name
    raw_name = b"raw-\xff\xfe.bin"
    if suffix == ".zip":  # a zip name without the UTF-8 flag is cp437: each byte a character
        raw_name = raw_name.decode("cp437").encode()
    with open(os.path.join(os.fsencode(scene.dest), raw_name), "rb") as handle:
        assert handle.read() == b"raw"
    assert (scene.dest / "last.txt").read_bytes() == b"last"
    scene.assert_contained()


def raw_zip(path: Path, raw_name: bytes, data: bytes) -> None:
    """A zip whose member name is ``raw_name`` byte for byte (zipfile writes only UTF-8)."""
    placeholder = b"Q" * len(raw_name)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(placeholder.decode(), data)
    path.write_bytes(buffer.getvalue().replace(placeholder, raw_name))


# --- names and links drawn at random --------------------------------------------------------

SEGMENTS = st.one_of(
    st.sampled_from(
        [
            "..",
            ".",
            "",
            "-",
            "-rf",
            "[/]",
            "[b]x",
            "\x1b[31m",
            "\x1b]52;c;eA==\x07",
            "$(id)",
            "`id`",
            " ",
            "a b",
            "'\"",
            "\n",
            "\udcff\udcfe",
            "\\",
            "C:",
            "x",
            "y",
        ]
    ),
    st.text(alphabet="abc.-[]/\\\x1b", min_size=1, max_size=4),
)
DRAWN_NAME = st.builds(
    lambda lead, parts: lead + "/".join(parts),
    st.sampled_from(["", "", "", "/", "./", "../"]),
    st.lists(SEGMENTS, min_size=0, max_size=4),
)
LINK_TARGET = st.builds(
    lambda lead, parts: lead + "/".join(parts),
    st.sampled_from(["", "", "/", "../", "../../", "x/../"]),
    st.lists(st.sampled_from(["..", ".", "x", "y", "b", "secret", "sentinel"]), max_size=4),
)
DRAWN_ENTRIES = st.lists(
    st.one_of(
        st.tuples(st.just("file"), DRAWN_NAME),
        st.tuples(st.just("sym"), st.sampled_from(["x", "y", "b", "x/y", "y/x"]), LINK_TARGET),
    ),
    min_size=1,
    max_size=12,
)


def drawn_archive(drawn) -> tuple[list[Entry], list[Entry]]:
    """Entries from a draw, and the files that nothing can stand in the way of."""
    entries, clear = [], []
    link_names = {spec[1].split("/")[0] for spec in drawn if spec[0] == "sym"}
    for i, spec in enumerate(drawn):
        if spec[0] == "sym":
            entries.append(sym(spec[1], spec[2]))
            continue
        name = f"{spec[1]}/f~{i}" if spec[1] and not spec[1].endswith("/") else f"{spec[1]}f~{i}"
        entry = f(name, f"content {i}".encode())
        try:
            parts = name_parts(name)
        except UnsafeName:
            entry.ok = False
        else:
            if parts[0] not in link_names:
                clear.append(entry)
        entries.append(entry)
    return entries, clear


def zip_can_hold(name: str) -> bool:
    """zipfile cuts a name at a NUL and writes only names that encode as UTF-8."""
    return "\0" not in name and not any("\udc80" <= c <= "\udcff" for c in name)


def check_drawn(place: Place, drawn) -> None:
    base = Path(tempfile.mkdtemp(prefix="draw-", dir=place.directory))
    try:
        scene = Scene(Place(place.host, base, place.owner))
        entries, clear = drawn_archive(drawn)
        # the same entries as a zip and a tar, unpacked together: they race for each name
        scene.add("drawn.tar", entries)
        in_zip = [e for e in entries if zip_can_hold(e.name)]
        scene.add("drawn.zip", in_zip)
        result = scene.unpack(parallel=2)
        for archive, held in (("drawn.tar", entries), ("drawn.zip", in_zip)):
            refused = refused_entries(result, archive)
            for entry in held:
                if not entry.ok:
                    assert entry.name in refused, (archive, entry.name)
            for entry in clear:
                assert entry.name not in refused, (archive, entry.name, reasons(result))
        assert [f for f in result.failures if f.kind != REFUSED] == []
        for entry in clear:
            raw = os.path.join(
                os.fsencode(scene.dest),
                *(p.encode("utf-8", "surrogateescape") for p in name_parts(entry.name)),
            )
            with open(raw, "rb") as handle:
                assert handle.read() == entry.data, entry.name
        scene.assert_contained()
    finally:
        shutil.rmtree(base, ignore_errors=True)


# an archive may name the same link twice: that is part of what is drawn
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Duplicate name")
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(drawn=DRAWN_ENTRIES)
def test_drawn_names_and_links_stay_inside_on_this_machine(local_place, drawn):
    check_drawn(local_place, drawn)


@pytest.mark.filterwarnings("ignore:Duplicate name")
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(drawn=DRAWN_ENTRIES)
def test_drawn_names_and_links_stay_inside_over_ssh(ssh_env, drawn):
    directory = Path(tempfile.mkdtemp(prefix="hostile-", dir=ssh_env.material.user_home))
    try:
        place = Place(ssh_env.host(), directory, ssh_env.material.user)
        place.hand_over()
        check_drawn(place, drawn)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --- archives racing each other -----------------------------------------------------------------


def racing_archives(scene: Scene, round_: int) -> dict[str, bytes]:
    """Four archives plant ``x`` (out, up, chained, inside); four write through ``x/``."""
    scene.add(f"plant-abs-{round_}.tar", [sym("x", str(scene.sentinel), ok=False)])
    scene.add(f"plant-up-{round_}.zip", [sym("x", "..", ok=False)])
    scene.add(
        f"plant-chain-{round_}.tar",
        [sym("b", "."), sym("x", "b/../sentinel", ok=False), f("chain-ok.txt", b"ok")],
    )
    scene.add(f"plant-inside-{round_}.zip", [folder("inner/"), sym("x", "inner")])
    expected: dict[str, bytes] = {"chain-ok.txt": b"ok"}
    for writer in range(4):
        entries = []
        for k in range(25):
            data = f"{round_}/{writer}/{k}".encode()
            entries.append(f(f"x/w{writer}-{k}.txt", data))
            expected[f"x/w{writer}-{k}.txt"] = data
        entries.append(f(f"x/sub/canary-w{writer}.txt", b"deep"))
        expected[f"x/sub/canary-w{writer}.txt"] = b"deep"
        entries.append(f(f"own-{writer}/ok.txt", b"own"))
        expected[f"own-{writer}/ok.txt"] = b"own"
        scene.add(f"write-{writer}-{round_}" + (".zip" if writer % 2 else ".tar"), entries)
    return expected


@pytest.mark.parametrize("rounds", [12])
def test_archives_racing_to_plant_a_link_never_lead_out(place, rounds):
    for round_ in range(rounds):
        scene = Scene(place, name=f"round-{round_}")
        expected = racing_archives(scene, round_)
        result = scene.unpack(parallel=4)

        scene.assert_contained()
        planted = {(f.archive, f.entry) for f in result.failures if f.kind == REFUSED}
        assert {
            (f"plant-abs-{round_}.tar", "x"),
            (f"plant-up-{round_}.zip", "x"),
            (f"plant-chain-{round_}.tar", "x"),
        } <= planted
        assert [f for f in result.failures if f.kind != REFUSED] == []
        # x is a real folder, or the inside link when that archive came first
        x = scene.dest / "x"
        assert x.is_dir()
        if x.is_symlink():
            assert os.readlink(x) == "inner"
        for relative, data in expected.items():
            assert (scene.dest / relative).read_bytes() == data, (round_, relative)


def test_a_neighbour_swapping_a_folder_for_a_link_never_redirects_a_write(place):
    """While the workers write ``x/...``, a process keeps moving ``x`` aside and putting a
    link to the sentinel in its place. Every entry lands inside or is refused."""
    scene = Scene(place)
    names = []
    for writer in range(4):
        entries = [f(f"x/w{writer}-{k}/canary-{k}.txt", b"data") for k in range(150)]
        names += [e.name for e in entries]
        scene.add(f"write-{writer}.tar", entries)
    scene.freeze()
    x, target = scene.dest / "x", scene.sentinel
    stop, planted = threading.Event(), [0]

    def swap() -> None:
        aside = 0
        while not stop.is_set():
            try:
                if x.is_symlink():
                    os.unlink(x)
                elif x.is_dir():
                    aside += 1
                    os.rename(x, scene.dest / f"aside-{aside}")
                    os.symlink(target, x)
                    planted[0] += 1
            except OSError:
                pass  # a worker made x meanwhile: go round again

    swapper = threading.Thread(target=swap, daemon=True)
    swapper.start()
    try:
        results = []
        for _round in range(20):
            results.append(scene.unpack(parallel=4))
            if planted[0] >= 50:
                break
    finally:
        stop.set()
        swapper.join()
    assert planted[0] >= 50, "the neighbour never got to plant its link"
    if x.is_symlink():
        os.unlink(x)
    scene.assert_contained()

    arrived = {
        str(p.relative_to(scene.dest)).split("/", 1)[1]
        for p in scene.dest.rglob("canary-*.txt")
        if p.read_bytes() == b"data"
    }
    for result in results:
        assert [f for f in result.failures if f.kind != REFUSED] == []
        for failure in result.failures:
            # the walk's reasons, or (tar, where Python has it) the data filter's
            assert any(
                why in failure.reason
                for why in ("link", "changing", "outside the destination", "data filter")
            ), failure
        refused = refused_entries(result)
        for name in names:
            assert name.split("/", 1)[1] in arrived or name in refused, name


# --- a full disk and a file-size limit leave the old file --------------------------------------


@pytest.fixture
def small_disk(place):
    """A 1 MiB tmpfs mounted as the destination (skipped where mounting is not allowed)."""
    scene = Scene(place)
    uid, gid = os.getuid(), os.getgid()
    if place.owner is not None:
        uid, gid = pwd.getpwnam(place.owner)[2:4]
    options = f"size=1m,mode=0755,uid={uid},gid={gid}"
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(scene.dest)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield scene
    finally:
        subprocess.run(["umount", "-l", str(scene.dest)], check=True)


def test_a_full_disk_leaves_the_old_files_whole(small_disk):
    scene = small_disk
    old_small, old_big = os.urandom(64 * 1024), os.urandom(128 * 1024)
    (scene.dest / "small.bin").write_bytes(old_small)
    (scene.dest / "big.bin").write_bytes(old_big)
    free = os.statvfs(scene.dest).f_bavail * os.statvfs(scene.dest).f_frsize
    (scene.dest / "filler").write_bytes(b"\0" * (free - 96 * 1024))
    scene.add("1-small.tar", [f("note.txt", b"arrives"), f("small.bin", os.urandom(512 * 1024))])
    scene.add("2-big.zip", [f("big.bin", os.urandom(9 * 1024 * 1024))])  # streamed
    result = scene.unpack(parallel=1)

    errors = {f.archive: f.reason for f in result.failures}
    assert set(errors) == {"1-small.tar", "2-big.zip"}
    assert all("No space left on device" in reason for reason in errors.values()), errors
    assert (scene.dest / "small.bin").read_bytes() == old_small
    assert (scene.dest / "big.bin").read_bytes() == old_big
    assert (scene.dest / "note.txt").read_bytes() == b"arrives"
    scene.assert_contained()


def test_a_file_size_limit_fails_the_write_and_keeps_the_old_file(local_place, tmp_path):
    """``ulimit -f``: the write gets EFBIG (the helper ignores SIGXFSZ, which would kill a
    worker and leave its archive hanging) and the old file stays as it was."""
    scene = Scene(local_place)
    old = os.urandom(4096)
    (scene.dest / "weights.bin").write_bytes(old)
    scene.add("model.zip", [f("config.json", b"{}"), f("weights.bin", os.urandom(2 << 20))])
    scene.add("model2.tar", [f("huge.bin", os.urandom(9 << 20)), f("never.txt", b"x")])
    scene.freeze()
    limit = 1 << 20

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    argv = unpack_command(str(scene.archives), dest=str(scene.dest), parallel=2)
    done = subprocess.run(
        argv, capture_output=True, preexec_fn=limit_file_size, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 1, done.stderr
    _progress, failures, result = read_unpack_output(done.stdout)
    assert result is not None and result.archives_total == 2
    reasons_by_archive = {f.archive: f.reason for f in failures}
    assert set(reasons_by_archive) == {"model.zip", "model2.tar"}
    assert all("File too large" in r for r in reasons_by_archive.values()), reasons_by_archive
    assert (scene.dest / "weights.bin").read_bytes() == old
    assert (scene.dest / "config.json").read_bytes() == b"{}"
    assert not (scene.dest / "huge.bin").exists() and not (scene.dest / "never.txt").exists()
    scene.assert_contained()


# --- the standard library's tar filter --------------------------------------------------------


def host_has_data_filter(host) -> bool:
    probe = host.run(
        ["python3", "-I", "-S", "-c", "import tarfile; print(hasattr(tarfile, 'data_filter'))"]
    )
    return probe.stdout.strip() == b"True"


def test_tar_members_pass_the_data_filter_where_python_has_it(place):
    scene = Scene(place)
    with tarfile.open(scene.archives / "modes.tar", "w") as archive:
        info = tarfile.TarInfo("odd-mode.bin")
        info.size, info.mode = 4, 0o611  # no owner exec: the filter drops every exec bit
        archive.addfile(info, io.BytesIO(b"mode"))
        info = tarfile.TarInfo("setuid.bin")
        info.size, info.mode = 2, 0o4755
        archive.addfile(info, io.BytesIO(b"su"))
        link = tarfile.TarInfo("up")
        link.type, link.linkname = tarfile.SYMTYPE, "../.."
        archive.addfile(link)
    result = scene.unpack()

    assert refused_entries(result) == {"up"}
    mode = stat.S_IMODE(os.stat(scene.dest / "odd-mode.bin").st_mode)
    assert stat.S_IMODE(os.stat(scene.dest / "setuid.bin").st_mode) & 0o7000 == 0
    if host_has_data_filter(place.host):
        assert mode == 0o600
        real = os.path.realpath(scene.dest)
        expected = tarfile.LinkOutsideDestinationError(link, os.path.realpath(real + "/../.."))
        assert reasons(result)["up"] == str(expected)
    else:
        umask = int(place.host.run(["sh", "-c", "umask"]).stdout.strip(), 8)
        assert mode == 0o611 & ~umask
        assert reasons(result)["up"] == "a link to ../.. leads outside the destination"
    scene.assert_contained()


# --- the helper as it travels -------------------------------------------------------------------


def test_the_containment_rule_travels_ahead_of_the_helper():
    source = script_source("unpack_archives")
    paths_text = Path(sys.modules["console.files.paths"].__file__).read_text(encoding="utf-8")
    assert shipped_modules("unpack_archives") == ("paths",)
    assert source.startswith(paths_text)
    assert "from console" not in source and "import console" not in source
    assert source.isascii()  # Python 3.6 in the C locale cannot decode anything else in argv
    ast.parse(source, feature_version=(3, 6))
    argv = python_command("unpack_archives", "--", "/x")
    assert argv[:4] == ["python3", "-I", "-S", "-c"] and argv[4] == source


def test_the_helper_also_runs_in_process(tmp_path):
    from console.files.remote_helpers import unpack_archives

    scene = Scene(Place(LocalHost(), tmp_path, None))
    scene.add("a.tar", [sym("b", "."), sym("x", "../b/../secret", ok=False), f("ok.txt", b"1")])
    scene.freeze()
    out = io.StringIO()
    code = unpack_archives.main(["-P", "1", "--dest", str(scene.dest), str(scene.archives)], out)
    assert code == 1
    _progress, failures, result = read_unpack_output(out.getvalue().encode())
    assert [(f.entry, f.kind) for f in failures] == [("x", REFUSED)]
    assert result is not None and result.files_written == 1
    scene.assert_contained()


def old_pythons() -> list[str]:
    """Python 3.6 interpreters that really start (a version manager's shim may not)."""
    found = {shutil.which("python3.6")} | set(
        glob.glob(os.path.expanduser("~/.pyenv/versions/3.6*/bin/python3.6"))
    )
    working = []
    for python in sorted(p for p in found if p):
        probe = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[:2] == (3, 6))"],
            capture_output=True,
            text=True,
        )
        if probe.stdout.strip() == "True":
            working.append(python)
    return working


@pytest.mark.skipif(not old_pythons(), reason="no Python 3.6 on this machine")
def test_a_python_36_host_in_the_c_locale_applies_the_same_rules(tmp_path):
    scene = Scene(Place(LocalHost(), tmp_path, None))
    scene.add(
        "old.tar",
        [
            sym("b", "."),
            sym("img/label.txt", "../b/../secret", ok=False),
            f("ünï/画像.png", b"png"),
            f("raw-\udcff.bin", b"raw"),
            f("../canary.txt", b"evil", ok=False),
            f("img/a.jpg", b"a"),
            hard("img/h.jpg", "img/a.jpg"),
        ],
    )
    scene.add("old.zip", [f("zip/ü.txt", b"z"), sym("zip/out", "../..", ok=False)])
    scene.freeze()
    argv = unpack_command(str(scene.archives), dest=str(scene.dest), parallel=2)
    argv[0] = old_pythons()[0]
    done = subprocess.run(
        argv, capture_output=True, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"}, timeout=120
    )
    assert done.returncode == 1, done.stderr
    _progress, failures, result = read_unpack_output(done.stdout)
    assert {f.entry for f in failures} == {"img/label.txt", "../canary.txt", "zip/out"}
    assert all(f.kind == REFUSED for f in failures)
    assert (scene.dest / "ünï" / "画像.png").read_bytes() == b"png"
    assert (scene.dest / "zip" / "ü.txt").read_bytes() == b"z"
    with open(os.path.join(os.fsencode(scene.dest), b"raw-\xff.bin"), "rb") as handle:
        assert handle.read() == b"raw"
    assert os.stat(scene.dest / "img" / "h.jpg").st_ino == os.stat(scene.dest / "img/a.jpg").st_ino
    assert result is not None and result.files_written == 5
    scene.assert_contained()


# --- what `awsconsole unpack` prints about hostile entries ---------------------------------------


def test_the_unpack_command_lists_refused_entries_as_inert_text(tmp_path, capsys):
    import argparse
    import json

    from console.commands import unpack as unpack_cli
    from console.hosts import HostPool
    from console.services import Services
    from console.settings import Settings

    scene = Scene(Place(LocalHost(), tmp_path, None))
    osc = "../\x1b]52;c;ZXZpbA==\x07canary-\x1b[2J\udcff.txt"
    scene.add("names.tar", [f(osc, b"evil", ok=False), f("fine.txt", b"fine")])
    scene.freeze()
    parser = argparse.ArgumentParser(prog="awsconsole")
    unpack_cli.register(parser.add_subparsers(dest="command"))
    services = Services(settings=Settings(), ec2=None, s3=None, hosts=HostPool())
    location = f"local:{scene.archives}"
    try:
        for extra in ([], ["--json"]):
            args = parser.parse_args(["unpack", location, "--dest", str(scene.dest), *extra])
            assert args.func(args, services) == 1
            printed = capsys.readouterr().out
            assert "\x1b" not in printed and "\x07" not in printed
            if extra:
                [record] = json.loads(printed)
                assert [f["entry"] for f in record["failures"]] == [osc]
            else:
                assert "names.tar" in printed and "refused" in printed
                assert "canary-" in printed and ".." in printed
    finally:
        services.close()
    assert (scene.dest / "fine.txt").read_bytes() == b"fine"
    scene.assert_contained()
