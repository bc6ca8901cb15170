"""synth writes the benchmark layout exactly; data reads it (and the real variants) back."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from trainer import layout
from trainer.data import DeepFashionDataset, load_index
from trainer.errors import DatasetError
from trainer.synth import write_dataset


def test_synth_is_deterministic_and_in_the_benchmark_layout(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_dataset(a, images=12, seed=7)
    write_dataset(b, images=12, seed=7)
    for rel in (layout.CATEGORY_CLOTH, layout.CATEGORY_IMG, layout.ATTR_CLOTH, layout.ATTR_IMG,
                layout.LANDMARKS, layout.BBOX, layout.PARTITION):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    names = [line.split()[0] for line in (a / layout.CATEGORY_IMG).read_text().splitlines()[2:]]
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes()
        assert name.startswith("img/") and name.endswith(".jpg")
    lines = (a / layout.CATEGORY_CLOTH).read_text().splitlines()
    assert lines[0] == "50" and lines[1] == "category_name  category_type"
    assert lines[2].split() == ["Anorak", "1"]
    attr = (a / layout.ATTR_IMG).read_text().splitlines()
    assert attr[0] == "12" and attr[1] == "image_name  attribute_labels"
    assert len(attr[2].split()) == 1001 and set(attr[2].split()[1:]) <= {"-1", "1"}
    assert (a / layout.BBOX).read_text().splitlines()[1] == "image_name  x_1  y_1  x_2  y_2"
    from PIL import Image

    with Image.open(a / names[0]) as img:
        assert max(img.size) == 300 and img.mode == "RGB"


def test_reader_maps_landmarks_into_network_slots(tmp_path: Path):
    garments = write_dataset(tmp_path, images=30, seed=2, categories=9)
    index = load_index(tmp_path)
    assert index.num_categories == 50 and index.num_attributes == 1000
    assert sorted(sum(index.splits.values(), [])) == list(range(30))
    by_name = {r.name: r for r in index.records}
    seen_types = set()
    for g in garments:
        rec = by_name[g.name]
        seen_types.add(g.clothes_type)
        slots = layout.SLOTS_BY_CLOTHES_TYPE[g.clothes_type]
        assert rec.category == g.category_label - 1
        assert rec.bbox == g.bbox
        assert sorted(np.flatnonzero(rec.attributes == 1).tolist()) == list(g.attributes)
        for slot, (vis, x, y) in zip(slots, g.landmarks, strict=True):
            assert rec.visibility[slot] == vis and tuple(rec.landmarks[slot]) == (x, y)
        unused = [s for s in range(8) if s not in slots]
        assert all(rec.visibility[s] == -1 for s in unused)
    assert seen_types == {1, 2, 3}


def test_variation_type_column_is_accepted(tmp_path: Path):
    garments = write_dataset(tmp_path, images=6, seed=1, variation_type=True)
    header = (tmp_path / layout.LANDMARKS).read_text().splitlines()[1].split()
    assert header[:3] == ["image_name", "clothes_type", "variation_type"]
    index = load_index(tmp_path)
    assert [r.clothes_type for r in index.records] == [g.clothes_type for g in garments]


def test_dataset_item_is_cropped_resized_normalised(tiny_dataset: Path):
    index = load_index(tiny_dataset)
    ds = DeepFashionDataset(index, "train", 64)
    item = ds[0]
    assert item["image"].shape == (3, 64, 64)
    assert -2.2 < float(item["image"].min()) and float(item["image"].max()) < 2.7  # ImageNet-normalised
    rec = index.records[index.splits["train"][0]]
    x1, y1, x2, y2 = rec.bbox
    slot = int(np.flatnonzero(rec.visibility == 0)[0])
    u = (rec.landmarks[slot][0] - x1) / (x2 - x1)
    assert abs(float(item["landmarks"][slot][0]) - u) < 1e-6
    assert bool(item["visible"][slot])
    assert not item["visible"][rec.visibility != 0].any()
    flipped = DeepFashionDataset(index, "train", 64, augment=True)
    assert flipped[0]["image"].shape == (3, 64, 64)


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _edit(path: Path, line_no: int, new: str) -> None:
    lines = path.read_text().splitlines()
    lines[line_no - 1] = new
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(("rel", "line", "replacement", "message"), [
    (layout.BBOX, 4, "img/x.jpg 1 2 3", "expected the image name and 4 values"),
    (layout.BBOX, 3, None, "must be an integer"),
    (layout.LANDMARKS, 5, None, "landmark triplets"),
    (layout.CATEGORY_IMG, 2, "image_name  label", "header must be"),
    (layout.ATTR_IMG, 1, "41", "line 1 says 41 rows"),
    (layout.PARTITION, 6, None, "evaluation_status must be"),
])
def test_malformed_file_error_names_file_and_line(tiny_dataset: Path, tmp_path: Path, rel, line, replacement, message):
    root = _copy(tiny_dataset, tmp_path / "ds")
    path = root / rel
    original = path.read_text().splitlines()[line - 1]
    if replacement is None:
        tokens = original.split()
        if rel == layout.BBOX:
            replacement = " ".join(tokens[:2] + ["x7"] + tokens[3:])
        elif rel == layout.LANDMARKS:
            replacement = " ".join(tokens[:-3])  # one triplet short
        else:
            replacement = tokens[0] + " training"
    _edit(path, line, replacement)
    with pytest.raises(DatasetError) as err:
        load_index(root)
    assert f"{rel}, line {line}" in str(err.value)
    assert message in str(err.value)


def test_missing_file_is_named(tiny_dataset: Path, tmp_path: Path):
    root = _copy(tiny_dataset, tmp_path / "ds")
    (root / layout.PARTITION).unlink()
    with pytest.raises(DatasetError, match="Eval/list_eval_partition.txt: missing"):
        load_index(root)


def test_image_missing_from_a_file_is_named(tiny_dataset: Path, tmp_path: Path):
    root = _copy(tiny_dataset, tmp_path / "ds")
    path = root / layout.BBOX
    lines = path.read_text().splitlines()
    path.write_text("\n".join([str(int(lines[0]) - 1)] + lines[1:-1]) + "\n")
    with pytest.raises(DatasetError, match=r"Anno/list_bbox.txt: has no row for img/.*line \d+"):
        load_index(root)
