import pytest
from console.app import make_app
from tests.ui.conftest import notifications, wait_until
from tests.ui.test_s3_browser import seed, browser

async def test_dbg(s3, moto_settings, make_services):
    seed(s3)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("2")
        table = app.screen.query_one("#buckets-table")
        await wait_until(pilot, lambda: table.row_count == 1)
        b = browser(app)
        b.page_size = 2
        print("focused", app.focused)
        await pilot.press("enter")
        await pilot.pause(3)
        print("focused", app.focused, b.pages_loaded, b.loading, b.complete, b.store.total, b.next_token)
        print(notifications(app))
        print(b._dbg if hasattr(b,"_dbg") else None)
