"""The one column policy of every list (``fit_columns``) and the S3 list's own columns."""

from __future__ import annotations

from console.ui.buckets.object_list import NAME_WIDTH, RowLayout, fit_name, row_layout
from console.ui.common.resource_table import Column, fit_columns


def column(key: str, **options) -> Column:
    return Column(key, key, lambda item: "", **options)


COLUMNS = [
    column("id", give_way=2),
    column("name"),
    column("state"),
    column("ip", give_way=3),
    column("price"),
    column("note", give_way=1, fill=True, min_width=5),
]
NATURAL = {"id": 19, "name": 13, "state": 10, "ip": 15, "price": 6, "note": 40}


def shown(layout) -> list[str]:
    return [key for key, _ in layout]


def test_everything_shows_when_it_fits():
    layout = fit_columns(COLUMNS, NATURAL, 200)
    assert shown(layout) == ["id", "name", "state", "ip", "price", "note"]
    assert dict(layout)["note"] is None  # as wide as its widest cell


def test_the_highest_give_way_leaves_first_and_a_fill_column_takes_the_rest():
    # without ip (15 + 2): id 21, name 15, state 12, price 8, note at least 7 = 63
    layout = fit_columns(COLUMNS, NATURAL, 70)
    assert shown(layout) == ["id", "name", "state", "price", "note"]
    assert dict(layout)["note"] == 70 - 21 - 15 - 12 - 8 - 2


def test_key_columns_stay_when_nothing_else_fits():
    layout = fit_columns(COLUMNS, NATURAL, 30)
    assert shown(layout) == ["name", "state", "price"]


def test_a_key_fill_column_is_not_squeezed_to_keep_a_less_important_one():
    columns = [column("name"), column("state", fill=True, wrap=True), column("host", give_way=1)]
    natural = {"name": 10, "state": 30, "host": 10}
    assert shown(fit_columns(columns, natural, 46)) == ["name", "state"]
    # narrower than the key columns: the key fill column wraps in what is left
    assert fit_columns(columns, natural, 30) == (("name", None), ("state", 30 - 12 - 2))


def test_fill_columns_share_what_is_left_by_their_widths():
    columns = [column("mark"), column("found", fill=True), column("fix", fill=True)]
    layout = dict(fit_columns(columns, {"mark": 6, "found": 30, "fix": 90}, 70))
    assert layout["found"] + layout["fix"] == 70 - 8 - 4
    assert layout["found"] < layout["fix"]


def test_the_s3_list_gives_way_class_first_then_the_time_and_then_shortens_names():
    assert row_layout(160, 20) == RowLayout(NAME_WIDTH, True, True)
    assert row_layout(160, 70) == RowLayout(70, True, True)
    assert row_layout(100, 60) == RowLayout(60, True, False)
    assert row_layout(100, 70) == RowLayout(70, False, False)
    assert row_layout(80, 62) == RowLayout(62, False, False)
    narrow = row_layout(40, 62)
    assert narrow == RowLayout(40 - 13, False, False)
    name = fit_name("deepfashion_category_and_attribute_prediction_benchmark_v2.txt", 27)
    assert len(name) == 27 and name.startswith("deepfashion") and name.endswith("v2.txt")
    assert "…" in name
    assert fit_name("a.jpg", 8) == "a.jpg   "
