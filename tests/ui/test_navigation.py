"""Keys in, widget state out: views, the ``:`` prompt, help, palette and the keymap."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import TabbedContent

from console.app import make_app
from console.ui.common.help import HelpScreen
from console.ui.common.jump_prompt import JumpPrompt
from console.ui.main_screen import MainScreen
from tests.ui.conftest import notifications, wait_until

pytestmark = pytest.mark.timeout(120)


def active_view(app) -> str:
    return app.screen.query_one("#views", TabbedContent).active


@pytest.fixture
def app(moto_settings, make_services):
    return make_app(moto_settings, make_services(moto_settings))


@pytest.mark.slow
async def test_number_keys_switch_views(app):
    async with app.run_test(size=(120, 40)) as pilot:
        assert active_view(app) == "instances"
        for key, view_id in [
            ("2", "buckets"),
            ("3", "jobs"),
            ("4", "gpu"),
            ("5", "files"),
            ("1", "instances"),
        ]:
            await pilot.press(key)
            await pilot.pause()
            assert active_view(app) == view_id
            assert isinstance(app.screen, MainScreen)
            assert app.screen.current_view.view_id == view_id


async def test_files_view_says_when_nothing_was_transferred(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5", "t")
        await pilot.pause()
        status = app.screen.current_view.query_one("#transfer-status")
        assert "No transfers yet" in str(status.render())


@pytest.mark.parametrize(
    "typed, expected",
    [("buckets", "buckets"), ("gpu", "gpu"), ("s3", "buckets"), ("fil", "files"), ("JOBS", "jobs")],
)
async def test_colon_prompt_jumps_by_name_alias_or_prefix(app, typed, expected):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon")
        prompt = app.screen.query_one(JumpPrompt)
        assert prompt.display and prompt.has_focus
        await pilot.press(*typed, "enter")
        await pilot.pause()
        assert active_view(app) == expected
        assert not prompt.display


async def test_colon_prompt_completes_with_tab(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon", "b", "u")
        prompt = app.screen.query_one(JumpPrompt)
        await wait_until(pilot, lambda: prompt._suggestion == "buckets")
        await pilot.press("tab")
        assert prompt.value == "buckets"
        await pilot.press("enter")
        await pilot.pause()
        assert active_view(app) == "buckets"


async def test_colon_prompt_names_an_unknown_view_and_stays_put(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2", "colon", *"nosuch", "enter")
        await pilot.pause()
        assert active_view(app) == "buckets"
        messages = [n.message for n in notifications(app)]
        assert any("'nosuch'" in m and "instances" in m for m in messages)


async def test_escape_closes_the_prompt_without_jumping(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon", "g", "escape")
        await pilot.pause()
        assert not app.screen.query_one(JumpPrompt).display
        assert active_view(app) == "instances"
        assert app.focused is app.screen.query_one("#instances-table")  # its keys are live
        await pilot.press("2")  # keys reach the screen again
        assert active_view(app) == "buckets"


async def test_help_lists_view_and_global_keys_and_closes(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = [
            tuple(str(c) for c in app.screen.query_one("#help-table").get_row_at(i))
            for i in range(app.screen.query_one("#help-table").row_count)
        ]
        assert ("Instances view", "r", "Refresh", "Load this view again") in rows
        actions = {(key, row[2]) for row in rows for key in row[1].split(", ")}
        assert {("q", "Quit"), ("?", "Help"), (":", "Jump"), ("2", "Buckets")} <= actions
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_palette_offers_every_action(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        option_list = app.screen.query_one("CommandList")
        await wait_until(pilot, lambda: option_list.option_count >= 10)
        titles = [
            str(option_list.get_option_at_index(i).prompt).splitlines()[0]
            for i in range(option_list.option_count)
        ]
        for title in [
            "Instances",
            "Buckets",
            "Jobs",
            "GPU",
            "Files",
            "Jump",
            "Help",
            "Quit",
            "Read-only",
            "Refresh (Instances view)",
        ]:
            assert title in titles


async def test_palette_command_runs_its_action(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"buckets")
        option_list = app.screen.query_one("CommandList")
        await wait_until(pilot, lambda: option_list.option_count > 0)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_until(pilot, lambda: active_view(app) == "buckets")


async def test_keymap_from_settings_remaps_bindings(moto_settings, make_services):
    from dataclasses import replace

    settings = replace(moto_settings, keymap={"view.buckets": "b", "help.open": "f1"})
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await pilot.pause()
        assert active_view(app) == "instances"  # the old key no longer switches
        await pilot.press("b")
        await pilot.pause()
        assert active_view(app) == "buckets"
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-table")
        rows = [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        # the remapped key is listed for the view (beside alt+2, its form from a field)
        assert any("b" in row[1].split(", ") and row[2] == "Buckets" for row in rows)
        assert not any("2" in row[1].split(", ") and row[2] == "Buckets" for row in rows)


async def test_keymap_with_an_unknown_binding_id_is_named(moto_settings, make_services):
    from dataclasses import replace

    settings = replace(moto_settings, keymap={"view.bukets": "b", "app.quit": "x"})
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        errors = [n for n in notifications(app) if n.severity == "error"]
        assert any("'view.bukets'" in n.message and "view.buckets" in n.message for n in errors)
        await pilot.press("q")  # the good entry is applied: q no longer quits, x does
        await pilot.pause()
        assert app.is_running
        await pilot.press("x")
        await pilot.pause()
        assert not app.is_running
