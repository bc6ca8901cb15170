"""The parsed index cached next to the data as one memory-mapped file.

Layout: a 64-byte preamble (magic, offset and length of the JSON header), the attribute matrix
(N x A int8, written row block by row block while ``list_attr_img.txt`` streams in), the small
arrays, each 64-byte aligned, then the JSON header: format version, the key, every array's
offset/dtype/shape, and the labels. The file is written under a temporary name and renamed, so
a reader sees a complete file or none.

The key is the size and modification time (ns) of each of the seven annotation files: editing,
replacing or touching any of them makes the cache stale, and it is rebuilt. A file that is short,
damaged or of another format is rebuilt too.

Processes share one cache: the builder holds an exclusive ``flock`` on ``<cache>.lock`` while it
parses; the others (torchrun ranks, DataLoader workers, a second run on the same data) wait on
that lock and then map the finished file instead of parsing again. The cache lives at
``<data root>/.trainer-index.bin``; where the data folder is read-only, under
``$XDG_CACHE_HOME/trainer`` (or ``~/.cache/trainer``) named after the data folder's path.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import mmap
import os
import secrets
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from trainer import layout

MAGIC = b"TRIDX\x00\x01\x00"
FORMAT = 1
_PREAMBLE = struct.Struct("<8sQQ")  # magic, header offset, header length
_DATA_START = 64
_ALIGN = 64
CACHE_NAME = ".trainer-index.bin"
SOURCE_FILES = (layout.CATEGORY_CLOTH, layout.CATEGORY_IMG, layout.ATTR_CLOTH, layout.ATTR_IMG,
                layout.LANDMARKS, layout.BBOX, layout.PARTITION)


def source_key(root: Path) -> dict[str, list[int]] | None:
    """{file: [size, mtime_ns]} of the seven annotation files; None when one is missing."""
    key = {}
    for rel in SOURCE_FILES:
        try:
            st = (root / rel).stat()
        except OSError:
            return None
        key[rel] = [st.st_size, st.st_mtime_ns]
    return key


def candidate_paths(root: Path) -> list[Path]:
    """Where the cache may live, in order of preference: beside the data, then the user's cache."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "trainer"
    digest = hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return [root / CACHE_NAME, base / f"index-{digest}.bin"]


class CachedIndex:
    """A cache file mapped read-only: its arrays are views of the mapping (nothing is copied)."""

    def __init__(self, path: Path, header: dict[str, Any], mapping: mmap.mmap) -> None:
        self.path, self.header, self._mapping = path, header, mapping
        self.arrays: dict[str, np.ndarray] = {}
        for name, (offset, dtype, shape) in header["arrays"].items():
            count = int(np.prod(shape, dtype=np.int64))
            self.arrays[name] = np.frombuffer(mapping, dtype=np.dtype(dtype), count=count,
                                              offset=offset).reshape(shape)

    @property
    def labels(self) -> dict[str, Any]:
        return self.header["labels"]

    @property
    def build_id(self) -> str:
        return self.header["build_id"]


def open_cache(path: Path, key: dict[str, list[int]] | None) -> CachedIndex | None:
    """The cache at ``path`` when it is complete, of this format and (unless ``key`` is None)
    built from files with exactly this key; None otherwise (missing, stale, short, damaged)."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below; the mapping outlives it
    except OSError:
        return None
    with fh:
        try:
            size = os.fstat(fh.fileno()).st_size
            if size < _DATA_START:
                return None
            magic, header_offset, header_len = _PREAMBLE.unpack(fh.read(_PREAMBLE.size))
            if magic != MAGIC or header_offset < _DATA_START or header_offset + header_len != size:
                return None
            fh.seek(header_offset)
            header = json.loads(fh.read(header_len).decode("utf-8"))
            if header.get("format") != FORMAT or (key is not None and header.get("key") != key):
                return None
            for offset, dtype, shape in header["arrays"].values():
                nbytes = np.dtype(dtype).itemsize * int(np.prod(shape, dtype=np.int64))
                if offset < _DATA_START or offset + nbytes > header_offset:
                    return None
            mapping = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError, struct.error):
            return None  # json.JSONDecodeError is a ValueError
    try:
        return CachedIndex(path, header, mapping)
    except (ValueError, TypeError, KeyError):
        mapping.close()
        return None


@contextlib.contextmanager
def build_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for building the cache at ``path``. Raises OSError when the lock
    file cannot be created (a read-only folder): the caller tries the next place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_NOFOLLOW: a link planted under the lock's name is refused, never opened for writing.
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class CacheWriter:
    """Writes one cache file: attribute rows as they stream in, then the rest, then the header.

    Use as a context manager; ``commit()`` renames the finished file into place. Leaving the
    block without commit (an error while parsing) removes the temporary file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        self._fd = os.open(self.tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        self._end = _DATA_START
        self._arrays: dict[str, list] = {}
        self._attr_offset = 0
        self._attr_width = 0

    def __enter__(self) -> CacheWriter:
        return self

    def __exit__(self, *exc) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self.tmp.unlink(missing_ok=True)

    def reserve_attributes(self, rows: int, width: int):
        """Room for the (rows, width) int8 attribute matrix; returns the sink that fills it."""
        self._attr_offset, self._attr_width = self._end, width
        nbytes = rows * width
        os.ftruncate(self._fd, self._attr_offset + nbytes)  # sparse until written
        self._arrays["attributes"] = [self._attr_offset, "int8", [rows, width]]
        self._end = _aligned(self._attr_offset + nbytes)

        def sink(first_row: int, block: np.ndarray) -> None:
            data = np.ascontiguousarray(block, dtype=np.int8).tobytes()
            _pwrite_all(self._fd, data, self._attr_offset + first_row * self._attr_width)

        return sink

    def add(self, name: str, array: np.ndarray) -> None:
        array = np.ascontiguousarray(array)
        _pwrite_all(self._fd, array.tobytes(), self._end)
        self._arrays[name] = [self._end, array.dtype.str, list(array.shape)]
        self._end = _aligned(self._end + array.nbytes)

    def commit(self, key: dict[str, list[int]], labels: dict[str, Any]) -> str:
        build_id = secrets.token_hex(8)
        header = json.dumps({"format": FORMAT, "key": key, "build_id": build_id, "arrays": self._arrays,
                             "labels": labels}).encode("utf-8")
        _pwrite_all(self._fd, header, self._end)
        os.ftruncate(self._fd, self._end + len(header))
        _pwrite_all(self._fd, _PREAMBLE.pack(MAGIC, self._end, len(header)), 0)
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = -1
        os.replace(self.tmp, self.path)
        return build_id


def remove_stale_temporaries(path: Path) -> None:
    """Temporary files of builders that were killed; call with the build lock held."""
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def _aligned(offset: int) -> int:
    return (offset + _ALIGN - 1) // _ALIGN * _ALIGN


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written
