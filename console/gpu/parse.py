"""nvidia-smi's CSV answers read into GpuSamples and GpuProcesses.

Values nvidia-smi does not know (``[N/A]``, ``[Not Supported]``, ``[Function Not Found]``,
``[Unknown Error]``, a bare ``N/A``, an empty field) become ``None`` — "unknown" — never zero.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from console.gpu.fields import (
    APPS_ATTRS,
    APPS_FIELDS,
    FLOAT,
    INT,
    QUERY_FIELDS,
    SAMPLE_ATTRS,
    TEXT,
    canonical_field,
)
from console.models import GpuProcess, GpuSample


def is_unknown(raw: str) -> bool:
    """True for what nvidia-smi prints when it has no value: any ``[bracketed text]``
    (``[N/A]``, ``[Not Supported]``, ``[Function Not Found]``, ``[Unknown Error]``,
    ``[Requested functionality has been deprecated]``), a bare ``N/A``, or nothing."""
    text = raw.strip()
    return text in ("", "N/A") or (text.startswith("[") and text.endswith("]"))


def parse_text(raw: str) -> str | None:
    return None if is_unknown(raw) else raw.strip()


def parse_number(raw: str) -> float | None:
    """``"631.95"``, ``"631.95 W"``, ``"100 %"`` -> float; unknown or unreadable -> None."""
    if is_unknown(raw):
        return None
    head = raw.strip().split()[0]
    try:
        return float(head)
    except ValueError:
        return None


def parse_int(raw: str) -> int | None:
    number = parse_number(raw)
    return int(number) if number is not None and number == int(number) else None


_CONVERTERS: dict[str, Callable[[str], object]] = {
    INT: parse_int,
    FLOAT: parse_number,
    TEXT: parse_text,
}


def split_row(line: str, width: int, free_column: int | None = None) -> list[str] | None:
    """Split one CSV row of nvidia-smi (cells are joined by ``", "``, never quoted).

    A value that itself holds ``", "`` (a Windows process path) yields too many cells: they are
    joined back into ``free_column``. Returns None when the row cannot have ``width`` cells.
    """
    cells = line.rstrip("\r\n").split(", ")
    if len(cells) == width:
        return cells
    if len(cells) > width and free_column is not None:
        extra = len(cells) - width
        merged = ", ".join(cells[free_column : free_column + extra + 1])
        return cells[:free_column] + [merged] + cells[free_column + extra + 1 :]
    return None


_HEADER_CELL = re.compile(r"^[a-z][a-zA-Z0-9_.]*( \[[^\]]+\])?$")


def looks_like_header(cells: Sequence[str], fields: Sequence[str]) -> bool:
    """A CSV header: every cell a field name (nvidia-smi may print an alias's canonical
    name, ``name`` for ``gpu_name``), at least one of them one we know."""
    if not cells or not all(_HEADER_CELL.match(c.strip()) for c in cells):
        return False
    known = set(fields) | set(SAMPLE_ATTRS) | set(APPS_ATTRS)
    return any(canonical_field(c) in known for c in cells)


def sample_from_cells(fields: Sequence[str], cells: Sequence[str], at: float) -> GpuSample:
    values: dict[str, object] = {}
    for field, cell in zip(fields, cells, strict=True):
        spec = SAMPLE_ATTRS.get(canonical_field(field))
        if spec is None:
            continue  # a column the view does not use
        attr, kind = spec
        if values.get(attr) is None:  # an alias asked twice: keep the first known value
            values[attr] = _CONVERTERS[kind](cell)
    return GpuSample(at=at, **values)  # type: ignore[arg-type]


def process_from_cells(fields: Sequence[str], cells: Sequence[str]) -> GpuProcess:
    values: dict[str, object] = {
        "pid": None,
        "process_name": None,
        "used_memory_mib": None,
        "gpu_uuid": None,
    }
    for field, cell in zip(fields, cells, strict=True):
        spec = APPS_ATTRS.get(canonical_field(field))
        if spec is not None:
            attr, kind = spec
            values[attr] = _CONVERTERS[kind](cell)
    return GpuProcess(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ParsedCsv:
    """Rows nvidia-smi printed in CSV, and the lines that were not rows (error text)."""

    fields: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    other_lines: tuple[str, ...]


def parse_csv(text: str, fields: Sequence[str] | None = None, free_field: str = "") -> ParsedCsv:
    """Split a whole CSV answer. With a header line, its names win over ``fields``.

    Comment lines starting with ``#`` (our recordings' provenance lines) are skipped.
    """
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    names = tuple(fields) if fields else ()
    if lines and (not names or looks_like_header(lines[0].split(", "), names)):
        header = lines[0].split(", ")
        if not names or len(header) == len(names):
            names = tuple(canonical_field(cell) for cell in header)
            lines = lines[1:]
    if not names:
        return ParsedCsv((), (), tuple(lines))
    free = names.index(free_field) if free_field in names else None
    rows, other = [], []
    for line in lines:
        cells = split_row(line, len(names), free)
        if cells is None:
            other.append(line)
        else:
            rows.append(tuple(cells))
    return ParsedCsv(names, tuple(rows), tuple(other))


def parse_query_gpu(
    text: str, fields: Sequence[str] = QUERY_FIELDS, at: float = 0.0
) -> tuple[list[GpuSample], list[str]]:
    """GpuSamples from a ``--query-gpu`` answer (any format), plus the lines that were not rows."""
    parsed = parse_csv(text, fields, free_field="name")
    samples = [
        with_position(sample_from_cells(parsed.fields, row, at), n)
        for n, row in enumerate(parsed.rows)
    ]
    return samples, list(parsed.other_lines)


def with_position(sample: GpuSample, position: int) -> GpuSample:
    """A row with neither index nor uuid (a query that asked for neither) is known by its
    place: nvidia-smi prints the GPUs of one answer or one tick in order."""
    if sample.uuid is None and sample.index is None:
        return dataclasses.replace(sample, index=position)
    return sample


def parse_compute_apps(
    text: str, fields: Sequence[str] = APPS_FIELDS
) -> tuple[list[GpuProcess], list[str]]:
    """GpuProcesses from a ``--query-compute-apps`` answer, plus the lines that were not rows."""
    parsed = parse_csv(text, fields, free_field="process_name")
    if "process_name" not in parsed.fields and "name" in parsed.fields:
        parsed = parse_csv(text, fields, free_field="name")
    return [process_from_cells(parsed.fields, row) for row in parsed.rows], list(parsed.other_lines)
