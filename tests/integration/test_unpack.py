"""Unpacking a folder of archives on this machine and through a real sshd.

Archives are built here with zipfile/tarfile: good ones (checked byte for byte after
unpacking), corrupt ones (listed with a reason while the others go on) and hostile ones
(zip-slip ``..``, absolute paths, symlinks and hard links pointing out, a path through a
symlink already in the destination) whose bad entries are refused and reported.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from console.errors import UnpackError
from console.files.unpack.runner import unpack_command, unpack_on_host
from console.hosts.local import LocalHost
from console.models import UnpackFailureKind

BIG = 9 * 1024 * 1024  # above the whole-read limit: streamed through a temporary name


def add_tar_file(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def add_tar_link(archive: tarfile.TarFile, name: str, target: str, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    archive.addfile(info)


def build_good(folder: Path) -> dict[str, bytes]:
    """Four good archives; returns every regular file they hold (relative path -> bytes)."""
    expected: dict[str, bytes] = {}
    members = {
        "img/0001.jpg": os.urandom(3000),
        "img/sub dir/0002.jpg": os.urandom(10),
        "ünï/画像 1.png": b"\x89PNG" + os.urandom(50),
        "empty.txt": b"",
    }
    with zipfile.ZipFile(folder / "batch 01.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("img/emptydir/", b"")
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr(zipfile.ZipInfo("big/stored.bin"), big := os.urandom(BIG))
    expected.update(members)
    expected["big/stored.bin"] = big
    for archive_name, mode in (
        ("batch02.tar", "w"),
        ("batch03.tar.gz", "w:gz"),
        ("nested/batch04.tgz", "w:gz"),
    ):
        (folder / archive_name).parent.mkdir(parents=True, exist_ok=True)
        stem = archive_name.split("/")[-1].split(".")[0]
        with tarfile.open(folder / archive_name, mode) as archive:
            for i in range(5):
                data = os.urandom(100 + i)
                add_tar_file(archive, f"{stem}/{i:02d} image.jpg", data)
                expected[f"{stem}/{i:02d} image.jpg"] = data
            add_tar_link(archive, f"{stem}/alias.jpg", "00 image.jpg")  # stays inside
    return expected


def build_corrupt(folder: Path) -> None:
    (folder / "garbage.zip").write_bytes(b"this is not a zip file" * 20)
    whole = io.BytesIO()
    with tarfile.open(fileobj=whole, mode="w:gz") as archive:
        add_tar_file(archive, "t/a.bin", os.urandom(20000))
    (folder / "truncated.tar.gz").write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    crc = io.BytesIO()
    with zipfile.ZipFile(crc, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("crc/victim.bin", b"A" * 4000)
    damaged = bytearray(crc.getvalue())
    damaged[damaged.index(b"A" * 100) + 50] ^= 0xFF  # flip one byte of the member's data
    (folder / "badcrc.zip").write_bytes(bytes(damaged))


def build_hostile(folder: Path, outside: Path) -> None:
    with zipfile.ZipFile(folder / "slip.zip", "w") as archive:
        archive.writestr("../../escaped-zip.txt", b"evil")
        archive.writestr(str(outside / "absolute-zip.txt"), b"evil")
        archive.writestr("pre/through-existing-link.txt", b"evil")
        archive.writestr("slip-fine.txt", b"fine")
    with tarfile.open(folder / "slip.tar", "w") as archive:
        add_tar_file(archive, "../escaped-tar.txt", b"evil")
        add_tar_file(archive, str(outside / "absolute-tar.txt"), b"evil")
        add_tar_link(archive, "up", "../..")
        add_tar_link(archive, "etc", "/etc")
        add_tar_link(archive, "hard", "../../outside/secret", kind=tarfile.LNKTYPE)
        fifo = tarfile.TarInfo("a-fifo")
        fifo.type = tarfile.FIFOTYPE
        archive.addfile(fifo)
        add_tar_file(archive, "tar-fine.txt", b"fine")


def snapshot(root: Path) -> set[str]:
    return {
        os.path.relpath(os.path.join(d, n), root)
        for d, dirs, files in os.walk(root)
        for n in dirs + files
    }


def test_unpack_good_corrupt_and_hostile_archives(place):
    archives = place.directory / "archives"
    dest = place.directory / "dest"
    outside = place.directory / "outside"
    for folder in (archives, dest, outside):
        folder.mkdir()
    (outside / "secret").write_bytes(b"keep me")
    # a symlink already in the destination that leads out (an earlier, careless unpack)
    os.symlink(outside, dest / "pre")
    expected = build_good(archives)
    build_corrupt(archives)
    build_hostile(archives, outside)
    place.hand_over()
    outside_before = snapshot(outside)
    archives_before = snapshot(archives)
    progress, failures_seen = [], []

    result = unpack_on_host(
        place.host,
        str(archives),
        dest=str(dest),
        parallel=2,
        on_progress=progress.append,
        on_failure=failures_seen.append,
    )

    # good archives: byte for byte
    for relative, data in expected.items():
        assert (dest / relative).read_bytes() == data, relative
    assert (dest / "img" / "emptydir").is_dir()
    for stem in ("batch02", "batch03", "batch04"):
        assert os.readlink(dest / stem / "alias.jpg") == "00 image.jpg"
    assert (dest / "slip-fine.txt").read_bytes() == b"fine"
    assert (dest / "tar-fine.txt").read_bytes() == b"fine"

    # corrupt archives are listed with a reason; nothing of a bad member is left behind
    corrupt = {f.archive: f.reason for f in result.failures if f.kind == UnpackFailureKind.CORRUPT}
    assert set(corrupt) == {"garbage.zip", "truncated.tar.gz", "badcrc.zip"}
    assert "not a zip file" in corrupt["garbage.zip"]
    assert "CRC" in corrupt["badcrc.zip"]
    assert not (dest / "crc" / "victim.bin").exists()

    # hostile entries are refused one by one, and nothing lands outside the destination
    refused = {(f.archive, f.entry) for f in result.failures if f.kind == UnpackFailureKind.REFUSED}
    assert refused == {
        ("slip.zip", "../../escaped-zip.txt"),
        ("slip.zip", str(outside / "absolute-zip.txt")),
        ("slip.zip", "pre/through-existing-link.txt"),
        ("slip.tar", "../escaped-tar.txt"),
        ("slip.tar", str(outside / "absolute-tar.txt")),
        ("slip.tar", "up"),
        ("slip.tar", "etc"),
        ("slip.tar", "hard"),
    }
    unsupported = [f for f in result.failures if f.kind == UnpackFailureKind.UNSUPPORTED]
    assert [(f.archive, f.entry) for f in unsupported] == [("slip.tar", "a-fifo")]
    assert snapshot(outside) == outside_before
    assert (outside / "secret").read_bytes() == b"keep me"
    assert snapshot(archives) == archives_before
    assert not (place.directory / "escaped-zip.txt").exists()
    assert not (place.directory / "escaped-tar.txt").exists()
    assert not os.path.lexists(dest / "up") and not os.path.lexists(dest / "etc")
    assert not list(dest.rglob("*.unpacking-*"))

    # the totals and the streamed progress agree with what is on disk
    assert result.archives_total == 9
    assert result.archives_ok == 4
    assert result.files_written == len(expected) + 2
    assert result.written_bytes == sum(map(len, expected.values())) + 8
    assert list(failures_seen) == list(result.failures)
    assert progress[-1].archives_done == progress[-1].archives_total == 9
    assert (
        progress[-1].bytes_done
        == progress[-1].bytes_total
        == sum(p.stat().st_size for p in archives.rglob("*") if p.is_file())
    )
    assert progress[-1].failed == 5
    assert result.parallel == 2 and 1 <= result.workers_used <= 2


@pytest.mark.parametrize("parallel", [1, 3])
def test_parallelism_bounds_the_worker_processes(tmp_path, parallel):
    for i in range(12):
        with zipfile.ZipFile(tmp_path / f"{i:02d}.zip", "w") as archive:
            archive.writestr(f"{i:02d}/a.txt", str(i))
    result = unpack_on_host(
        LocalHost(), str(tmp_path), dest=str(tmp_path / "out"), parallel=parallel
    )
    assert result.parallel == parallel
    assert 1 <= result.workers_used <= parallel
    if parallel == 1:
        assert result.workers_used == 1
    assert result.archives_ok == 12
    assert all((tmp_path / "out" / f"{i:02d}" / "a.txt").read_text() == str(i) for i in range(12))


def test_default_parallelism_is_the_hosts_cores_and_dest_is_the_folder(tmp_path):
    with zipfile.ZipFile(tmp_path / "one.zip", "w") as archive:
        archive.writestr("inside/x.txt", b"x")
    result = unpack_on_host(LocalHost(), str(tmp_path))
    assert result.parallel == len(os.sched_getaffinity(0))
    assert (tmp_path / "inside" / "x.txt").read_bytes() == b"x"
    assert result.destination == str(tmp_path)


def test_an_existing_file_is_replaced_not_followed(tmp_path):
    archives, dest, outside = tmp_path / "a", tmp_path / "d", tmp_path / "o"
    for folder in (archives, dest, outside):
        folder.mkdir()
    (outside / "target").write_bytes(b"original")
    os.symlink(outside / "target", dest / "victim.txt")
    with zipfile.ZipFile(archives / "x.zip", "w") as archive:
        archive.writestr("victim.txt", b"new")
    result = unpack_on_host(LocalHost(), str(archives), dest=str(dest), parallel=1)
    assert result.failures == ()
    assert (outside / "target").read_bytes() == b"original"
    assert stat.S_ISREG(os.lstat(dest / "victim.txt").st_mode)
    assert (dest / "victim.txt").read_bytes() == b"new"


def test_a_missing_folder_is_a_clear_error(place):
    with pytest.raises(UnpackError, match="no such directory"):
        unpack_on_host(place.host, str(place.directory / "nothing here"))


def test_unpack_command_is_a_plain_argument_list_for_a_job():
    argv = unpack_command("/data/raw", dest="/data/out", parallel=4)
    # isolated (-I) and without site (-S): the user's PYTHON* variables and a stray json.py in
    # the remote home cannot change what runs
    assert argv[:4] == ["python3", "-I", "-S", "-c"]
    assert argv[5:] == ["--dest", "/data/out", "-P", "4", "--", "/data/raw"]
    with pytest.raises(UnpackError, match="at least 1"):
        unpack_command("/data", parallel=0)


def test_output_of_an_unpack_job_reads_back_at_any_point(tmp_path):
    """The jobs engine keeps the command's stdout in output.log: read it half-way and at the end."""
    from console.files.unpack.runner import read_unpack_output

    for i in range(3):
        with zipfile.ZipFile(tmp_path / f"{i}.zip", "w") as archive:
            archive.writestr(f"{i}.txt", b"x")
    (tmp_path / "bad.zip").write_bytes(b"bad")
    result = LocalHost().run(unpack_command(str(tmp_path), dest=str(tmp_path / "o"), parallel=1))
    assert result.exit_code == 1  # something failed
    lines = result.stdout.splitlines(keepends=True)

    progress, failures, done = read_unpack_output(result.stdout)
    assert done is not None and done.archives_ok == 3 and done.archives_total == 4
    assert [f.archive for f in failures] == ["bad.zip"]
    assert progress is not None and progress.archives_done == 4

    half = b"".join(lines[:-1]) + lines[-1][:10]  # the result line is still being written
    progress, failures, done = read_unpack_output(half)
    assert done is None and progress is not None and progress.archives_done == 4


def test_odd_but_safe_names_are_kept_and_a_symlink_never_replaces_a_folder(tmp_path):
    archives, dest = tmp_path / "a", tmp_path / "d"
    archives.mkdir()
    with tarfile.open(archives / "odd.tar", "w") as archive:
        add_tar_file(archive, "a:colon.txt", b"colon")  # not a drive letter on Linux
        add_tar_file(archive, "line\nbreak/ü.txt", b"nl")
        add_tar_file(archive, "dir/inner.txt", b"inner")
        add_tar_link(archive, "dir", "line\nbreak")  # points inside, but dir/ is a folder
        add_tar_file(archive, "dir/after.txt", b"after")
    result = unpack_on_host(LocalHost(), str(archives), dest=str(dest), parallel=1)
    assert (dest / "a:colon.txt").read_bytes() == b"colon"
    assert (dest / "line\nbreak" / "ü.txt").read_bytes() == b"nl"
    assert (dest / "dir").is_dir() and not (dest / "dir").is_symlink()
    assert (dest / "dir" / "after.txt").read_bytes() == b"after"
    assert [(f.entry, f.kind) for f in result.failures] == [("dir", UnpackFailureKind.REFUSED)]
    assert "replace a folder" in result.failures[0].reason
