"""The demo's DeepFashion-layout dataset: real format, consistent annotations, cached once."""

from __future__ import annotations

import threading

import pytest

from console.demo.dataset import (
    CATEGORIES,
    LANDMARK_COUNT,
    Cancelled,
    dataset_files,
    generate_dataset,
)


@pytest.fixture(scope="module")
def small() -> dict[str, bytes]:
    return generate_dataset(image_count=40)


def rows(files: dict[str, bytes], key: str) -> list[list[str]]:
    return [line.split() for line in files[key].decode().splitlines()[2:]]


def test_generation_is_deterministic(small):
    assert generate_dataset(image_count=40) == small


def test_annotations_agree_with_each_other(small):
    images = [r[0] for r in rows(small, "Anno/list_category_img.txt")]
    assert sorted(images) == sorted(k for k in small if k.endswith(".jpg"))
    labels = {r[0]: int(r[1]) for r in rows(small, "Anno/list_category_img.txt")}
    landmarks = rows(small, "Anno/list_landmarks.txt")
    # row order follows list_category_img.txt, clothes_type is the category's type
    assert [r[0] for r in landmarks] == images
    for row in landmarks:
        clothes_type = int(row[1])
        assert clothes_type == CATEGORIES[labels[row[0]] - 1][1]
        assert len(row) == 2 + 3 * LANDMARK_COUNT[clothes_type]
        assert {int(v) for v in row[2::3]} <= {0, 1, 2}
    boxes = {r[0]: [int(c) for c in r[1:]] for r in rows(small, "Anno/list_bbox.txt")}
    for row in landmarks:
        x1, y1, x2, y2 = boxes[row[0]]
        points = [(int(x), int(y)) for x, y in zip(row[3::3], row[4::3], strict=True)]
        assert all(x1 <= x <= x2 and y1 <= y <= y2 for x, y in points)
    splits = {r[1] for r in rows(small, "Eval/list_eval_partition.txt")}
    assert splits <= {"train", "val", "test"}


def test_dataset_is_cached_after_the_first_generation(tmp_path):
    first = dataset_files(tmp_path)
    assert (tmp_path / "v1" / ".complete").is_file()
    assert dataset_files(tmp_path) == first


def test_cancelled_generation_caches_nothing(tmp_path):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        dataset_files(tmp_path, cancel=cancel)
    assert not (tmp_path / "v1" / ".complete").exists()
