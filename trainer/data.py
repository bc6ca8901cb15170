"""Reader for the DeepFashion Category & Attribute benchmark layout (see layout.py).

``load_index`` parses and cross-checks the seven annotation files once; ``DeepFashionDataset``
turns one record into network input: bounding-box crop, resize to the configured square size,
ImageNet normalisation, landmarks in [0, 1] coordinates of the crop with a visibility mask.
Every problem with a file is a DatasetError naming the file and the line.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageEnhance

from trainer import layout
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


@dataclass(frozen=True)
class DatasetIndex:
    root: Path
    category_names: list[str]
    category_types: list[int]
    attribute_names: list[str]
    attribute_types: np.ndarray  # int64 (A,), values 1..5
    records: list[Record]
    splits: dict[str, list[int]]  # split name -> indices into records

    @property
    def num_categories(self) -> int:
        return len(self.category_names)

    @property
    def num_attributes(self) -> int:
        return len(self.attribute_names)

    def metadata(self) -> dict:
        """What predict needs to label outputs without the dataset (stored in checkpoints)."""
        return {
            "category_names": self.category_names,
            "category_types": self.category_types,
            "attribute_names": self.attribute_names,
            "attribute_types": [int(t) for t in self.attribute_types],
        }


def _rows(root: Path, rel: str, header: list[str] | None) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, tokens) of a table file after checking its count and header lines."""
    path = root / rel
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(rel, f"missing (looked for {path})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(rel, f"unreadable: {exc}") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip().isdigit():
        raise DatasetError(rel, "line 1 must be the number of rows", 1)
    expected = int(lines[0])
    if len(lines) < 2:
        raise DatasetError(rel, "missing the header line", 2)
    if header is not None and lines[1].split() != header:
        raise DatasetError(rel, f"header must be {'  '.join(header)!r}, found {lines[1].strip()!r}", 2)
    rows = [(n, line.split()) for n, line in enumerate(lines[2:], start=3) if line.strip()]
    if len(rows) != expected:
        raise DatasetError(rel, f"line 1 says {expected} rows but the file has {len(rows)}", 1)
    yield from rows


def _int(rel: str, line: int, token: str, what: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise DatasetError(rel, f"{what} must be an integer, found {token!r}", line) from None


def _named_types(root: Path, rel: str) -> tuple[list[str], list[int]]:
    """Rows ``<name words…> <type>`` (names may contain spaces; the type is the last token)."""
    names, types = [], []
    for line, tokens in _rows(root, rel, layout.HEADERS[rel]):
        if len(tokens) < 2:
            raise DatasetError(rel, "expected a name and a type", line)
        names.append(" ".join(tokens[:-1]))
        types.append(_int(rel, line, tokens[-1], "the type"))
    return names, types


def _per_image(root: Path, rel: str, header: list[str] | None, width: int | None):
    """{image name: (line, values)} for a per-image file; ``width`` = values after the name."""
    table: dict[str, tuple[int, list[str]]] = {}
    for line, tokens in _rows(root, rel, header):
        if width is not None and len(tokens) != width + 1:
            raise DatasetError(rel, f"expected the image name and {width} values, found {len(tokens) - 1}", line)
        if tokens[0] in table:
            raise DatasetError(rel, f"{tokens[0]} listed twice", line)
        table[tokens[0]] = (line, tokens[1:])
    return table


def _landmark_table(root: Path) -> tuple[dict[str, tuple[int, list[str]]], bool]:
    rel = layout.LANDMARKS
    path = root / rel
    try:
        with path.open(encoding="utf-8") as fh:
            fh.readline()
            header = fh.readline().split()
    except FileNotFoundError:
        raise DatasetError(rel, f"missing (looked for {path})") from None
    has_variation = len(header) > 2 and header[2] == "variation_type"
    if header != layout.landmark_header(has_variation):
        raise DatasetError(rel, "header must be 'image_name  clothes_type  [variation_type]  "
                                "landmark_visibility_1  landmark_location_x_1  …'", 2)
    return _per_image(root, rel, None, None), has_variation


def load_index(root: Path | str) -> DatasetIndex:
    """Parse and cross-check the seven annotation files under ``root``.

    Raises DatasetError (naming the file and line) for a missing file, a wrong count or header
    line, a malformed row, an unknown category or split, or an image missing from a file.
    """
    root = Path(root)
    cat_names, cat_types = _named_types(root, layout.CATEGORY_CLOTH)
    for t in set(cat_types) - {1, 2, 3}:
        raise DatasetError(layout.CATEGORY_CLOTH, f"category_type must be 1, 2 or 3, found {t}")
    attr_names, attr_types = _named_types(root, layout.ATTR_CLOTH)
    if set(attr_types) - {1, 2, 3, 4, 5}:
        raise DatasetError(layout.ATTR_CLOTH, "attribute_type must be 1 to 5")
    n_attr = len(attr_names)

    categories = _per_image(root, layout.CATEGORY_IMG, layout.HEADERS[layout.CATEGORY_IMG], 1)
    attributes = _per_image(root, layout.ATTR_IMG, layout.HEADERS[layout.ATTR_IMG], n_attr)
    bboxes = _per_image(root, layout.BBOX, layout.HEADERS[layout.BBOX], 4)
    partition = _per_image(root, layout.PARTITION, layout.HEADERS[layout.PARTITION], 1)
    landmarks, has_variation = _landmark_table(root)

    records: list[Record] = []
    splits: dict[str, list[int]] = {s: [] for s in layout.SPLITS}
    for name, (line, (label_token,)) in categories.items():
        label = _int(layout.CATEGORY_IMG, line, label_token, "category_label")
        if not 1 <= label <= len(cat_names):
            raise DatasetError(layout.CATEGORY_IMG, f"category_label {label} is not a row of {layout.CATEGORY_CLOTH}", line)
        for rel, table in ((layout.ATTR_IMG, attributes), (layout.BBOX, bboxes),
                           (layout.PARTITION, partition), (layout.LANDMARKS, landmarks)):
            if name not in table:
                raise DatasetError(rel, f"has no row for {name} (listed in {layout.CATEGORY_IMG} line {line})")
        a_line, a_tokens = attributes[name]
        try:
            attrs = np.array([int(t) for t in a_tokens], dtype=np.int8)
        except ValueError:
            raise DatasetError(layout.ATTR_IMG, "attribute labels must be -1, 0 or 1", a_line) from None
        if np.any((attrs < -1) | (attrs > 1)):
            raise DatasetError(layout.ATTR_IMG, "attribute labels must be -1, 0 or 1", a_line)
        b_line, b_tokens = bboxes[name]
        bbox = tuple(_int(layout.BBOX, b_line, t, "a coordinate") for t in b_tokens)
        if bbox[2] <= bbox[0] or bbox[3] <= bbox[1]:
            raise DatasetError(layout.BBOX, f"empty box {bbox} for {name}", b_line)
        p_line, (split,) = partition[name]
        if split not in splits:
            raise DatasetError(layout.PARTITION, f"evaluation_status must be train, val or test, found {split!r}", p_line)
        clothes_type, points, vis = _parse_landmarks(landmarks[name], has_variation)
        records.append(Record(name, label - 1, clothes_type, attrs, points, vis, bbox))  # type: ignore[arg-type]
        splits[split].append(len(records) - 1)
    return DatasetIndex(root, cat_names, cat_types, attr_names, np.array(attr_types, dtype=np.int64),
                        records, splits)


def _parse_landmarks(row: tuple[int, list[str]], has_variation: bool):
    line, tokens = row
    rel = layout.LANDMARKS
    if not tokens:
        raise DatasetError(rel, "missing clothes_type", line)
    clothes_type = _int(rel, line, tokens[0], "clothes_type")
    if clothes_type not in layout.SLOTS_BY_CLOTHES_TYPE:
        raise DatasetError(rel, f"clothes_type must be 1, 2 or 3, found {clothes_type}", line)
    values = tokens[2 if has_variation else 1:]
    slots = layout.SLOTS_BY_CLOTHES_TYPE[clothes_type]
    if len(values) != 3 * len(slots):
        raise DatasetError(rel, f"clothes_type {clothes_type} needs {len(slots)} landmark triplets "
                                f"({3 * len(slots)} values), found {len(values)} values", line)
    points = np.zeros((8, 2), dtype=np.float32)
    vis = np.full(8, -1, dtype=np.int8)
    for k, slot in enumerate(slots):
        v, x, y = (_int(rel, line, t, "a landmark value") for t in values[3 * k:3 * k + 3])
        if v not in (layout.VISIBLE, layout.OCCLUDED, layout.TRUNCATED):
            raise DatasetError(rel, f"landmark visibility must be 0, 1 or 2, found {v}", line)
        vis[slot] = v
        points[slot] = (x, y)
    return clothes_type, points, vis


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
        rec = self.index.records[self.indices[i]]
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
