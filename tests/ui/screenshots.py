"""Write the README's screenshots of the demo: ``python -m tests.ui.screenshots``.

Runs the app headless against ``--demo``'s embedded endpoint and saves the Instances and
Buckets views as SVG into docs/screenshots/.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from console.app import make_app
from console.settings import Settings
from console.startup import build_services

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def main() -> None:
    with tempfile.TemporaryDirectory() as demo_dir:
        settings = Settings(demo=True, demo_dir=demo_dir, refresh_interval=0)
        services = build_services(settings)
        app = make_app(settings, services)
        try:
            async with app.run_test(size=(110, 16)) as pilot:
                for key, table_id, rows in (
                    ("1", "#instances-table", 4),
                    ("2", "#buckets-table", 2),
                ):
                    await pilot.press(key)
                    while app.screen.query_one(table_id).row_count < rows:
                        await pilot.pause(0.1)
                    await pilot.pause(0.3)
                    name = table_id.strip("#").removesuffix("-table") + ".svg"
                    app.save_screenshot(name, str(OUT))
                    print(OUT / name)
        finally:
            services.close()


if __name__ == "__main__":
    asyncio.run(main())
