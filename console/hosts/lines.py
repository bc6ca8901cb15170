"""Whole text lines out of a host's byte stream (``Host.stream``), whatever its pieces."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def iter_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Whole lines out of a byte stream that arrives in arbitrary pieces (UTF-8, bad bytes
    replaced, a trailing carriage return dropped)."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            yield line.decode("utf-8", errors="replace").rstrip("\r")
    if buffer:
        yield buffer.decode("utf-8", errors="replace").rstrip("\r")
