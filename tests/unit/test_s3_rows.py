"""The S3 browser's compact row store: order, materialised rows, filter, and its size."""

from __future__ import annotations

import datetime as dt
import tracemalloc

import pytest

from console.models import S3Object, S3Page
from console.ui.buckets.object_list import format_row
from console.ui.buckets.rows import S3RowStore

WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


def page(objects, folders=(), prefix="img/"):
    return S3Page("b", prefix, tuple(folders), tuple(objects))


def test_folders_come_first_across_pages_and_rows_round_trip():
    store = S3RowStore("b", "img/")
    store.add_page(page([S3Object("img/a.jpg", 10, WHEN, "STANDARD")], ["img/A/"]))
    store.add_page(page([S3Object("img/b.jpg", 20, None, "GLACIER")], ["img/B/"]))
    rows = [store.row(i) for i in range(len(store))]
    assert [r.name for r in rows] == ["A/", "B/", "a.jpg", "b.jpg"]
    assert rows[0].is_folder and rows[0].key == "img/A/"
    assert (rows[2].size, rows[2].modified, rows[2].storage_class) == (10, WHEN, "STANDARD")
    assert (rows[3].modified, rows[3].storage_class) == (None, "GLACIER")
    assert "a.jpg" in format_row(rows[2]) and "10 B" in format_row(rows[2])


def test_filter_is_case_insensitive_and_follows_new_pages():
    store = S3RowStore("b", "")
    store.add_page(page([S3Object("Anno.txt", 1), S3Object("img.zip", 2)], ["Anno/"], ""))
    store.set_filter("ANNO")
    assert [store.row(i).name for i in range(len(store))] == ["Anno/", "Anno.txt"]
    store.add_page(page([S3Object("anno2.txt", 3)], [], ""))
    assert [store.row(i).name for i in range(len(store))] == ["Anno/", "Anno.txt", "anno2.txt"]
    store.set_filter("")
    assert len(store) == store.total == 4


@pytest.mark.slow
def test_100000_rows_stay_compact():
    pages = [
        page([S3Object(f"img/{n:07d}.jpg", n, WHEN) for n in range(start, start + 1000)])
        for start in range(0, 100_000, 1000)
    ]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    store = S3RowStore("b", "img/")
    for p in pages:
        store.add_page(p)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert store.total == 100_000
    # about 100 bytes a row (name string, 8+8+1 bytes of numbers), far from a row object each
    assert used < 150 * 100_000
