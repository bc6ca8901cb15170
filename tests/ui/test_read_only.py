"""--read-only is visible and enforced; destructive actions ask first.

No view has a destructive action yet, so these call ``app.run_destructive`` the way the
instance and job views will, and drive the dialog with keys.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from console.app import make_app
from console.ui.screens.confirm import ConfirmScreen
from console.ui.screens.main import MainScreen
from tests.ui.conftest import notifications

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def read_only_app(moto_settings, make_services):
    settings = replace(moto_settings, read_only=True)
    return make_app(settings, make_services(settings))


@pytest.fixture
def writable_app(moto_settings, make_services):
    return make_app(moto_settings, make_services(moto_settings))


async def test_read_only_shows_in_the_header_and_refuses(read_only_app):
    app = read_only_app
    done: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        assert "READ-ONLY" in app.sub_title
        app.run_destructive("Terminate fashion-train", lambda: done.append("terminated"))
        await pilot.pause()
        assert done == []
        assert isinstance(app.screen, MainScreen)  # not even asked
        refusals = [n for n in notifications(app) if n.title == "Read-only"]
        assert any("Terminate fashion-train was refused" in n.message for n in refusals)


async def test_a_read_only_start_cannot_be_unlocked(read_only_app):
    app = read_only_app
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.read_only and "READ-ONLY" in app.sub_title
        assert any("--read-only" in n.message for n in notifications(app))


async def test_writable_session_can_lock_itself(writable_app):
    app = writable_app
    done: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        assert "READ-ONLY" not in app.sub_title
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert "READ-ONLY" in app.sub_title
        app.run_destructive("Delete checkpoints", lambda: done.append("deleted"))
        await pilot.pause()
        assert done == [] and isinstance(app.screen, MainScreen)


async def test_confirm_dialog_runs_the_action_only_on_yes(writable_app):
    app = writable_app
    done: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_destructive("Stop fashion-train", lambda: done.append("stopped"))
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert done == [] and isinstance(app.screen, MainScreen)

        app.run_destructive("Stop fashion-train", lambda: done.append("stopped"))
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert done == []

        app.run_destructive("Stop fashion-train", lambda: done.append("stopped"))
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert done == ["stopped"] and isinstance(app.screen, MainScreen)


async def test_typed_confirmation_needs_the_exact_name(writable_app):
    app = writable_app
    done: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_destructive(
            "Terminate fashion-train",
            lambda: done.append("terminated"),
            typed_confirmation="fashion-train",
        )
        await pilot.pause()
        await pilot.press(*"fashion", "enter")
        await pilot.pause()
        assert done == [] and isinstance(app.screen, ConfirmScreen)
        await pilot.press(*"-train", "enter")
        await pilot.pause()
        assert done == ["terminated"] and isinstance(app.screen, MainScreen)
