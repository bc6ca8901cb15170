"""The rows of an S3 folder listing, kept compact so 100,000 objects cost a few MiB.

Each object is held as its name (a str), its size and modification time (in ``array``s of
machine numbers) and its storage class (one byte, an index into a small table): about
100 bytes per object instead of the ~1 KiB a dataclass with a datetime, or a DataTable row,
would take. A row is materialised as an ``S3Row`` only when it is drawn or acted on.
Folders (common prefixes) come first, then objects, each in S3's key order.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from dataclasses import dataclass

from console.models import S3Page


@dataclass(frozen=True, slots=True)
class S3Row:
    """One listed row: a folder (``is_folder``, size 0) or an object."""

    name: str
    key: str
    is_folder: bool
    size: int = 0
    modified: dt.datetime | None = None
    storage_class: str = ""


class S3RowStore:
    """Every row loaded so far under one prefix, and the ``/`` filter over their names."""

    def __init__(self, bucket: str, prefix: str) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.folders: list[str] = []
        self.names: list[str] = []
        self.sizes = array("q")
        self.mtimes = array("d")
        self.classes = bytearray()
        self.class_names: list[str] = []
        self.filter_text = ""
        #: indices into the unfiltered rows that the filter keeps (None: no filter)
        self._visible: array | None = None

    # -- loading --

    def add_page(self, page: S3Page) -> None:
        """Append a page's folders and objects (pages arrive in key order)."""
        cut = len(self.prefix)
        self.folders.extend(folder[cut:] for folder in page.folders)
        for obj in page.objects:
            self.names.append(obj.key[cut:])
            self.sizes.append(obj.size)
            self.mtimes.append(obj.modified.timestamp() if obj.modified else math.nan)
            self.classes.append(self._class_index(obj.storage_class))
        if self.filter_text:
            self._visible = self._matching(self.filter_text)

    def _class_index(self, name: str) -> int:
        try:
            return self.class_names.index(name)
        except ValueError:
            self.class_names.append(name)
            return len(self.class_names) - 1

    # -- reading --

    @property
    def total(self) -> int:
        """Rows loaded, ignoring the filter."""
        return len(self.folders) + len(self.names)

    def __len__(self) -> int:
        return self.total if self._visible is None else len(self._visible)

    def row(self, position: int) -> S3Row:
        """The row at ``position`` among the visible (filtered) rows."""
        index = position if self._visible is None else self._visible[position]
        if index < len(self.folders):
            name = self.folders[index]
            return S3Row(name=name, key=self.prefix + name, is_folder=True)
        index -= len(self.folders)
        name = self.names[index]
        mtime = self.mtimes[index]
        return S3Row(
            name=name,
            key=self.prefix + name,
            is_folder=False,
            size=self.sizes[index],
            modified=None if math.isnan(mtime) else dt.datetime.fromtimestamp(mtime, dt.UTC),
            storage_class=self.class_names[self.classes[index]],
        )

    # -- filtering --

    def set_filter(self, text: str) -> None:
        """Keep only rows whose name contains ``text`` (case-insensitive); "" shows all."""
        self.filter_text = text.lower()
        self._visible = self._matching(self.filter_text) if self.filter_text else None

    def _matching(self, text: str) -> array:
        keep = array("l")
        for index, name in enumerate(self.folders):
            if text in name.lower():
                keep.append(index)
        base = len(self.folders)
        for index, name in enumerate(self.names):
            if text in name.lower():
                keep.append(base + index)
        return keep
