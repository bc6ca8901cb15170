"""A small synthetic dataset in exactly the benchmark's layout, deterministic from a seed.

Each image shows one drawn garment whose outline follows its category (sleeve length, body
length, legs or skirt), whose fill pattern and shade are attributes, and whose eight keypoints
are the landmarks; so category, attributes, landmarks and bounding box are all known and
learnable from the pixels.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from trainer import layout

# The benchmark's 50 categories and their clothes types (1 upper, 2 lower, 3 full body).
CATEGORIES = layout.BENCHMARK_CATEGORIES
ATTRIBUTE_COUNTS = {1: 156, 2: 218, 3: 180, 4: 216, 5: 230}  # the real split, 1000 in all
PATTERNS = ("solid", "striped", "dotted", "checked")
STYLE_WORDS = ("Classic", "Printed", "Soft", "Relaxed", "Fitted")
LONGER_SIDE = 300


def attribute_names() -> list[tuple[str, int]]:
    """1000 attribute names (some with spaces, as in the real file) with their types."""
    names: list[tuple[str, int]] = []
    for kind, count in ATTRIBUTE_COUNTS.items():
        type_name = layout.ATTRIBUTE_TYPE_NAMES[kind]
        for i in range(count):
            names.append((f"{type_name} {i + 1:03d}" if i % 2 else f"{type_name}-{i + 1:03d}", kind))
    return names


def _attr_index(kind: int, i: int) -> int:
    """Global 0-based index of the i-th attribute of a type."""
    return sum(ATTRIBUTE_COUNTS[k] for k in range(1, kind)) + i


@dataclass(frozen=True)
class Garment:
    """What was drawn: the ground truth of one synthetic image."""

    name: str
    category_label: int  # 1-based row of list_category_cloth.txt
    clothes_type: int
    attributes: tuple[int, ...]  # 0-based indices of positive attributes
    landmarks: tuple[tuple[int, int, int], ...]  # (visibility, x, y) in file order
    bbox: tuple[int, int, int, int]
    split: str


def active_categories(count: int) -> list[int]:
    """0-based indices of ``count`` categories spread over the three clothes types."""
    by_type = {t: [i for i, (_, ct) in enumerate(CATEGORIES) if ct == t] for t in (1, 2, 3)}
    chosen: list[int] = []
    t = 0
    while len(chosen) < min(count, len(CATEGORIES)):
        pool = by_type[(t % 3) + 1]
        taken = sum(1 for c in chosen if CATEGORIES[c][1] == (t % 3) + 1)
        if taken < len(pool):
            chosen.append(pool[taken])
        t += 1
    return sorted(chosen)


def _category_style(cat: int) -> dict[str, float]:
    """Fixed shape and colour of a category, so the category is visible in the pixels."""
    rng = random.Random(1000 + cat)
    return {
        "hue": (cat * 0.618034) % 1.0,  # golden-ratio steps keep any few categories' hues apart
        "sleeve": rng.choice((0.08, 0.25, 0.45)),
        "length": rng.choice((0.45, 0.65, 0.9)),
        "flare": rng.choice((0.0, 0.12, 0.25)),
        "pattern": rng.randrange(len(PATTERNS)),
    }


def _hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    import colorsys

    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def _outline(clothes_type: int, style: dict[str, float], cx: float, top: float, s: float):
    """Polygon(s) of the garment and its 8 keypoints (None where the type has no such point)."""
    half = 0.3 * s
    length = style["length"] * s
    flare = style["flare"] * s
    points: list[tuple[float, float] | None] = [None] * 8
    polys: list[list[tuple[float, float]]] = []
    if clothes_type in (layout.UPPER, layout.FULL):
        neck = 0.12 * s
        sleeve = style["sleeve"] * s
        hem_y = top + (length if clothes_type == layout.UPPER else length * 1.4)
        waist_y = top + 0.55 * s
        body = [(cx - neck, top), (cx + neck, top), (cx + half, top + 0.06 * s),
                (cx + half, waist_y), (cx + half + flare, hem_y), (cx - half - flare, hem_y),
                (cx - half, waist_y), (cx - half, top + 0.06 * s)]
        polys.append(body)
        for side in (-1, 1):
            sx = cx + side * half
            polys.append([(sx, top + 0.06 * s), (sx + side * sleeve, top + 0.06 * s + sleeve * 0.8),
                          (sx + side * sleeve - side * 0.02 * s, top + 0.06 * s + sleeve * 0.8 + 0.12 * s),
                          (sx, top + 0.22 * s)])
        points[0], points[1] = (cx - neck, top), (cx + neck, top)
        points[2] = (cx - half - sleeve + 0.01 * s, top + 0.12 * s + sleeve * 0.8)
        points[3] = (cx + half + sleeve - 0.01 * s, top + 0.12 * s + sleeve * 0.8)
        if clothes_type == layout.FULL:
            points[4], points[5] = (cx - half, waist_y), (cx + half, waist_y)
        points[6], points[7] = (cx - half - flare, hem_y), (cx + half + flare, hem_y)
    else:
        hem_y = top + length
        if style["flare"] > 0.05:  # a skirt
            polys.append([(cx - half, top), (cx + half, top), (cx + half + flare, hem_y),
                          (cx - half - flare, hem_y)])
            points[6], points[7] = (cx - half - flare, hem_y), (cx + half + flare, hem_y)
        else:  # two legs
            gap = 0.04 * s
            polys.append([(cx - half, top), (cx + half, top), (cx + half, top + 0.2 * s), (cx - half, top + 0.2 * s)])
            polys.append([(cx - half, top + 0.1 * s), (cx - gap, top + 0.1 * s), (cx - gap, hem_y), (cx - half, hem_y)])
            polys.append([(cx + gap, top + 0.1 * s), (cx + half, top + 0.1 * s), (cx + half, hem_y), (cx + gap, hem_y)])
            points[6], points[7] = (cx - half * 0.6 - gap * 0.4, hem_y), (cx + half * 0.6 + gap * 0.4, hem_y)
        points[4], points[5] = (cx - half, top), (cx + half, top)
    return polys, points


def _draw_pattern(size: tuple[int, int], pattern: int, ink: tuple[int, int, int], rng: random.Random) -> Image.Image:
    img = Image.new("RGB", size, (0, 0, 0))
    d = ImageDraw.Draw(img)
    step = rng.randint(9, 14)
    w, h = size
    if PATTERNS[pattern] == "striped":
        for y in range(0, h, step):
            d.rectangle([0, y, w, y + step // 2 - 1], fill=ink)
    elif PATTERNS[pattern] == "dotted":
        for y in range(0, h, step):
            for x in range((y // step % 2) * step // 2, w, step):
                d.ellipse([x, y, x + 4, y + 4], fill=ink)
    elif PATTERNS[pattern] == "checked":
        for y in range(0, h, step):
            for x in range(0, w, step):
                if (x // step + y // step) % 2:
                    d.rectangle([x, y, x + step - 1, y + step - 1], fill=ink)
    return img


def draw_garment(index: int, seed: int, categories: list[int], split: str, name_of) -> tuple[Image.Image, Garment]:
    """Draw image ``index`` (its own RNG stream, so any subset can be redrawn identically)."""
    rng = random.Random(seed * 1_000_003 + index)
    cat = categories[index % len(categories)] if index < len(categories) else rng.choice(categories)
    cat_name, clothes_type = CATEGORIES[cat]
    style = dict(_category_style(cat))
    pattern = style["pattern"] if rng.random() < 0.75 else rng.randrange(len(PATTERNS))
    dark = rng.random() < 0.5

    short = rng.randint(200, LONGER_SIDE)
    w, h = (short, LONGER_SIDE) if rng.random() < 0.8 else (LONGER_SIDE, short)
    bg = _hsv(rng.random(), 0.1, 0.85 + 0.1 * rng.random())
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    for _ in range(6):  # faint clutter so the background is not a constant
        x0, y0 = rng.randrange(w), rng.randrange(h)
        d.line([x0, y0, x0 + rng.randint(-60, 60), y0 + rng.randint(-60, 60)],
               fill=_hsv(rng.random(), 0.2, 0.7), width=2)

    span = 1.4 if clothes_type == layout.FULL else 1.0
    s = min(w * 0.55, h * 0.8 / (style["length"] * span + 0.15)) * rng.uniform(0.8, 1.0)
    extent_x = 0.3 * s + style["sleeve"] * s + style["flare"] * s
    cx = rng.uniform(extent_x + 5, w - extent_x - 5) if w - 2 * extent_x > 10 else w / 2
    height = style["length"] * s * span
    top = rng.uniform(8, max(9, h - height - 8))
    polys, points = _outline(clothes_type, style, cx, top, s)

    mask = Image.new("L", (w, h), 0)
    md = ImageDraw.Draw(mask)
    for poly in polys:
        md.polygon(poly, fill=255)
    base = _hsv(style["hue"] + rng.uniform(-0.03, 0.03), 0.7, 0.35 if dark else 0.8)
    fill = Image.new("RGB", (w, h), base)
    if PATTERNS[pattern] != "solid":
        ink = _hsv(style["hue"] + 0.5, 0.5, 0.95 if dark else 0.2)
        pat = _draw_pattern((w, h), pattern, ink, rng)
        pat_mask = pat.convert("L").point(lambda v: 255 if v else 0)
        fill.paste(pat, (0, 0), pat_mask)
    img.paste(fill, (0, 0), mask)

    slots = layout.SLOTS_BY_CLOTHES_TYPE[clothes_type]
    triplets = []
    for slot in slots:
        x, y = points[slot]
        xi, yi = int(round(min(max(x, 0), w - 1))), int(round(min(max(y, 0), h - 1)))
        vis = layout.VISIBLE
        if xi != int(round(x)) or yi != int(round(y)):
            vis = layout.TRUNCATED
        elif rng.random() < 0.08:  # really hide it under a patch
            vis = layout.OCCLUDED
            d.rectangle([xi - 9, yi - 9, xi + 9, yi + 9], fill=_hsv(rng.random(), 0.3, 0.5))
        triplets.append((vis, xi, yi))

    bbox_box = mask.getbbox() or (0, 0, w, h)
    margin = rng.randint(3, 10)
    bbox = (max(0, bbox_box[0] - margin), max(0, bbox_box[1] - margin),
            min(w - 1, bbox_box[2] + margin), min(h - 1, bbox_box[3] + margin))

    positives = {
        _attr_index(1, pattern),  # texture: the fill pattern
        _attr_index(2, 1 if dark else 0),  # fabric: dark or light shade
        _attr_index(3, {0.08: 0, 0.25: 1, 0.45: 2}[style["sleeve"]] if clothes_type != layout.LOWER else 3),
        _attr_index(3, 4 + [0.45, 0.65, 0.9].index(style["length"])),  # shape: length
        _attr_index(5, rng.randrange(4)),  # style: not visible, noise on purpose
    }
    folder = f"{STYLE_WORDS[cat % len(STYLE_WORDS)]}_{PATTERNS[style['pattern']].title()}_{cat_name}"
    garment = Garment(
        name=name_of(folder), category_label=cat + 1, clothes_type=clothes_type,
        attributes=tuple(sorted(positives)), landmarks=tuple(triplets), bbox=bbox, split=split,
    )
    return img, garment


def write_dataset(root: Path | str, images: int = 48, seed: int = 0, categories: int = 8,
                  variation_type: bool = False) -> list[Garment]:
    """Write ``images`` drawn garments and all seven annotation files under ``root``.

    Deterministic from ``seed``. ``categories`` of the 50 listed categories are drawn (spread
    over the three clothes types); the files always list all 50 and all 1000 attributes.
    """
    root = Path(root)
    (root / "Anno").mkdir(parents=True, exist_ok=True)
    (root / "Eval").mkdir(parents=True, exist_ok=True)
    active = active_categories(categories)
    order = list(range(images))
    random.Random(seed).shuffle(order)
    n_val = max(1, images * 15 // 100) if images >= 3 else 0
    n_test = n_val
    split_of = {}
    for rank, i in enumerate(order):
        split_of[i] = "val" if rank < n_val else "test" if rank < n_val + n_test else "train"

    counters: dict[str, int] = {}

    def name_of(folder: str) -> str:
        counters[folder] = counters.get(folder, 0) + 1
        return f"img/{folder}/img_{counters[folder]:08d}.jpg"

    garments = []
    for i in range(images):
        img, g = draw_garment(i, seed, active, split_of[i], name_of)
        path = root / g.name
        path.parent.mkdir(parents=True, exist_ok=True)
        img.save(path, "JPEG", quality=90)
        garments.append(g)
    _write_annotations(root, garments, variation_type)
    return garments


def _table(path: Path, header: list[str], rows: list[str]) -> None:
    path.write_text(f"{len(rows)}\n" + "  ".join(header) + "\n" + "".join(r + "\n" for r in rows))


def _write_annotations(root: Path, garments: list[Garment], variation_type: bool) -> None:
    names = [g.name for g in garments]
    width = max([len(n) for n in names] + [10]) + 4
    _table(root / layout.CATEGORY_CLOTH, layout.HEADERS[layout.CATEGORY_CLOTH],
           [f"{n:<28}{t}" for n, t in CATEGORIES])
    _table(root / layout.ATTR_CLOTH, layout.HEADERS[layout.ATTR_CLOTH],
           [f"{n:<36}{t}" for n, t in attribute_names()])
    _table(root / layout.CATEGORY_IMG, layout.HEADERS[layout.CATEGORY_IMG],
           [f"{g.name:<{width}}{g.category_label}" for g in garments])
    attr_rows = []
    for g in garments:
        values = ["-1"] * 1000
        for a in g.attributes:
            values[a] = " 1"
        attr_rows.append(f"{g.name:<{width}}" + " ".join(v.strip().rjust(2) for v in values))
    _table(root / layout.ATTR_IMG, layout.HEADERS[layout.ATTR_IMG], attr_rows)
    lm_rows = []
    for g in garments:
        cols = f"{g.clothes_type}  " + ("1  " if variation_type else "")
        cols += "  ".join(f"{v} {x:03d} {y:03d}" for v, x, y in g.landmarks)
        lm_rows.append(f"{g.name:<{width}}{cols}")
    _table(root / layout.LANDMARKS, layout.landmark_header(variation_type), lm_rows)
    _table(root / layout.BBOX, layout.HEADERS[layout.BBOX],
           [f"{g.name:<{width}}" + " ".join(f"{c:03d}" for c in g.bbox) for g in garments])
    _table(root / layout.PARTITION, layout.HEADERS[layout.PARTITION],
           [f"{g.name:<{width}}{g.split}" for g in garments])
