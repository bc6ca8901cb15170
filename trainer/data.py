"""Reader for the DeepFashion Category & Attribute benchmark layout (see layout.py).

``load_index`` streams and cross-checks the seven annotation files once (annotations.py) into
compact arrays, caches them next to the data as one memory-mapped file (index_cache.py) and
maps that file on every later load, in every process; ``DeepFashionDataset`` turns one row into
network input: bounding-box crop, resize to the configured square size, ImageNet normalisation,
landmarks in [0, 1] coordinates of the crop with a visibility mask. Every problem with a file is
a DatasetError naming the file and the line.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageEnhance

from trainer import index_cache, layout
from trainer.annotations import IndexArrays, parse_index, read_labels
from trainer.errors import DatasetError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Record:
    """One image's annotations, in the file's pixel coordinates."""

    name: str
    category: int  # 0-based
    clothes_type: int
    attributes: np.ndarray  # int8 (A,): 1 positive, -1 negative, 0 unknown
    landmarks: np.ndarray  # float32 (8, 2) pixel x, y; zeros in slots the type has none
    visibility: np.ndarray  # int8 (8,): 0 visible, 1 occluded, 2 truncated, -1 slot not used
    bbox: tuple[int, int, int, int]


class RecordView(Sequence[Record]):
    """``index.records[i]``: a Record built on demand from the arrays (none is kept)."""

    def __init__(self, index: DatasetIndex) -> None:
        self._index = index

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._index.record(j) for j in range(*i.indices(len(self)))]
        return self._index.record(i)

    def __iter__(self) -> Iterator[Record]:
        return (self._index.record(i) for i in range(len(self)))


@dataclass(frozen=True, eq=False)
class DatasetIndex:
    root: Path
    category_names: list[str]
    category_types: list[int]
    attribute_names: list[str]
    attribute_types: np.ndarray  # int64 (A,), values 1..5
    arrays: IndexArrays
    has_variation: bool = False
    cache_path: Path | None = None  # the mapped cache file, when there is one
    cache_status: str = "in memory"  # "built" (parsed now and cached), "loaded" (mapped) or "in memory"
    build_id: str = ""
    seconds: float = 0.0  # how long load_index took
    splits: dict[str, list[int]] = field(init=False)  # split name -> row numbers

    def __post_init__(self) -> None:
        split = np.asarray(self.arrays.split)
        object.__setattr__(self, "splits", {name: np.flatnonzero(split == code).tolist()
                                            for code, name in enumerate(layout.SPLITS)})

    def __len__(self) -> int:
        return len(self.arrays.category)

    def __reduce__(self):
        # DataLoader workers started with "spawn" get the index pickled: they map the same cache
        # file instead of receiving a copy of every array.
        if self.cache_path is not None:
            return (_reopen, (self.root, self.cache_path, self.build_id))
        return object.__reduce__(self)

    @property
    def num_categories(self) -> int:
        return len(self.category_names)

    @property
    def num_attributes(self) -> int:
        return len(self.attribute_names)

    @property
    def records(self) -> RecordView:
        return RecordView(self)

    def name(self, i: int) -> str:
        offsets = self.arrays.names_offsets
        return self.arrays.names_blob[offsets[i]:offsets[i + 1]].tobytes().decode("utf-8")

    def record(self, i: int) -> Record:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        a = self.arrays
        x1, y1, x2, y2 = (int(v) for v in a.bbox[i])
        return Record(self.name(i), int(a.category[i]), int(a.clothes_type[i]), np.array(a.attributes[i]),
                      a.landmarks[i].astype(np.float32), np.array(a.visibility[i]), (x1, y1, x2, y2))

    def metadata(self) -> dict:
        """What predict needs to label outputs without the dataset (stored in checkpoints)."""
        return {
            "category_names": self.category_names,
            "category_types": self.category_types,
            "attribute_names": self.attribute_names,
            "attribute_types": [int(t) for t in self.attribute_types],
        }


def load_index(root: Path | str, cache: bool = True) -> DatasetIndex:
    """Parse and cross-check the seven annotation files under ``root``, or map their cache.

    Raises DatasetError (naming the file and line) for a missing file, a wrong count or header
    line, a malformed row, an unknown category or split, or an image missing from a file.
    ``cache=False`` parses into memory and touches no cache file.
    """
    root = Path(root)
    start = time.perf_counter()
    key = index_cache.source_key(root) if cache else None
    if key is not None:
        for path in index_cache.candidate_paths(root):
            found = index_cache.open_cache(path, key)
            if found is not None:
                return _from_cache(root, found, "loaded", start)
        for path in index_cache.candidate_paths(root):
            try:
                with index_cache.build_lock(path):
                    found = index_cache.open_cache(path, key)  # built by another process meanwhile
                    if found is not None:
                        return _from_cache(root, found, "loaded", start)
                    index_cache.remove_stale_temporaries(path)
                    _build_cache(root, path, key)
                    found = index_cache.open_cache(path, key)
                    if found is not None:
                        return _from_cache(root, found, "built", start)
            except OSError:
                continue  # not writable here (or the files changed while parsing): next place
    labels = read_labels(root)
    holder: dict[str, np.ndarray] = {}

    def memory_sink(rows: int):
        holder["attributes"] = np.zeros((rows, len(labels.attribute_names)), dtype=np.int8)

        def sink(first_row: int, block: np.ndarray) -> None:
            holder["attributes"][first_row:first_row + len(block)] = block

        return sink

    arrays = parse_index(root, labels, memory_sink)
    arrays.attributes = holder["attributes"]
    return DatasetIndex(root, labels.category_names, labels.category_types, labels.attribute_names,
                        np.array(labels.attribute_types, dtype=np.int64), arrays, labels.has_variation,
                        seconds=time.perf_counter() - start)


def _build_cache(root: Path, path: Path, key: dict[str, list[int]]) -> None:
    labels = read_labels(root)
    with index_cache.CacheWriter(path) as writer:
        arrays = parse_index(root, labels, lambda rows: writer.reserve_attributes(rows, len(labels.attribute_names)))
        for name in IndexArrays.ARRAY_NAMES:
            if name != "attributes":
                writer.add(name, getattr(arrays, name))
        if index_cache.source_key(root) != key:
            raise OSError("the annotation files changed while they were read")
        writer.commit(key, {"category_names": labels.category_names, "category_types": labels.category_types,
                            "attribute_names": labels.attribute_names, "attribute_types": labels.attribute_types,
                            "has_variation": labels.has_variation})


def _from_cache(root: Path, cached: index_cache.CachedIndex, status: str, start: float) -> DatasetIndex:
    labels: dict[str, Any] = cached.labels
    arrays = IndexArrays(**{name: cached.arrays[name] for name in IndexArrays.ARRAY_NAMES})
    return DatasetIndex(root, labels["category_names"], labels["category_types"], labels["attribute_names"],
                        np.array(labels["attribute_types"], dtype=np.int64), arrays, labels["has_variation"],
                        cached.path, status, cached.build_id, time.perf_counter() - start)


def _reopen(root: Path, path: Path, build_id: str) -> DatasetIndex:
    cached = index_cache.open_cache(path, None)
    if cached is None or cached.build_id != build_id:
        raise DatasetError(str(path), "the index cache changed while the data loader was starting; start again")
    return _from_cache(root, cached, "loaded", time.perf_counter())


def load_image(path: Path) -> Image.Image:
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except FileNotFoundError:
        raise DatasetError(str(path), "image file missing") from None
    except OSError as exc:
        raise DatasetError(str(path), f"not a readable image: {exc}") from None


def crop_box(bbox: tuple[int, int, int, int] | None, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The bounding box clipped to the picture, or the whole picture when there is none."""
    w, h = size
    if bbox is None:
        return 0, 0, w, h
    x1, y1, x2, y2 = bbox
    x1, y1 = max(0, min(x1, w - 1)), max(0, min(y1, h - 1))
    x2, y2 = max(x1 + 1, min(x2, w)), max(y1 + 1, min(y2, h))
    return x1, y1, x2, y2


def normalise(img: Image.Image) -> torch.Tensor:
    """A PIL RGB image as a normalised (3, H, W) float tensor (ImageNet mean and std)."""
    array = torch.from_numpy(np.asarray(img, dtype=np.uint8).copy()).permute(2, 0, 1)
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (array.float() / 255.0 - mean) / std


def to_input(img: Image.Image, box: tuple[int, int, int, int], image_size: int) -> torch.Tensor:
    """Crop, resize to image_size² (aspect not kept, as in the paper) and normalise: (3, S, S)."""
    return normalise(img.crop(box).resize((image_size, image_size), Image.BILINEAR))


class DeepFashionDataset(torch.utils.data.Dataset):
    """One split of a DatasetIndex as tensors: image, category, attributes, landmarks, visible."""

    def __init__(self, index: DatasetIndex, split: str, image_size: int, augment: bool = False,
                 seed: int = 0) -> None:
        if split not in index.splits:
            raise DatasetError(layout.PARTITION, f"unknown split {split!r}")
        self.index = index
        self.indices = index.splits[split]
        self.image_size = image_size
        self.augment = augment
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        rec = self.index.record(self.indices[i])
        img = load_image(self.index.root / rec.name)
        box = crop_box(rec.bbox, img.size)
        x1, y1, x2, y2 = box
        uv = (rec.landmarks - np.array([x1, y1], dtype=np.float32)) / np.array([x2 - x1, y2 - y1], dtype=np.float32)
        uv[rec.visibility < 0] = 0.0  # slots this clothes type does not have
        visible = (rec.visibility == layout.VISIBLE) & np.all((uv >= 0) & (uv < 1), axis=1)
        crop = img.crop(box).resize((self.image_size, self.image_size), Image.BILINEAR)
        if self.augment:
            crop, uv, visible = self._augment(crop, uv, visible, i)
        image = normalise(crop)
        return {
            "image": image,
            "category": torch.tensor(rec.category, dtype=torch.long),
            "attributes": torch.from_numpy((rec.attributes == 1).astype(np.int64)),
            "landmarks": torch.from_numpy(uv.astype(np.float32)),
            "visible": torch.from_numpy(visible),
        }

    def _augment(self, crop: Image.Image, uv: np.ndarray, visible: np.ndarray, i: int):
        # A per-sample, per-epoch stream: a resumed run draws the same augmentations.
        rng = random.Random(self.seed * 7919 + self.epoch * 1_000_003 + i)
        if rng.random() < 0.5:
            crop = crop.transpose(Image.FLIP_LEFT_RIGHT)
            mirror = list(layout.MIRROR_SLOTS)  # the left collar becomes the right one
            uv, visible = uv[mirror].copy(), visible[mirror].copy()
            uv[:, 0] = 1.0 - uv[:, 0]
            visible &= uv[:, 0] < 1
        crop = ImageEnhance.Brightness(crop).enhance(rng.uniform(0.8, 1.2))
        crop = ImageEnhance.Contrast(crop).enhance(rng.uniform(0.8, 1.2))
        return crop, uv, visible
