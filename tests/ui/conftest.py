"""Pilot tests drive ``make_app`` with real backends pointed at moto's server."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from textual.css.query import NoMatches

from console.services import Services
from console.settings import Settings


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests in a fresh event loop (Pilot needs one; no plugin required)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


def build(settings: Settings) -> Services:
    """The services the CLI would build for ``settings``."""
    from console.startup import build_services

    return build_services(settings)


@pytest.fixture
def make_services() -> Iterator:
    """Build services for a Settings; every one built is closed after the test."""
    built: list[Services] = []

    def factory(settings: Settings) -> Services:
        services = build(settings)
        built.append(services)
        return services

    yield factory
    for services in built:
        services.close()


@pytest.fixture
def demo_console(demo_folder, tmp_path):
    """``build(**settings) -> (app, services)``: the console as ``awsconsole --demo`` makes
    it, on this test's own demo folder, no config file and no auto-refresh; its services
    are closed when the test ends."""
    from console.app import make_app
    from console.startup import build_services

    built: list[Services] = []

    def build(**overrides):
        settings = Settings.load(tmp_path / "none.toml", environ={}).with_overrides(
            demo=True, demo_dir=str(demo_folder), refresh_interval=0, **overrides)  # fmt: skip
        services = build_services(settings)
        built.append(services)
        return make_app(settings, services), services

    yield build
    for services in built:
        services.close()


@pytest.fixture
def moto_settings(aws_endpoint: str) -> Settings:
    return Settings(endpoint_url=aws_endpoint, region="us-east-1", refresh_interval=0)


async def wait_until(pilot, condition, *, within: float = 30.0) -> None:
    """Let the app run until ``condition()`` holds (a deadline only so a bug cannot hang CI).

    A widget the condition queries that is not there yet (``NoMatches``) counts as not yet:
    a view is built when first shown, a few messages after the key that shows it.
    """
    deadline = time.monotonic() + within
    while True:
        try:
            if condition():
                return
            missing = None
        except NoMatches as exc:
            missing = exc
        if time.monotonic() > deadline:
            raise AssertionError(
                f"condition not met within {within}s: {condition}"
                + (f" ({missing})" if missing else "")
            )
        await pilot.pause(0.05)


async def click_drawn(pilot, selector: str, *, within: float = 30.0) -> None:
    """Click ``selector`` once the screen has drawn it: a dialog just pushed may still be
    without a place on screen, and a click then lands wherever its region was not."""
    await wait_until(pilot, lambda: pilot.app.screen.query_one(selector).region.area > 0,
                     within=within)  # fmt: skip
    await pilot.pause()
    await pilot.click(selector)


async def query_shown(pilot, selector, *, within: float = 30.0):
    """``pilot.app.screen.query_one(selector)`` once it is there (views are built when first
    shown, so right after the key that shows one it may not be yet)."""
    await wait_until(pilot, lambda: pilot.app.screen.query_one(selector), within=within)
    return pilot.app.screen.query_one(selector)


@dataclass(frozen=True)
class Raised:
    """One notification as the app raised it."""

    message: str
    title: str
    severity: str


@pytest.fixture(autouse=True)
def notification_history(monkeypatch: pytest.MonkeyPatch) -> None:
    """Record every notification a ConsoleApp raises (passing each on unchanged), so tests
    see them even after their toast timed out on a slow machine."""
    from console.app import ConsoleApp

    original = ConsoleApp.notify

    def notify(self, message: str, **options) -> None:
        raised = Raised(message, options.get("title", ""), options.get("severity", "information"))
        self.__dict__.setdefault("notification_history", []).append(raised)
        original(self, message, **options)

    monkeypatch.setattr(ConsoleApp, "notify", notify)


def notifications(app) -> list:
    """Every notification the app has raised so far (those still shown, for other apps)."""
    history = app.__dict__.get("notification_history")
    return list(history) if history is not None else list(app._notifications)


def cell_texts(table) -> list[list[str]]:
    """Every row of a DataTable as plain strings."""
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


async def close_form(pilot) -> None:
    """Escape twice on a form or dialog with a text field: the first leaves the field (the
    focus policy), the second closes the form."""
    from console.ui.common.focus import is_field  # UI code, imported where a test needs it

    await pilot.press("escape")
    await wait_until(pilot, lambda: not is_field(pilot.app.focused))
    await pilot.press("escape")
