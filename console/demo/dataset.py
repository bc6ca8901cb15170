"""A small, deterministic DeepFashion-layout dataset for the demo's ``deepfashion-data`` bucket.

Files follow the Category and Attribute Prediction Benchmark exactly (line 1 the row count,
line 2 the header words, then space-separated rows; ``img/<Folder>/img_XXXXXXXX.jpg``), so
every tool that reads the real benchmark reads this one. The pictures are simple drawn
garments whose landmarks and bounding boxes match what is drawn, so a model trained on
them has something real to learn. Generated once and cached on disk: later starts only read.
"""

from __future__ import annotations

import io
import os
import random
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: bump when the generated content changes, so stale caches are ignored
DATASET_VERSION = "v1"
IMAGE_COUNT = 2000
ARCHIVE_COUNT = 4
IMAGE_SIZE = (240, 300)  # width, height: the benchmark's longer side is 300 px

UPPER, LOWER, FULL = 1, 2, 3
_UPPER_NAMES = (
    "Anorak Blazer Blouse Bomber Button-Down Cardigan Flannel Halter Henley Hoodie Jacket "
    "Jersey Parka Peacoat Poncho Sweater Tank Tee Top Turtleneck"
)
_LOWER_NAMES = (
    "Capris Chinos Culottes Cutoffs Gauchos Jeans Jeggings Jodhpurs Joggers Leggings Sarong "
    "Shorts Skirt Sweatpants Sweatshorts Trunks"
)
_FULL_NAMES = (
    "Caftan Cape Coat Coverup Dress Jumpsuit Kaftan Kimono Nightdress Onesie Robe Romper "
    "Shirtdress Sundress"
)
#: the benchmark's 50 categories in file order (label = 1-based row number) and their type
CATEGORIES: tuple[tuple[str, int], ...] = tuple(
    (name, kind)
    for names, kind in ((_UPPER_NAMES, UPPER), (_LOWER_NAMES, LOWER), (_FULL_NAMES, FULL))
    for name in names.split()
)
#: attribute types texture, fabric, shape, part, style and how many of each the benchmark has
ATTRIBUTE_TYPES = (("texture", 156), ("fabric", 218), ("shape", 180), ("part", 216), ("style", 230))
LANDMARK_COUNT = {UPPER: 6, LOWER: 4, FULL: 8}
STYLES = ("Floral", "Striped", "Plaid", "Knit", "Lace", "Classic", "Pleated", "Hooded")

HEADERS = {
    "Anno/list_category_cloth.txt": "category_name  category_type",
    "Anno/list_category_img.txt": "image_name  category_label",
    "Anno/list_attr_cloth.txt": "attribute_name  attribute_type",
    "Anno/list_attr_img.txt": "image_name  attribute_labels",
    "Anno/list_landmarks.txt": "image_name  clothes_type  "
    + "  ".join(
        f"landmark_visibility_{i}  landmark_location_x_{i}  landmark_location_y_{i}"
        for i in range(1, 9)
    ),
    "Anno/list_bbox.txt": "image_name  x_1  y_1  x_2  y_2",
    "Eval/list_eval_partition.txt": "image_name  evaluation_status",
}


@dataclass(frozen=True)
class _Picture:
    name: str
    label: int  # 1-based category label
    clothes_type: int
    landmarks: tuple[tuple[int, int, int], ...]  # (visibility, x, y)
    bbox: tuple[int, int, int, int]
    attributes: frozenset[int]  # 0-based indices of positive attributes
    split: str
    jpeg: bytes


class Cancelled(Exception):
    """Generation stopped because the demo is shutting down."""


def dataset_files(cache_dir: Path, cancel: threading.Event | None = None) -> dict[str, bytes]:
    """Object key -> bytes for the whole bucket, read from ``cache_dir`` or generated into it.

    Raises Cancelled when ``cancel`` is set while generating (nothing is cached then).
    """
    root = cache_dir / DATASET_VERSION
    marker = root / ".complete"
    if marker.is_file():
        return {
            path.relative_to(root).as_posix(): path.read_bytes()
            for path in root.rglob("*")
            if path.is_file() and path != marker
        }
    files = generate_dataset(cancel=cancel)
    for key, data in files.items():
        target = root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        # a per-process temporary name: two demos starting at once must not share one
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    marker.write_text("ok\n")
    return files


def generate_dataset(
    image_count: int = IMAGE_COUNT, seed: int = 2018, cancel: threading.Event | None = None
) -> dict[str, bytes]:
    """The bucket's content, deterministic for a given ``image_count`` and ``seed``."""
    rng = random.Random(seed)
    pictures = []
    for picture in _pictures(rng, image_count):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        pictures.append(picture)
    files = _annotation_files(pictures)
    files.update({p.name: p.jpeg for p in pictures})
    files.update(_archives(pictures))
    return files


def _pictures(rng: random.Random, count: int) -> Iterator[_Picture]:
    folders: dict[int, list[str]] = {}
    for index in range(1, count + 1):
        label = rng.randrange(len(CATEGORIES)) + 1
        category, clothes_type = CATEGORIES[label - 1]
        choices = folders.setdefault(
            label, [f"{style}_{category}" for style in rng.sample(STYLES, 2)]
        )
        folder = rng.choice(choices)
        landmarks, bbox, jpeg = _draw(rng, clothes_type)
        yield _Picture(
            name=f"img/{folder}/img_{index:08d}.jpg",
            label=label,
            clothes_type=clothes_type,
            landmarks=landmarks,
            bbox=bbox,
            attributes=_attributes_for(rng, label),
            split=rng.choices(("train", "val", "test"), weights=(8, 1, 1))[0],
            jpeg=jpeg,
        )


def _attributes_for(rng: random.Random, label: int) -> frozenset[int]:
    # a few attributes tied to the category (learnable) plus one at random
    total = sum(n for _, n in ATTRIBUTE_TYPES)
    tied = {(label * 37 + k * 211) % total for k in range(3)}
    return frozenset(tied | {rng.randrange(total)})


def _draw(rng: random.Random, clothes_type: int):
    # Pillow loads only when the demo's images are first generated
    from PIL import Image, ImageDraw

    width, height = IMAGE_SIZE
    background = tuple(rng.randrange(150, 256) for _ in range(3))
    colour = tuple(rng.randrange(0, 140) for _ in range(3))
    cx = width // 2 + rng.randrange(-20, 21)
    top = rng.randrange(20, 60)
    bottom = rng.randrange(height - 60, height - 15)
    half = rng.randrange(50, 85)
    if clothes_type == UPPER:
        points = [  # left/right collar, left/right sleeve, left/right hem
            (cx - half // 3, top),
            (cx + half // 3, top),
            (cx - half - 25, top + 70),
            (cx + half + 25, top + 70),
            (cx - half, bottom),
            (cx + half, bottom),
        ]
        outline = [
            points[0],
            points[1],
            points[3],
            (cx + half, top + 80),
            points[5],
            points[4],
            (cx - half, top + 80),
            points[2],
        ]
    elif clothes_type == LOWER:
        points = [  # left/right waistline, left/right hem
            (cx - half, top),
            (cx + half, top),
            (cx - half - 10, bottom),
            (cx + half + 10, bottom),
        ]
        outline = [
            points[0],
            points[1],
            points[3],
            (cx + 8, bottom),
            (cx, top + 90),
            (cx - 8, bottom),
            points[2],
        ]
    else:
        waist = (top + bottom) // 2
        points = [  # collar, sleeve, waistline, hem (left/right each)
            (cx - half // 3, top),
            (cx + half // 3, top),
            (cx - half - 20, top + 60),
            (cx + half + 20, top + 60),
            (cx - half + 15, waist),
            (cx + half - 15, waist),
            (cx - half - 15, bottom),
            (cx + half + 15, bottom),
        ]
        outline = [
            points[0],
            points[1],
            points[3],
            points[5],
            points[7],
            points[6],
            points[4],
            points[2],
        ]
    image = Image.new("RGB", IMAGE_SIZE, background)
    ImageDraw.Draw(image).polygon(outline, fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    clamp = [(min(max(x, 0), width - 1), min(max(y, 0), height - 1)) for x, y in points]
    # a landmark drawn at the edge of the picture counts as truncated (2), one in ten occluded (1)
    landmarks = tuple(
        (2 if (x, y) != raw else (1 if rng.random() < 0.1 else 0), x, y)
        for (x, y), raw in zip(clamp, points, strict=True)
    )
    xs = [x for x, _ in clamp]
    ys = [y for _, y in clamp]
    bbox = (min(xs), min(ys), max(xs), max(ys))
    return landmarks, bbox, buffer.getvalue()


def _annotation_files(pictures: list[_Picture]) -> dict[str, bytes]:
    def table(key: str, rows: list[str]) -> bytes:
        return ("\n".join([str(len(rows)), HEADERS[key], *rows]) + "\n").encode()

    attribute_rows = []
    for type_index, (type_name, count) in enumerate(ATTRIBUTE_TYPES, start=1):
        # names may contain spaces, the last token is the type (as in the benchmark)
        attribute_rows += [
            f"{type_name} {number:03d}  {type_index}" for number in range(1, count + 1)
        ]
    total = len(attribute_rows)
    return {
        "Anno/list_category_cloth.txt": table(
            "Anno/list_category_cloth.txt", [f"{name}  {kind}" for name, kind in CATEGORIES]
        ),
        "Anno/list_category_img.txt": table(
            "Anno/list_category_img.txt", [f"{p.name}  {p.label}" for p in pictures]
        ),
        "Anno/list_attr_cloth.txt": table("Anno/list_attr_cloth.txt", attribute_rows),
        "Anno/list_attr_img.txt": table(
            "Anno/list_attr_img.txt",
            [
                p.name + "  " + " ".join(" 1" if i in p.attributes else "-1" for i in range(total))
                for p in pictures
            ],
        ),
        "Anno/list_landmarks.txt": table(
            "Anno/list_landmarks.txt",
            [
                f"{p.name}  {p.clothes_type}  "
                + "  ".join(f"{v} {x:03d} {y:03d}" for v, x, y in p.landmarks)
                for p in pictures
            ],
        ),
        "Anno/list_bbox.txt": table(
            "Anno/list_bbox.txt",
            [f"{p.name}  " + " ".join(f"{c:03d}" for c in p.bbox) for p in pictures],
        ),
        "Eval/list_eval_partition.txt": table(
            "Eval/list_eval_partition.txt", [f"{p.name}  {p.split}" for p in pictures]
        ),
    }


def _archives(pictures: list[_Picture]) -> dict[str, bytes]:
    """The same pictures split over a few zip archives, as a dataset usually arrives."""
    archives = {}
    per_archive = -(-len(pictures) // ARCHIVE_COUNT)
    for number in range(ARCHIVE_COUNT):
        chunk = pictures[number * per_archive : (number + 1) * per_archive]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            for picture in chunk:
                # a fixed timestamp keeps the archive bytes deterministic
                info = zipfile.ZipInfo(picture.name, date_time=(2018, 9, 8, 0, 0, 0))
                archive.writestr(info, picture.jpeg)
        archives[f"archives/img_part{number + 1:02d}.zip"] = buffer.getvalue()
    return archives
