"""Streaming readers for the seven annotation files of the Category & Attribute benchmark.

Every file is read line by line (bytes) into compact numpy arrays: int8 attributes, int16
landmarks, int8 visibility and split codes, int32 boxes, and the image names packed into one
byte string with offsets. Nothing holds a whole file or a Python object per value, so the real
benchmark (289,222 rows; ``list_attr_img.txt`` alone is about 600 MB) parses in bounded memory.

``list_attr_img.txt`` is parsed a block of lines at a time with bytes operations that run in C
over the whole block; a block that fails any check is parsed again line by line to name the
exact line and problem. Rows of the per-image files may come in any order; the usual case (the
order of ``list_category_img.txt``) needs no lookups.

Every problem is a DatasetError naming the file and, where known, the line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainer import layout
from trainer.errors import DatasetError

_WS = b" \t\r\x0b\x0c"  # whitespace inside a line (split() also treats these as separators)
_DIGIT_CLASS = bytes.maketrans(b"01", b"dd")
_BLOCK_BYTES = 16 << 20
SPLIT_CODES = {name.encode(): code for code, name in enumerate(layout.SPLITS)}
_INT16 = (-32768, 32767)


@dataclass
class IndexArrays:
    """The parsed index: one entry per row of list_category_img.txt, in its order."""

    names_blob: np.ndarray  # uint8: every image name's UTF-8 bytes, back to back
    names_offsets: np.ndarray  # int64 (N + 1,): name i is blob[offsets[i]:offsets[i + 1]]
    category: np.ndarray  # int16 (N,): 0-based category
    clothes_type: np.ndarray  # int8 (N,): 1 upper, 2 lower, 3 full body
    landmarks: np.ndarray  # int16 (N, 8, 2): pixel x, y; 0 in slots the type has none
    visibility: np.ndarray  # int8 (N, 8): 0 visible, 1 occluded, 2 truncated, -1 slot not used
    bbox: np.ndarray  # int32 (N, 4): x1, y1, x2, y2
    split: np.ndarray  # int8 (N,): index into layout.SPLITS
    attributes: np.ndarray  # int8 (N, A): 1 positive, -1 negative, 0 unknown

    ARRAY_NAMES = ("names_blob", "names_offsets", "category", "clothes_type", "landmarks", "visibility",
                   "bbox", "split", "attributes")


@dataclass
class Labels:
    category_names: list[str]
    category_types: list[int]
    attribute_names: list[str]
    attribute_types: list[int]
    has_variation: bool


AttributeSink = Callable[[int, np.ndarray], None]  # (first row, block of consecutive rows)


def _open(root: Path, rel: str):
    path = root / rel
    try:
        return open(path, "rb", buffering=1 << 20)  # noqa: SIM115 - closed by the callers' with
    except FileNotFoundError:
        raise DatasetError(rel, f"missing (looked for {path})") from None
    except OSError as exc:
        raise DatasetError(rel, f"unreadable: {exc}") from None


def _head(fh, rel: str, header: list[str] | None) -> tuple[int, list[str]]:
    """Check line 1 (the row count) and line 2 (the header words); returns both."""
    first = fh.readline()
    if not first.strip().isdigit():
        raise DatasetError(rel, "line 1 must be the number of rows", 1)
    second = fh.readline()
    if not second:
        raise DatasetError(rel, "missing the header line", 2)
    words = _text(second, rel, 2).split()
    if header is not None and words != header:
        raise DatasetError(rel, f"header must be {'  '.join(header)!r}, found {' '.join(words)!r}", 2)
    return int(first), words


def _text(raw: bytes, rel: str, line: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DatasetError(rel, "is not UTF-8 text", line) from None


def _rows(fh, rel: str, expected: int) -> Iterator[tuple[int, list[bytes]]]:
    """(line number, tokens) of every non-blank row; checks the count of line 1 at the end."""
    count = 0
    for number, raw in enumerate(fh, start=3):
        tokens = raw.split()
        if tokens:
            count += 1
            yield number, tokens
    if count != expected:
        raise DatasetError(rel, f"line 1 says {expected} rows but the file has {count}", 1)


def _int(rel: str, line: int, token: bytes, what: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise DatasetError(rel, f"{what} must be an integer, found {_shown(token)!r}", line) from None


def _shown(token: bytes) -> str:
    return token.decode("utf-8", "replace")


def read_named_types(root: Path, rel: str) -> tuple[list[str], list[int]]:
    """Rows ``<name words…> <type>`` (names may contain spaces; the type is the last token)."""
    names, types = [], []
    with _open(root, rel) as fh:
        expected, _ = _head(fh, rel, layout.HEADERS[rel])
        for line, tokens in _rows(fh, rel, expected):
            if len(tokens) < 2:
                raise DatasetError(rel, "expected a name and a type", line)
            names.append(_text(b" ".join(tokens[:-1]), rel, line))
            types.append(_int(rel, line, tokens[-1], "the type"))
    return names, types


class _RowMatcher:
    """Which row of list_category_img.txt a name of another file belongs to; tracks duplicates
    and, at the end, the first row a file left out."""

    def __init__(self, rel: str, names: list[bytes], row_of: dict[bytes, int]) -> None:
        self.rel, self.names, self.row_of = rel, names, row_of
        self.seen = np.zeros(len(names), dtype=bool)
        self.next = 0

    def row(self, name: bytes, line: int) -> int | None:
        """The row of ``name`` (None when list_category_img.txt does not list it)."""
        nxt = self.next
        row = nxt if nxt < len(self.names) and self.names[nxt] == name else self.row_of.get(name)
        if row is None:
            return None  # rows for images outside the category listing are not used
        if self.seen[row]:
            raise DatasetError(self.rel, f"{_shown(name)} listed twice", line)
        self.seen[row] = True
        self.next = row + 1
        return row

    def check_complete(self, category_lines: np.ndarray) -> None:
        missing = np.flatnonzero(~self.seen)
        if missing.size:
            row = int(missing[0])
            raise DatasetError(self.rel, f"has no row for {_shown(self.names[row])} "
                                         f"(listed in {layout.CATEGORY_IMG} line {int(category_lines[row])})")


def read_labels(root: Path) -> Labels:
    cat_names, cat_types = read_named_types(root, layout.CATEGORY_CLOTH)
    for t in sorted(set(cat_types) - {1, 2, 3}):
        raise DatasetError(layout.CATEGORY_CLOTH, f"category_type must be 1, 2 or 3, found {t}")
    attr_names, attr_types = read_named_types(root, layout.ATTR_CLOTH)
    if set(attr_types) - {1, 2, 3, 4, 5}:
        raise DatasetError(layout.ATTR_CLOTH, "attribute_type must be 1 to 5")
    return Labels(cat_names, cat_types, attr_names, attr_types, landmark_variation(root))


def landmark_variation(root: Path) -> bool:
    """Whether list_landmarks.txt has the Landmark Detection benchmark's variation_type column."""
    rel = layout.LANDMARKS
    with _open(root, rel) as fh:
        fh.readline()
        header = _text(fh.readline(), rel, 2).split()
    has_variation = len(header) > 2 and header[2] == "variation_type"
    if header != layout.landmark_header(has_variation):
        raise DatasetError(rel, "header must be 'image_name  clothes_type  [variation_type]  "
                                "landmark_visibility_1  landmark_location_x_1  …'", 2)
    return has_variation


def parse_index(root: Path, labels: Labels, attribute_sink: Callable[[int], AttributeSink]) -> IndexArrays:
    """Stream the five per-image files into arrays.

    ``attribute_sink(rows)`` is called once the number of rows is known and returns where blocks
    of attribute rows go (an in-memory array or a file); the returned IndexArrays has an empty
    ``attributes`` placeholder that the caller fills in from that sink.
    """
    names, categories, category_lines, row_of = _read_categories(root, len(labels.category_names))
    n = len(names)
    sink = attribute_sink(n)
    _read_attributes(root, len(labels.attribute_names), _RowMatcher(layout.ATTR_IMG, names, row_of),
                     sink, category_lines)
    bbox = _read_boxes(root, _RowMatcher(layout.BBOX, names, row_of), category_lines)
    split = _read_partition(root, _RowMatcher(layout.PARTITION, names, row_of), category_lines)
    clothes_type, landmarks, visibility = _read_landmarks(
        root, labels.has_variation, _RowMatcher(layout.LANDMARKS, names, row_of), category_lines)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(name) for name in names], out=offsets[1:])
    blob = np.frombuffer(b"".join(names), dtype=np.uint8) if n else np.zeros(0, dtype=np.uint8)
    return IndexArrays(blob, offsets, categories, clothes_type, landmarks, visibility, bbox, split,
                       np.zeros((0, len(labels.attribute_names)), dtype=np.int8))


def _read_categories(root: Path, num_categories: int):
    rel = layout.CATEGORY_IMG
    names: list[bytes] = []
    labels: list[int] = []
    lines: list[int] = []
    row_of: dict[bytes, int] = {}
    with _open(root, rel) as fh:
        expected, _ = _head(fh, rel, layout.HEADERS[rel])
        for line, tokens in _rows(fh, rel, expected):
            if len(tokens) != 2:
                raise DatasetError(rel, f"expected the image name and 1 values, found {len(tokens) - 1}", line)
            name = tokens[0]
            if name in row_of:
                raise DatasetError(rel, f"{_shown(name)} listed twice", line)
            _text(name, rel, line)
            label = _int(rel, line, tokens[1], "category_label")
            if not 1 <= label <= num_categories:
                raise DatasetError(rel, f"category_label {label} is not a row of {layout.CATEGORY_CLOTH}", line)
            row_of[name] = len(names)
            names.append(name)
            labels.append(label - 1)
            lines.append(line)
    return names, np.array(labels, dtype=np.int16), np.array(lines, dtype=np.int64), row_of


def _read_attributes(root: Path, width: int, matcher: _RowMatcher, sink: AttributeSink,
                     category_lines: np.ndarray) -> None:
    rel = layout.ATTR_IMG
    with _open(root, rel) as fh:
        expected, _ = _head(fh, rel, layout.HEADERS[rel])
        count, number = 0, 3
        while True:
            block = fh.readlines(_BLOCK_BYTES)
            if not block:
                break
            first_line = number
            number += len(block)
            line_numbers, names, rests = [], [], []
            for offset, raw in enumerate(block):
                parts = raw.split(None, 1)
                if not parts:
                    continue  # a blank line
                line_numbers.append(first_line + offset)
                names.append(parts[0])
                rest = parts[1] if len(parts) > 1 else b"\n"
                rests.append(rest if rest.endswith(b"\n") else rest + b"\n")  # the file's last line
            count += len(names)
            if not names:
                continue
            values = _attribute_block(rests, width)
            if values is None:  # something is wrong in this block: find the line and say what
                values = np.stack([_attribute_line(rest, width, line)
                                   for rest, line in zip(rests, line_numbers, strict=True)])
            _scatter(matcher, names, line_numbers, values, sink)
    if count != expected:
        raise DatasetError(rel, f"line 1 says {expected} rows but the file has {count}", 1)
    matcher.check_complete(category_lines)


def _attribute_block(rests: list[bytes], width: int) -> np.ndarray | None:
    """The values of a block of lines (image names removed, newlines kept), or None when any
    check fails.

    Valid tokens are ``-1``, ``0`` and ``1``. With whitespace removed and ``-1`` written as
    ``2``, a valid line is exactly ``width`` characters from ``012``; the checks before that
    make sure no two tokens were glued together (``11``, ``1-1``) and no ``-`` stands without
    its ``1``, so that the length counts the tokens. (Characters below '0' wrap around in the
    unsigned subtraction and fail the range check with the ones above '2'.)
    """
    body = b"".join(rests)  # every rest ends with its newline
    if b"2" in body:
        return None  # '2' stands for -1 below
    digits = body.translate(_DIGIT_CLASS)
    if b"dd" in digits or b"d-" in digits or body.count(b"-") != body.count(b"-1"):
        return None
    packed = body.translate(None, _WS).replace(b"-1", b"2")
    if len(packed) != len(rests) * (width + 1):
        return None
    table = np.frombuffer(packed, dtype=np.uint8).reshape(len(rests), width + 1)
    if not (table[:, width] == ord("\n")).all():
        return None
    values = table[:, :width] - np.uint8(ord("0"))
    if values.max(initial=0) > 2:
        return None  # a character other than whitespace, '-', '0' and '1'
    values = values.view(np.int8)
    values[values == 2] = -1
    return values


def _attribute_line(rest: bytes, width: int, line: int) -> np.ndarray:
    tokens = rest.split()
    if len(tokens) != width:
        raise DatasetError(layout.ATTR_IMG, f"expected the image name and {width} values, found {len(tokens)}", line)
    try:
        values = np.array([int(t) for t in tokens], dtype=np.int64)
    except ValueError:
        raise DatasetError(layout.ATTR_IMG, "attribute labels must be -1, 0 or 1", line) from None
    if np.any((values < -1) | (values > 1)):
        raise DatasetError(layout.ATTR_IMG, "attribute labels must be -1, 0 or 1", line)
    return values.astype(np.int8)


def _scatter(matcher: _RowMatcher, names: list[bytes], lines: list[int], values: np.ndarray,
             sink: AttributeSink) -> None:
    """Hand a block's rows to the sink: whole runs of consecutive rows at once."""
    rows = [matcher.row(name, line) for name, line in zip(names, lines, strict=True)]
    start = 0
    while start < len(rows):
        if rows[start] is None:
            start += 1
            continue
        end = start + 1
        while end < len(rows) and rows[end] is not None and rows[end] == rows[end - 1] + 1:
            end += 1
        sink(rows[start], values[start:end])
        start = end


def _read_boxes(root: Path, matcher: _RowMatcher, category_lines: np.ndarray) -> np.ndarray:
    rel = layout.BBOX
    boxes = np.zeros((len(matcher.names), 4), dtype=np.int32)
    with _open(root, rel) as fh:
        expected, _ = _head(fh, rel, layout.HEADERS[rel])
        for line, tokens in _rows(fh, rel, expected):
            if len(tokens) != 5:
                raise DatasetError(rel, f"expected the image name and 4 values, found {len(tokens) - 1}", line)
            row = matcher.row(tokens[0], line)
            if row is None:
                continue
            box = [_int(rel, line, t, "a coordinate") for t in tokens[1:]]
            if box[2] <= box[0] or box[3] <= box[1]:
                raise DatasetError(rel, f"empty box {tuple(box)} for {_shown(tokens[0])}", line)
            if min(box) < 0 or max(box) > 2**31 - 1:
                raise DatasetError(rel, f"box {tuple(box)} is outside any picture", line)
            boxes[row] = box
    matcher.check_complete(category_lines)
    return boxes


def _read_partition(root: Path, matcher: _RowMatcher, category_lines: np.ndarray) -> np.ndarray:
    rel = layout.PARTITION
    split = np.zeros(len(matcher.names), dtype=np.int8)
    with _open(root, rel) as fh:
        expected, _ = _head(fh, rel, layout.HEADERS[rel])
        for line, tokens in _rows(fh, rel, expected):
            if len(tokens) != 2:
                raise DatasetError(rel, f"expected the image name and 1 values, found {len(tokens) - 1}", line)
            code = SPLIT_CODES.get(tokens[1])
            if code is None:
                raise DatasetError(rel, f"evaluation_status must be train, val or test, found {_shown(tokens[1])!r}", line)
            row = matcher.row(tokens[0], line)
            if row is not None:
                split[row] = code
    matcher.check_complete(category_lines)
    return split


def _read_landmarks(root: Path, has_variation: bool, matcher: _RowMatcher, category_lines: np.ndarray):
    rel = layout.LANDMARKS
    n = len(matcher.names)
    clothes = np.zeros(n, dtype=np.int8)
    points = np.zeros((n, 8, 2), dtype=np.int16)
    visibility = np.full((n, 8), -1, dtype=np.int8)
    first_value = 3 if has_variation else 2
    with _open(root, rel) as fh:
        expected, _ = _head(fh, rel, None)  # the header was checked by landmark_variation
        for line, tokens in _rows(fh, rel, expected):
            if len(tokens) < 2:
                raise DatasetError(rel, "missing clothes_type", line)
            clothes_type = _int(rel, line, tokens[1], "clothes_type")
            slots = layout.SLOTS_BY_CLOTHES_TYPE.get(clothes_type)
            if slots is None:
                raise DatasetError(rel, f"clothes_type must be 1, 2 or 3, found {clothes_type}", line)
            values = tokens[first_value:]
            if len(values) != 3 * len(slots):
                raise DatasetError(rel, f"clothes_type {clothes_type} needs {len(slots)} landmark triplets "
                                        f"({3 * len(slots)} values), found {len(values)} values", line)
            try:
                numbers = [int(t) for t in values]
            except ValueError:
                bad = next(t for t in values if not t.lstrip(b"-+").isdigit())
                raise DatasetError(rel, f"a landmark value must be an integer, found {_shown(bad)!r}", line) from None
            row = matcher.row(tokens[0], line)
            if row is None:
                continue
            vis = numbers[0::3]
            if any(v not in (layout.VISIBLE, layout.OCCLUDED, layout.TRUNCATED) for v in vis):
                bad_v = next(v for v in vis if v not in (0, 1, 2))
                raise DatasetError(rel, f"landmark visibility must be 0, 1 or 2, found {bad_v}", line)
            coords = numbers[1::3] + numbers[2::3]
            if min(coords) < _INT16[0] or max(coords) > _INT16[1]:
                raise DatasetError(rel, "a landmark coordinate is outside -32768..32767", line)
            clothes[row] = clothes_type
            for k, slot in enumerate(slots):
                visibility[row, slot] = vis[k]
                points[row, slot, 0] = numbers[3 * k + 1]
                points[row, slot, 1] = numbers[3 * k + 2]
    matcher.check_complete(category_lines)
    return clothes, points, visibility
