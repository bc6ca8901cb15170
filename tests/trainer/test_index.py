"""The streamed index: exact values from synthetic and hand-written files (the Landmark Detection
variant, names with spaces, missing landmark slots, rows in other orders), the block parser
against the line parser, and the cache: keyed by the files' size and mtime, rebuilt when damaged,
shared by processes, placed in the user's cache where the data folder takes no file."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.trainer.conftest import REPO, trainer_env
from trainer import index_cache, layout
from trainer.annotations import _attribute_block, _attribute_line
from trainer.data import load_index
from trainer.errors import DatasetError
from trainer.synth import write_dataset

NAMES = ["img/Floral_Blouse/img_00000001.jpg", "img/Faded_Jeans/img_00000002.jpg", "img/Maxi_Dress/img_00000003.jpg"]


def _table(path: Path, header: str, rows: list[str], count: int | None = None, newline: str = "\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        fh.write(f"{len(rows) if count is None else count}{newline}{header}{newline}")
        fh.write("".join(row + newline for row in rows))


def _hand_written(root: Path, variation: bool, attr_rows: list[str] | None = None) -> Path:
    """Three images, one per clothes type, with the quirks of the real files."""
    _table(root / layout.CATEGORY_CLOTH, "category_name  category_type",
           ["Blouse                       1", "Jeans                        2", "Dress                        3"])
    # Attribute names with spaces (runs of them too); the type is the last token.
    _table(root / layout.ATTR_CLOTH, "attribute_name  attribute_type",
           ["floral                       1", "long sleeve                  3", "faux   leather               2",
            "a line                       3", "boho chic                    5"])
    _table(root / layout.CATEGORY_IMG, "image_name  category_label",
           [f"{NAMES[0]}   1", f"{NAMES[1]}   2", f"{NAMES[2]}   3"])
    # Runs of spaces, a tab, 0 (unknown), Windows line ends, a blank line.
    _table(root / layout.ATTR_IMG, "image_name  attribute_labels",
           attr_rows or [f"{NAMES[0]}                 1 -1  0 -1  1", f"{NAMES[1]}\t-1  1 -1 -1 -1", "",
                         f"{NAMES[2]}  -1 -1  1  1  0   "], count=3, newline="\r\n")
    v = "  1" if variation else ""
    _table(root / layout.LANDMARKS, "  ".join(layout.landmark_header(variation)), [
        f"{NAMES[0]}  1{v}  0 010 020  1 030 040  2 050 060  0 070 080  0 090 100  1 110 120",
        f"{NAMES[1]}  2{v}  0 011 021  0 031 041  1 051 061  2 071 081",
        f"{NAMES[2]}  3{v}  0 001 002  0 003 004  0 005 006  0 007 008  1 009 010  1 011 012  2 013 014  0 015 016",
    ])
    # Rows in another order than list_category_img.txt.
    _table(root / layout.BBOX, "image_name  x_1  y_1  x_2  y_2",
           [f"{NAMES[2]}  003 004 290 298", f"{NAMES[0]}  072 079 232 273", f"{NAMES[1]}  000 000 150 200"])
    _table(root / layout.PARTITION, "image_name  evaluation_status",
           [f"{NAMES[1]}  val", f"{NAMES[0]}  train", f"{NAMES[2]}  test"])
    return root


@pytest.mark.parametrize("variation", [False, True])
def test_hand_written_rows_are_read_exactly(tmp_path: Path, variation: bool):
    root = _hand_written(tmp_path / "data", variation)
    for status in ("built", "loaded"):
        index = load_index(root)
        assert index.cache_status == status and index.has_variation is variation
        assert index.attribute_names == ["floral", "long sleeve", "faux leather", "a line", "boho chic"]
        assert index.attribute_types.tolist() == [1, 3, 2, 3, 5]
        assert index.category_names == ["Blouse", "Jeans", "Dress"] and index.category_types == [1, 2, 3]
        assert [index.name(i) for i in range(3)] == NAMES
        assert index.splits == {"train": [0], "val": [1], "test": [2]}
        upper, lower, full = index.records
        assert (upper.category, upper.clothes_type, upper.bbox) == (0, 1, (72, 79, 232, 273))
        assert upper.attributes.tolist() == [1, -1, 0, -1, 1] and upper.attributes.dtype == np.int8
        assert lower.attributes.tolist() == [-1, 1, -1, -1, -1]
        assert full.attributes.tolist() == [-1, -1, 1, 1, 0]
        # Upper body: collars, sleeves, hems; no waistline slots (4, 5): invisible, at 0.
        assert upper.visibility.tolist() == [0, 1, 2, 0, -1, -1, 0, 1]
        assert upper.landmarks.tolist() == [[10, 20], [30, 40], [50, 60], [70, 80], [0, 0], [0, 0],
                                            [90, 100], [110, 120]]
        # Lower body: waistlines and hems only.
        assert lower.visibility.tolist() == [-1, -1, -1, -1, 0, 0, 1, 2]
        assert lower.landmarks[4:].tolist() == [[11, 21], [31, 41], [51, 61], [71, 81]]
        assert not lower.landmarks[:4].any()
        assert full.visibility.tolist() == [0, 0, 0, 0, 1, 1, 2, 0]
        assert full.landmarks[:, 0].tolist() == [1, 3, 5, 7, 9, 11, 13, 15]
        assert index.arrays.landmarks.dtype == np.int16 and index.arrays.attributes.dtype == np.int8


def test_missing_slots_are_invisible_even_where_the_box_starts_at_the_corner(tmp_path: Path):
    """The lower-body garment's box starts at (0, 0): slots it has no landmark for stay invisible
    (the reference code counted them as visible landmarks at the corner there)."""
    from PIL import Image

    from trainer.data import DeepFashionDataset

    root = _hand_written(tmp_path / "data", variation=False)
    for name in NAMES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (300, 300), (200, 180, 160)).save(root / name)
    item = DeepFashionDataset(load_index(root), "val", 64)[0]
    assert item["visible"].tolist() == [False, False, False, False, True, True, False, False]
    assert not item["landmarks"][:4].any()


def test_synthetic_dataset_streams_to_the_drawn_values_cached_or_not(tmp_path: Path):
    garments = write_dataset(tmp_path / "data", images=30, seed=4, categories=10, variation_type=True)
    built = load_index(tmp_path / "data")
    mapped = load_index(tmp_path / "data")
    parsed = load_index(tmp_path / "data", cache=False)
    assert (built.cache_status, mapped.cache_status, parsed.cache_status) == ("built", "loaded", "in memory")
    assert parsed.cache_path is None
    for index in (built, mapped, parsed):
        for i, g in enumerate(garments):
            rec = index.record(i)
            assert rec.name == g.name and rec.category == g.category_label - 1 and rec.bbox == g.bbox
            assert np.flatnonzero(rec.attributes == 1).tolist() == list(g.attributes)
            assert (rec.attributes != 0).all()
            slots = layout.SLOTS_BY_CLOTHES_TYPE[g.clothes_type]
            assert [(int(rec.visibility[s]), *map(int, rec.landmarks[s])) for s in slots] == list(g.landmarks)
        assert sorted(sum(index.splits.values(), [])) == list(range(30))


def _rests(rows: list[str]) -> list[bytes]:
    return [row.encode() + b"\n" for row in rows]


def test_block_parser_agrees_with_the_line_parser():
    rng = np.random.default_rng(0)
    values = rng.choice([-1, 0, 1], size=(40, 7))
    rows = [(" " * int(rng.integers(1, 4))).join(str(v) for v in row) + " " * int(rng.integers(0, 3)) for row in values]
    rows[3] = rows[3].replace(" ", "\t", 2)
    fast = _attribute_block(_rests(rows), 7)
    assert fast is not None and fast.dtype == np.int8
    slow = np.stack([_attribute_line(rest, 7, 3 + i) for i, rest in enumerate(_rests(rows))])
    assert np.array_equal(fast, values) and np.array_equal(slow, values)


@pytest.mark.parametrize(("row", "message"), [
    ("1 -1 11 0", "expected the image name and 5 values, found 4"),  # two values glued
    ("1 -1 1-1 0 1", "attribute labels must be -1, 0 or 1"),
    ("1 -1 2 0 1", "attribute labels must be -1, 0 or 1"),
    ("1 -1 -0 0 1 1", "expected the image name and 5 values, found 6"),
    ("1 - 1 0 1", "attribute labels must be -1, 0 or 1"),
    ("1 -1 --1 0 1", "attribute labels must be -1, 0 or 1"),
    ("1 -1 x 0 1", "attribute labels must be -1, 0 or 1"),
    ("1 -1 0 1", "expected the image name and 5 values, found 4"),
    ("", "expected the image name and 5 values, found 0"),
])
def test_a_malformed_attribute_row_names_its_line(tmp_path: Path, row: str, message: str):
    good = [f"{NAMES[0]}  1 -1 0 -1 1", f"{NAMES[1]}  -1 1 -1 -1 -1", f"{NAMES[2]}  -1 -1 1 1 0"]
    assert _attribute_block(_rests([row]), 5) is None
    rows = good[:1] + [f"{NAMES[1]}  {row}"] + good[2:]
    root = _hand_written(tmp_path / "data", variation=False, attr_rows=rows)
    with pytest.raises(DatasetError) as err:
        load_index(root)
    assert str(err.value) == f"{layout.ATTR_IMG}, line 4: {message}"


def _set_line(path: Path, line_no: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[line_no - 1] = text
    path.write_text("\n".join(lines) + "\n")


def test_cache_is_rebuilt_when_a_file_changes_size_or_mtime(tmp_path: Path):
    root = tmp_path / "data"
    write_dataset(root, images=12, seed=1)
    first = load_index(root)
    assert first.cache_status == "built" and first.cache_path == root / index_cache.CACHE_NAME
    assert load_index(root).cache_status == "loaded"

    # Same size, new content and mtime: a box coordinate changes by one digit.
    bbox = root / layout.BBOX
    line = bbox.read_text().splitlines()[2]
    name, x1 = line.split()[:2]
    new_x1 = f"{int(x1) - 1 if int(x1) > 0 else int(x1) + 1:03d}"
    at = line.index(x1, len(name))
    original_size = bbox.stat().st_size
    _set_line(bbox, 3, line[:at] + new_x1 + line[at + len(x1):])
    os.utime(bbox, ns=(bbox.stat().st_atime_ns, bbox.stat().st_mtime_ns + 1_000_000))
    assert bbox.stat().st_size == original_size
    changed = load_index(root)
    row = [changed.name(i) for i in range(len(changed))].index(name)
    assert changed.cache_status == "built" and changed.record(row).bbox[0] == int(new_x1)

    # Another size: one image moves from its split to another.
    partition = root / layout.PARTITION
    lines = partition.read_text().splitlines()
    moved_name, old_split = lines[2].split()
    new_split = "test" if old_split != "test" else "val"
    _set_line(partition, 3, f"{moved_name}  {new_split}")
    moved = load_index(root)
    row = [moved.name(i) for i in range(len(moved))].index(moved_name)
    assert moved.cache_status == "built" and row in moved.splits[new_split]

    # Only the mtime changes (a file copied or touched): rebuilt all the same.
    os.utime(root / layout.ATTR_IMG)
    assert load_index(root).cache_status == "built"
    assert load_index(root).cache_status == "loaded"


@pytest.mark.parametrize("damage", ["truncated", "one byte short", "garbage", "empty", "bad header"])
def test_a_damaged_cache_is_rebuilt(tmp_path: Path, damage: str):
    root = tmp_path / "data"
    write_dataset(root, images=10, seed=2)
    reference = load_index(root, cache=False)
    cache = load_index(root).cache_path
    data = cache.read_bytes()
    if damage == "truncated":
        cache.write_bytes(data[: len(data) // 2])
    elif damage == "one byte short":
        cache.write_bytes(data[:-1])
    elif damage == "garbage":
        cache.write_bytes(os.urandom(len(data)))
    elif damage == "empty":
        cache.write_bytes(b"")
    else:  # the JSON header at the end is cut and padded back to the same size
        cache.write_bytes(data[:-20] + b"}" * 20)
    index = load_index(root)
    assert index.cache_status == "built"
    for name in ("attributes", "landmarks", "visibility", "bbox", "category", "split"):
        assert np.array_equal(getattr(index.arrays, name), getattr(reference.arrays, name)), name
    assert load_index(root).cache_status == "loaded"


def test_the_user_cache_serves_when_the_data_folder_takes_no_cache(tmp_path: Path, monkeypatch):
    root = tmp_path / "data"
    write_dataset(root, images=8, seed=3)
    (root / index_cache.CACHE_NAME).mkdir()  # the cache's name is taken: no file can be put there
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    index = load_index(root)
    assert index.cache_status == "built"
    assert index.cache_path.parent == tmp_path / "user-cache" / "trainer"
    again = load_index(root)
    assert again.cache_status == "loaded" and again.cache_path == index.cache_path
    assert not list(root.glob(".*.tmp"))


_LOAD = """
import json, sys
from trainer.data import load_index
index = load_index(sys.argv[1])
print(json.dumps({"status": index.cache_status, "build": index.build_id, "rows": len(index)}))
"""


@pytest.mark.slow
def test_processes_started_together_share_one_build(tmp_path: Path):
    root = tmp_path / "data"
    write_dataset(root, images=20, seed=6)
    procs = [subprocess.Popen([sys.executable, "-c", _LOAD, str(root)], cwd=REPO, env=trainer_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    assert sorted(r["status"] for r in results) == ["built", "loaded", "loaded"]
    assert len({r["build"] for r in results}) == 1 and {r["rows"] for r in results} == {20}


def test_the_index_travels_to_workers_as_a_reference_to_its_cache(tiny_dataset: Path):
    index = load_index(tiny_dataset)
    assert index.cache_path is not None
    payload = pickle.dumps(index)
    assert len(payload) < 4096  # no arrays inside: a spawned worker maps the same file
    copy = pickle.loads(payload)
    assert copy.build_id == index.build_id and copy.splits == index.splits
    assert np.array_equal(copy.arrays.attributes, index.arrays.attributes)
