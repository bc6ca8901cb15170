"""ResourceTable.show: a refresh with the same rows in the same order redraws only the cells
that changed (the cursor and scroll stay where the user left them); any other change of
rows rebuilds the table and keeps the cursor on its item; a frame drawn before the columns
widen to fit new rows is not kept (DataTable caches lines by its update count only)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import App, ComposeResult

from console.ui.common.resource_table import Column, ResourceTable


@dataclass(frozen=True)
class Thing:
    key: str
    state: str
    uptime: int


COLUMNS = [
    Column("key", "Key", lambda t: t.key),
    Column("state", "State", lambda t: t.state, width=10),
    Column("uptime", "Uptime", lambda t: f"{t.uptime}s"),
]


class TableApp(App):
    def compose(self) -> ComposeResult:
        yield ResourceTable(COLUMNS, row_key=lambda t: t.key, id="things")


def things(count: int, *, uptime: int = 0, state: str = "running") -> list[Thing]:
    return [Thing(f"i-{n:04d}", state, uptime + n) for n in range(count)]


def row_texts(table: ResourceTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]


async def test_same_rows_update_in_place_and_keep_cursor_and_scroll():
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(ResourceTable)
        table.show(things(300))
        await pilot.pause()
        table.move_cursor(row=150)
        await pilot.pause()
        scroll_y = table.scroll_y
        assert scroll_y > 0

        updates: list[tuple] = []
        original = table.update_cell
        table.update_cell = lambda *a, **k: (updates.append(a), original(*a, **k))[1]
        changed = things(300, uptime=10)
        changed[7] = Thing("i-0007", "stopping", 17)
        table.show(changed)
        await pilot.pause()

        assert row_texts(table) == [[t.key, t.state, f"{t.uptime}s"] for t in changed]
        # every uptime changed, one state: 301 cell updates, no rebuild
        assert len(updates) == 301
        assert ("i-0007", "state", "stopping") in updates
        assert table.cursor_row == 150 and table.cursor_key == "i-0150"
        assert table.scroll_y == scroll_y
        assert table.items == changed


async def test_added_removed_or_reordered_rows_rebuild_and_follow_the_cursor_item():
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(ResourceTable)
        table.show(things(20))
        table.move_cursor(row=5)
        await pilot.pause()

        fewer = [t for t in things(20) if t.key not in {"i-0001", "i-0002"}]
        table.show(fewer)
        await pilot.pause()
        assert [r[0] for r in row_texts(table)] == [t.key for t in fewer]
        assert table.cursor_key == "i-0005" and table.cursor_row == 3

        reordered = list(reversed(fewer))
        table.show(reordered)
        await pilot.pause()
        assert [r[0] for r in row_texts(table)] == [t.key for t in reordered]
        assert table.cursor_key == "i-0005"

        table.show([])
        await pilot.pause()
        assert table.row_count == 0 and table.cursor_key is None
        table.show(things(3))  # from empty: built, not "updated"
        await pilot.pause()
        assert [r[0] for r in row_texts(table)] == ["i-0000", "i-0001", "i-0002"]


async def test_a_frame_drawn_before_the_columns_widen_is_not_kept():
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(ResourceTable)
        table.show([Thing("short", "running", 1)])
        await pilot.pause(0.3)  # laid out and idle, as a view's table is between refreshes
        table.show([Thing("a-long-bucket-name", "running", 5)])
        # a frame drawn at once, before the table's idle pass widens its columns
        early = table.render_line(1).text
        assert "a-long-bucket-name" not in early
        await pilot.pause()
        await pilot.pause()
        assert "a-long-bucket-name" in table.render_line(1).text
        assert "Uptime" in table.render_line(0).text
