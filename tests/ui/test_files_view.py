"""The Files view driven with Pilot on real files: counts checked against ``os.walk``,
comparisons of folders that really differ, an S3 prefix on moto's server, an unpack of zips
built here (one corrupt), and the transfer queue copying a real folder.

Services are built as the CLI builds them (``build_services`` against moto's server, "local"
being this machine).
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from console.app import known_binding_ids, make_app
from console.errors import UnpackError
from console.models import TransferState, UnpackFailureKind
from console.ui.files.compare_panel import ComparePanel
from console.ui.files.count_panel import CountPanel
from console.ui.files.transfer_panel import TransferPanel
from console.ui.files.unpack_panel import UnpackPanel
from console.ui.files.view import FilesView
from tests.ui.conftest import cell_texts, notifications, query_shown, wait_until

pytestmark = pytest.mark.timeout(120)

SIZE = (140, 40)


# --- real trees and their truth --------------------------------------------------------


def make_tree(root: Path) -> None:
    """A small dataset folder: nested folders, several extensions, odd names, a symlink."""
    (root / "img" / "train").mkdir(parents=True)
    (root / "img" / "val").mkdir()
    (root / "anno").mkdir()
    for index in range(7):
        (root / "img" / "train" / f"{index:03d}.jpg").write_bytes(b"j" * (100 + index))
    for index in range(3):
        (root / "img" / "val" / f"v {index}.JPG").write_bytes(b"J" * (50 * index))
    (root / "anno" / "list_category.txt").write_text("50\nimage category\n")
    (root / "anno" / "list_attr.txt").write_text("1000\n")
    (root / "anno" / "README").write_text("no extension\n")
    (root / "img" / "odd\nname.png").write_bytes(b"p" * 33)
    os.symlink(root / "anno" / "README", root / "readme-link")


def walk_truth(root: Path) -> dict:
    """What os.walk says lies under root (symlinks counted, not followed)."""
    files = dirs = symlinks = size = 0
    by_ext: Counter[str] = Counter()
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames:
            if os.path.islink(os.path.join(directory, name)):
                symlinks += 1
            else:
                dirs += 1
        for name in filenames:
            path = os.path.join(directory, name)
            if os.path.islink(path):
                symlinks += 1
                continue
            files += 1
            size += os.path.getsize(path)
            by_ext[os.path.splitext(name)[1].lower()] += 1
    return {"files": files, "dirs": dirs, "symlinks": symlinks, "bytes": size, "by_ext": by_ext}


# --- driving the view ------------------------------------------------------------------


@pytest.fixture
def files_app(moto_settings, make_services):
    """The app as the CLI builds it, against moto's server; "local" is this machine."""

    def build(**overrides):
        settings = moto_settings.with_overrides(**overrides) if overrides else moto_settings
        return make_app(settings, make_services(settings))

    return build


async def open_files(pilot) -> FilesView:
    await pilot.press("5")
    view = await query_shown(pilot, FilesView)
    await wait_until(pilot, lambda: view.display and view.is_mounted)
    return view


async def type_into(pilot, selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector)
    field.focus()
    field.value = text
    await pilot.pause()


def table_of(app, selector: str) -> list[list[str]]:
    return cell_texts(app.screen.query_one(selector))


# --- counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "local:"], ids=["this-machine", "local-host"])
async def test_count_of_a_tree_equals_os_walk(tmp_path, files_app, prefix):
    root = tmp_path / "dataset"
    root.mkdir()
    make_tree(root)
    truth = walk_truth(root)
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        panel = app.screen.query_one(CountPanel)
        await type_into(pilot, "#count-location", f"{prefix}{root}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_count is not None or panel.last_failure)
        assert panel.last_failure is None
        count = panel.last_count
        assert (count.files, count.dirs, count.symlinks, count.bytes) == (
            truth["files"],
            truth["dirs"],
            truth["symlinks"],
            truth["bytes"],
        )
        # the tables show those same figures
        [totals] = table_of(app, "#count-totals")
        assert totals[1:4] == [f"{truth['files']:,}", f"{truth['dirs']:,}", f"{truth['symlinks']}"]
        shown = {row[0]: int(row[1]) for row in table_of(app, "#count-extensions")}
        expected = {(ext or "(none)"): n for ext, n in truth["by_ext"].items()}
        assert shown == expected
        status = str(app.screen.query_one("#count-status").render())
        assert f"{truth['files']:,} files" in status and "(recursive)" in status


async def test_non_recursive_count_sees_only_the_top_folder(tmp_path, files_app):
    root = tmp_path / "top"
    root.mkdir()
    make_tree(root)
    top = list(os.scandir(root))
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        panel = app.screen.query_one(CountPanel)
        await pilot.click("#count-recursive")
        assert app.screen.query_one("#count-recursive").value is False
        await type_into(pilot, "#count-location", str(root))
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: panel.last_count is not None)
        count = panel.last_count
        assert count.recursive is False
        assert count.dirs == sum(1 for e in top if e.is_dir(follow_symlinks=False))
        assert count.files == sum(1 for e in top if e.is_file(follow_symlinks=False))
        assert count.symlinks == sum(1 for e in top if e.is_symlink())


async def test_bad_locations_are_reported_without_ending_the_app(tmp_path, files_app):
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        panel = app.screen.query_one(CountPanel)
        await type_into(pilot, "#count-location", "s3://")
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_failure is not None)
        assert "names no bucket" in panel.last_failure.message
        missing = tmp_path / "does-not-exist"
        await type_into(pilot, "#count-location", str(missing))
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: panel.last_failure is not None and str(missing) in panel.last_failure.message,
        )
        assert panel.last_count is None
        assert any(
            n.severity == "error" and "does-not-exist" in n.message for n in notifications(app)
        )
        status = app.screen.query_one("#count-status")
        assert status.has_class("error") and "does-not-exist" in str(status.render())
        assert app.is_running


async def test_count_of_an_s3_prefix(s3, files_app):
    s3.create_bucket(Bucket="fashion-data")
    keys = {
        "deepfashion/img/a/1.jpg": 11,
        "deepfashion/img/a/2.jpg": 12,
        "deepfashion/img/b/3.jpg": 13,
        "deepfashion/anno/list_bbox.txt": 20,
        "deepfashion/anno/list_landmarks.txt": 21,
        "other/ignored.jpg": 5,  # outside the prefix
    }
    for key, size in keys.items():
        s3.put_object(Bucket="fashion-data", Key=key, Body=b"x" * size)
    inside = {k: v for k, v in keys.items() if k.startswith("deepfashion/")}
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        panel = app.screen.query_one(CountPanel)
        await type_into(pilot, "#count-location", "s3://fashion-data/deepfashion")
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_count is not None or panel.last_failure)
        assert panel.last_failure is None
        count = panel.last_count
        assert count.files == len(inside)
        assert count.bytes == sum(inside.values())
        assert count.dirs == 4  # img, img/a, img/b, anno
        shown = {row[0]: int(row[1]) for row in table_of(app, "#count-extensions")}
        assert shown == {".jpg": 3, ".txt": 2}


# --- compare -----------------------------------------------------------------------------


def copy_tree(source: Path, target: Path, *, leave_out: set[str], extra: dict[str, bytes]) -> None:
    for directory, _dirs, names in os.walk(source):
        relative = Path(directory).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in names:
            path = Path(directory) / name
            if str(relative / name) in leave_out or path.is_symlink():
                continue
            (target / relative / name).write_bytes(path.read_bytes())
    for name, data in extra.items():
        (target / name).write_bytes(data)


async def test_compare_shows_missing_files_per_extension(tmp_path, files_app):
    reference, arrived = tmp_path / "local-copy", tmp_path / "after-unpack"
    reference.mkdir()
    make_tree(reference)
    left_out = {"img/train/001.jpg", "img/train/004.jpg", "anno/list_attr.txt"}
    copy_tree(reference, arrived, leave_out=left_out, extra={"stray.png": b"png"})
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("m")  # the Compare panel, by its key
        view = app.screen.query_one(FilesView)
        assert view.panel_id == "files-compare"
        panel = app.screen.query_one(ComparePanel)
        await type_into(pilot, "#compare-a", str(reference))
        await type_into(pilot, "#compare-b", f"local:{arrived}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_comparison is not None or panel.last_failure)
        assert panel.last_failure is None
        comparison = panel.last_comparison
        assert not comparison.matches
        rows = {row[0]: row for row in table_of(app, "#compare-table")}
        # columns: EXTENSION, [1] FILES, [2] FILES, [2] MISSING, [2] EXTRA
        assert rows[".jpg"][1:] == ["10", "8", "2", "0"]  # .JPG counts as .jpg
        assert rows[".txt"][1:] == ["2", "1", "1", "0"]
        assert rows[".png"][1:] == ["1", "2", "0", "1"]
        assert rows["(none)"][3:] == ["0", "0"]
        summary = app.screen.query_one("#compare-summary")
        assert summary.has_class("differs")
        text = str(summary.render())
        assert "3 missing (.jpg 2, .txt 1)" in text and "1 extra (.png 1)" in text
        # the missing counts are highlighted, a zero is not
        table = app.screen.query_one("#compare-table")
        jpg_missing = table.get_row(".jpg")[3]
        assert "red" in str(jpg_missing.style)
        assert "red" not in str(table.get_row("(none)")[3].style)


@pytest.mark.slow
async def test_compare_three_by_path_lists_the_missing_files(tmp_path, files_app):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    a.mkdir()
    make_tree(a)
    copy_tree(a, b, leave_out={"img/val/v 1.JPG"}, extra={})
    copy_tree(a, c, leave_out=set(), extra={})
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("m")
        panel = app.screen.query_one(ComparePanel)
        await pilot.click("#compare-by-path")
        for selector, path in (("#compare-a", a), ("#compare-b", b), ("#compare-c", c)):
            await type_into(pilot, selector, str(path))
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: panel.last_comparison is not None or panel.last_failure)
        assert panel.last_failure is None
        comparison = panel.last_comparison
        assert comparison.by_path
        assert comparison.missing_paths[1] == ("img/val/v 1.JPG",)
        assert comparison.missing_paths[2] == ()
        rows = {row[0]: row for row in table_of(app, "#compare-table")}
        # [2] misses one .jpg; [3] misses nothing
        assert rows[".jpg"][3] == "1" and rows[".jpg"][6] == "0"
        listed = str(app.screen.query_one("#compare-paths").render())
        assert "1 missing from [2]: img/val/v 1.JPG" in listed


async def test_compare_needs_two_locations(files_app):
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("m")
        panel = app.screen.query_one(ComparePanel)
        await type_into(pilot, "#compare-a", "/tmp")
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_failure is not None)
        assert "at least two locations" in panel.last_failure.message


def make_nested(root: Path, layout: dict[str, int]) -> None:
    """Files only inside folders: ``{"img/train": 3}`` puts three .jpg in img/train."""
    for folder, files in layout.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for index in range(files):
            (root / folder / f"{index}.jpg").write_bytes(b"j")


THREE_TREES = (
    {"img/train": 4, "anno": 0},  # [1]: 2 folders at the top, 4 files below
    {"img/train": 2, "anno": 0},  # [2]: the same top level, 2 files fewer below
    {"img/train": 4, "anno": 0, "extra": 1},  # [3]: one folder more at the top
)


async def compare_three(pilot, panel, roots) -> None:
    for selector, root in zip(("#compare-a", "#compare-b", "#compare-c"), roots, strict=True):
        await type_into(pilot, selector, str(root))
    await pilot.press("enter")
    await wait_until(pilot, lambda: panel.last_comparison is not None or panel.last_failure)
    assert panel.last_failure is None


async def test_three_different_trees_are_compared_recursively_by_default(tmp_path, files_app):
    roots = [tmp_path / name for name in "abc"]
    for root, layout in zip(roots, THREE_TREES, strict=True):
        make_nested(root, layout)
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("m")
        panel = app.screen.query_one(ComparePanel)
        assert panel.query_one("#compare-recursive").value is True
        await compare_three(pilot, panel, roots)
        comparison = panel.last_comparison
        assert not comparison.matches
        assert all(count.recursive for count in comparison.counts)
        rows = {row[0]: row for row in table_of(app, "#compare-table")}
        # [2] lacks 2 of the reference's 4 .jpg, [3] has 1 beyond them
        assert rows[".jpg"][1:] == ["4", "2", "2", "0", "5", "0", "1"]
        assert "(folders)" not in rows  # a recursive compare compares files
        summary = str(app.screen.query_one("#compare-summary").render())
        assert "Same files" not in summary and "2 missing (.jpg 2)" in summary


async def test_a_top_level_compare_also_compares_the_folders_it_sees(tmp_path, files_app):
    roots = [tmp_path / name for name in "abc"]
    for root, layout in zip(roots, THREE_TREES, strict=True):
        make_nested(root, layout)
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("m")
        panel = app.screen.query_one(ComparePanel)
        await pilot.click("#compare-recursive")
        await wait_until(pilot, lambda: panel.query_one("#compare-recursive").value is False)
        await compare_three(pilot, panel, roots)
        comparison = panel.last_comparison
        assert not any(count.recursive for count in comparison.counts)
        # no file lies at any top level: only the folders tell the trees apart
        assert all(count.files == 0 for count in comparison.counts)
        assert not comparison.matches
        rows = {row[0]: row for row in table_of(app, "#compare-table")}
        assert rows["(folders)"][1:] == ["2", "2", "0", "0", "3", "0", "1"]
        summary = str(app.screen.query_one("#compare-summary").render())
        assert "[3]" in summary and "1 extra ((folders) 1)" in summary

        # [1] against [2]: the same two folders at the top; the answer says what it did
        # not look at instead of "Same files everywhere"
        await type_into(pilot, "#compare-c", "")
        panel.start()
        # the old answer is gone the moment the new compare starts counting
        assert panel.last_comparison is None
        assert str(app.screen.query_one("#compare-summary").render()) == ""
        assert app.screen.query_one("#compare-table").row_count == 0
        await wait_until(pilot, lambda: panel.last_comparison is not None or panel.last_failure)
        assert panel.last_comparison.matches
        summary = str(app.screen.query_one("#compare-summary").render())
        assert "Same files everywhere" not in summary
        assert "top level" in summary and "not looked into" in summary


# --- unpack ------------------------------------------------------------------------------


def make_archives(folder: Path, good: int) -> dict[str, bytes]:
    """``good`` zips of two small files each and one corrupt zip; returns what they hold."""
    folder.mkdir()
    contents: dict[str, bytes] = {}
    for index in range(good):
        with zipfile.ZipFile(folder / f"part{index:02d}.zip", "w") as archive:
            for name in (f"img_{index:02d}/a.jpg", f"img_{index:02d}/b.jpg"):
                data = hashlib.sha256(name.encode()).digest() * 40
                archive.writestr(name, data)
                contents[name] = data
    (folder / "broken.zip").write_bytes(b"PK\x03\x04 this is not really a zip file" * 3)
    return contents


async def test_unpack_reaches_done_and_lists_the_corrupt_archive(tmp_path, files_app):
    folder = tmp_path / "archives"
    contents = make_archives(folder, good=6)
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("u")
        panel = app.screen.query_one(UnpackPanel)
        await type_into(pilot, "#unpack-parallel", "2")
        await type_into(pilot, "#unpack-location", f"local:{folder}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_result is not None or panel.last_failure)
        assert panel.last_failure is None
        result = panel.last_result
        assert (result.archives_total, result.archives_ok, result.parallel) == (7, 6, 2)
        bar = app.screen.query_one("#unpack-bar")
        assert bar.progress == bar.total == 7
        [failure] = result.failures
        assert failure.kind is UnpackFailureKind.CORRUPT and "broken.zip" in failure.archive
        [row] = table_of(app, "#unpack-failures")
        assert "broken.zip" in row[0] and row[1] == "corrupt" and row[3]
        for name, data in contents.items():
            assert (folder / name).read_bytes() == data
        assert "6 of 7 archives" in str(app.screen.query_one("#unpack-status").render())


async def test_unpack_rejects_bad_parallelism_and_read_only(tmp_path, files_app):
    folder = tmp_path / "archives"
    make_archives(folder, good=1)
    app = files_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("u")
        panel = app.screen.query_one(UnpackPanel)
        await type_into(pilot, "#unpack-parallel", "zero")
        await type_into(pilot, "#unpack-location", f"local:{folder}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_failure is not None)
        assert "whole number" in panel.last_failure.message
        await type_into(pilot, "#unpack-parallel", "")
        await type_into(pilot, "#unpack-location", f"local:{folder}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(n.title == "Read-only" for n in notifications(app)))
        assert not panel.running and panel.last_result is None
        assert not (folder / "img_00").exists()  # nothing was unpacked


async def test_unpack_into_another_host_is_refused_and_its_own_host_accepted(
    tmp_path, files_app, monkeypatch
):
    folder = tmp_path / "archives"
    contents = make_archives(folder, good=1)
    monkeypatch.chdir(tmp_path)  # where a literal "fashion-train:~" folder would appear
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("u")
        panel = app.screen.query_one(UnpackPanel)
        await type_into(pilot, "#unpack-dest", "fashion-train:~")
        await type_into(pilot, "#unpack-location", f"local:{folder}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_failure is not None)
        message = panel.last_failure.message
        assert "host 'fashion-train'" in message and "runs on 'local'" in message
        assert not panel.running and panel.last_result is None
        assert not (tmp_path / "fashion-train:~").exists()
        assert not (folder / "img_00").exists()  # nothing was unpacked
        # the CLI's way in (the services' files backend) refuses it alike
        with pytest.raises(UnpackError, match="host 'fashion-train'"):
            app.services.files.unpack("local", str(folder), dest="fashion-train:~")
        assert not (tmp_path / "fashion-train:~").exists()

        # HOST:path naming the archives' own host is that host's path
        out = tmp_path / "out"
        await type_into(pilot, "#unpack-dest", f"local:{out}")
        await type_into(pilot, "#unpack-location", f"local:{folder}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_result is not None or panel.last_failure)
        assert panel.last_failure is None
        for name, data in contents.items():
            assert (out / name).read_bytes() == data


# --- transfers ---------------------------------------------------------------------------


async def test_transfer_copies_a_folder_and_shows_it_done(tmp_path, files_app):
    source = tmp_path / "to-send"
    source.mkdir()
    make_tree(source)
    os.unlink(source / "readme-link")
    (source / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    target = tmp_path / "received"
    target.mkdir()
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("t")
        panel = app.screen.query_one(TransferPanel)
        assert "No transfers yet" in str(app.screen.query_one("#transfer-status").render())
        await type_into(pilot, "#transfer-source", str(source))
        await type_into(pilot, "#transfer-destination", f"local:{target}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(panel.handles) == 1)
        handle = panel.handles[0]
        await wait_until(pilot, lambda: handle.future.done(), within=60)
        result = handle.future.result()
        assert result.state is TransferState.DONE, result.error
        await wait_until(pilot, lambda: "done" in table_of(app, "#transfer-queue")[0][3])
        [row] = table_of(app, "#transfer-queue")
        assert row[4].strip().endswith("100%")
        for path in source.rglob("*"):
            if path.is_file():
                copied = target / "to-send" / path.relative_to(source)
                assert copied.read_bytes() == path.read_bytes()
        bar = app.screen.query_one("#transfer-overall-bar")
        assert (
            bar.total
            == bar.progress
            == sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
        )
        # Escape leaves the field; the finished transfer can be neither paused nor cancelled
        await pilot.press("escape")
        assert app.focused is not app.screen.query_one("#transfer-source")
        app.screen.query_one("#transfer-queue").focus()
        await pilot.press("p")
        await wait_until(
            pilot, lambda: any("nothing to pause" in n.message for n in notifications(app))
        )
        await pilot.press("x")
        await wait_until(
            pilot, lambda: any("Nothing is running" in n.message for n in notifications(app))
        )
        assert handle.future.result().state is TransferState.DONE


async def test_transfer_lists_refused_names_as_text_and_copies_the_rest(tmp_path, s3, files_app):
    s3.create_bucket(Bucket="hostile-data")
    s3.put_object(Bucket="hostile-data", Key="data/../../escaped.txt", Body=b"canary")
    osc = "../[b]\x1b]52;c;Y2FuYXJ5\x07[/b]"
    s3.put_object(Bucket="hostile-data", Key=f"data/{osc}", Body=b"canary")
    s3.put_object(Bucket="hostile-data", Key="data/img/ok.jpg", Body=b"fine")
    target = tmp_path / "outside" / "received"
    target.mkdir(parents=True)
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("t")
        panel = app.screen.query_one(TransferPanel)
        await type_into(pilot, "#transfer-source", "s3://hostile-data/data")
        await type_into(pilot, "#transfer-destination", str(target))
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(panel.handles) == 1)
        await wait_until(pilot, lambda: panel.handles[0].future.done(), within=60)
        result = panel.handles[0].future.result()
        assert result.state is TransferState.DONE, result.error
        await wait_until(pilot, lambda: "2 refused" in table_of(app, "#transfer-queue")[0][3])
        box = app.screen.query_one("#transfer-refused")
        await wait_until(pilot, lambda: box.display)
        shown = str(box.render())
        assert "2 name(s) refused" in shown
        assert "../../escaped.txt" in shown
        # the name is shown as it is written: brackets kept, the OSC 52 write as escapes
        assert "../[b]\\x1b]52;c;Y2FuYXJ5\\x07[/b]" in shown
        assert "\x1b" not in shown and "\x07" not in shown
        assert "'..' segment leads outside the destination" in shown
        assert "2 name(s) refused" in str(app.screen.query_one("#transfer-status").render())
    assert (target / "data" / "img" / "ok.jpg").read_bytes() == b"fine"
    assert not (tmp_path / "escaped.txt").exists()
    assert sorted(os.listdir(tmp_path / "outside")) == ["received"]


async def test_transfer_needs_both_sides(files_app):
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("a")
        panel = app.screen.query_one(TransferPanel)
        await type_into(pilot, "#transfer-source", "/tmp/x")
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_failure is not None)
        assert "DST is empty" in panel.last_failure.message
        assert panel.handles == []


# --- keys ----------------------------------------------------------------------------------


def test_every_files_key_has_a_binding_id_the_keymap_knows():
    ids = {binding.id for binding in FilesView.BINDINGS}
    assert None not in ids
    assert ids <= known_binding_ids()
    assert {"files.count", "files.compare", "files.unpack", "files.start", "files.cancel"} <= ids


@pytest.mark.slow
async def test_a_big_count_streams_its_progress_into_the_view(tmp_path, files_app):
    root = tmp_path / "many"
    for part in range(3):
        folder = root / f"part{part}"
        folder.mkdir(parents=True)
        for index in range(3000):
            (folder / f"{index}.jpg").write_bytes(b"x")
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        panel = app.screen.query_one(CountPanel)
        # a progress line after every 4096 entries, however fast the walk
        panel.progress_every = 0.0
        await type_into(pilot, "#count-location", f"local:{root}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_count is not None or panel.last_failure)
        assert panel.last_failure is None
        assert panel.last_count.files == 9000
        assert panel.progress_drawn >= 1
        partial = panel.last_progress
        assert 4096 <= partial.files + partial.dirs < 9003
        assert partial.bytes == partial.files  # one byte per file, so far


async def test_compare_a_local_folder_with_its_upload_to_s3(tmp_path, s3, files_app):
    local = tmp_path / "dataset"
    local.mkdir()
    make_tree(local)
    (local / "img" / "odd\nname.png").unlink()  # a key with a newline: not every S3 takes it
    s3.create_bucket(Bucket="uploads")
    uploaded = 0
    for path in sorted(local.rglob("*")):
        relative = path.relative_to(local).as_posix()
        if path.is_file() and not path.is_symlink() and relative != "img/train/003.jpg":
            s3.put_object(Bucket="uploads", Key=f"ds/{relative}", Body=path.read_bytes())
            uploaded += 1
    app = files_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_files(pilot)
        await pilot.press("m")
        panel = app.screen.query_one(ComparePanel)
        await type_into(pilot, "#compare-a", str(local))
        await type_into(pilot, "#compare-b", "s3://uploads/ds")
        await pilot.press("enter")
        await wait_until(pilot, lambda: panel.last_comparison is not None or panel.last_failure)
        assert panel.last_failure is None
        counts = panel.last_comparison.counts
        assert counts[1].files == uploaded
        rows = {row[0]: row for row in table_of(app, "#compare-table")}
        assert rows[".jpg"][3:] == ["1", "0"]  # the one left out
        assert all(row[3] == "0" for ext, row in rows.items() if ext != ".jpg")
