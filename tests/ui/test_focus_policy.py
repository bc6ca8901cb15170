"""The one focus policy, driven with Pilot against moto's server and this machine's files.

Every view opens with focus on its list (never a text field), so its number keys, ``q``,
``:`` and ``?`` answer at once; Escape in a field leaves the field and never cancels work;
a second Escape closes the form it is on; from a field the alt/ctrl forms and the palette
still reach every view.
"""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import Input

from console.app import make_app
from console.ui.buckets.view import BucketsView
from console.ui.common.focus import is_field
from console.ui.common.help import HelpScreen
from console.ui.common.jump_prompt import JumpPrompt
from console.ui.files.view import FilesView
from console.ui.jobs.form import JobFormScreen
from console.ui.main_screen import MainScreen
from console.ui.registry import VIEWS
from tests.ui.conftest import query_shown, wait_until
from tests.ui.test_quit_prompt import paused_transfer

pytestmark = pytest.mark.timeout(180)

SIZE = (140, 40)
VIEW_KEYS = {str(number): view for number, view in enumerate(VIEWS, start=1)}
#: where each view opens: its list (the Files view: the list of the panel shown, Count;
#: the GPU view: its GPUs, or its host picker while no GPU is listed, as on a machine
#: without nvidia-smi)
HOMES = {
    "instances": {"instances-table"},
    "buckets": {"buckets-table"},
    "jobs": {"jobs-table"},
    "gpu": {"gpu-list", "gpu-host-select"},
    "files": {"count-extensions"},
    "runs": {"runs-table"},
}


@pytest.fixture
def app(moto_settings, make_services):
    return make_app(moto_settings, make_services(moto_settings))


def shown_view(app):
    return app.screen_stack[0].current_view


async def open_view(pilot, key: str):
    """Press a view's number key; returns the view once it is shown and its list focused."""
    await pilot.press(key)
    view_class = VIEW_KEYS[key]
    view = await query_shown(pilot, view_class)
    await wait_until(pilot, lambda: shown_view(pilot.app) is view and view.display)
    await wait_until(pilot, lambda: pilot.app.focused is not None)
    return view


def focus_is_home(app, view) -> bool:
    """Focus is on the list ``view`` opens on (never a field)."""
    focused = app.focused
    return (
        focused is not None
        and not is_field(focused)
        and focused.id in HOMES[view.view_id]
        and view in focused.ancestors_with_self
    )


@pytest.mark.parametrize("key", list(VIEW_KEYS), ids=[view.view_id for view in VIEWS])
async def test_each_view_opens_on_its_list_and_the_global_keys_answer(app, key):
    async with app.run_test(size=SIZE) as pilot:
        view = await open_view(pilot, key)
        await wait_until(pilot, lambda: focus_is_home(app, view))
        assert not isinstance(app.focused, Input)

        # every view key switches views from here, each landing on its list
        for other_key, other_class in VIEW_KEYS.items():
            other = await open_view(pilot, other_key)
            assert isinstance(other, other_class)
            await wait_until(pilot, lambda other=other: focus_is_home(app, other))
        view = await open_view(pilot, key)
        await wait_until(pilot, lambda: focus_is_home(app, view))

        # `?` opens help, Escape closes it and focus is back on the list
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_until(pilot, lambda: focus_is_home(app, view))

        # `:` opens the jump prompt, which takes the view's name
        await pilot.press("colon")
        prompt = app.screen.query_one(JumpPrompt)
        await wait_until(pilot, lambda: prompt.display and app.focused is prompt)
        await pilot.press(*"gpu", "enter")
        gpu = await query_shown(pilot, VIEWS[3])
        await wait_until(pilot, lambda: shown_view(app) is gpu and focus_is_home(app, gpu))
        view = await open_view(pilot, key)
        await wait_until(pilot, lambda: focus_is_home(app, view))

        # nothing started here is under way: `q` ends the app without asking
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running)
        assert app.return_code == 0


async def test_files_view_is_no_trap(app):
    """The Files view opens on its list; a clicked field takes every printable key as text;
    Escape leaves the field for the list, and the view keys answer again."""
    async with app.run_test(size=SIZE) as pilot:
        view = await open_view(pilot, "5")
        assert isinstance(view, FilesView)
        await wait_until(pilot, lambda: focus_is_home(app, view))

        # the user clicks into the location field: now the keys are text
        await pilot.click("#count-location")
        location = app.screen.query_one("#count-location", Input)
        await wait_until(pilot, lambda: app.focused is location)
        await pilot.press(*"5q:?")
        assert location.value == "5q:?"
        assert shown_view(app) is view and isinstance(app.screen, MainScreen)

        # Escape leaves the field, what was typed stays
        await pilot.press("escape")
        await wait_until(pilot, lambda: focus_is_home(app, view))
        assert location.value == "5q:?"

        # a second Escape, now outside any field, keeps the app and the view
        await pilot.press("escape")
        assert app.is_running and shown_view(app) is view
        assert focus_is_home(app, view)

        # the view keys answer again
        buckets = await open_view(pilot, "2")
        await wait_until(pilot, lambda: focus_is_home(app, buckets))


async def test_escape_in_a_field_never_cancels_a_transfer_under_way(tmp_path, app):
    async with app.run_test(size=SIZE) as pilot:
        transfer = await paused_transfer(pilot, tmp_path)
        view = app.screen.query_one(FilesView)
        source = app.screen.query_one("#transfer-source", Input)
        queue = app.screen.query_one("#transfer-queue")
        await pilot.click("#transfer-source")
        await wait_until(pilot, lambda: app.focused is source)

        await pilot.press("escape")
        await wait_until(pilot, lambda: app.focused is queue)
        assert transfer.progress().state.active and not transfer.cancel_event.is_set()
        await pilot.press("escape")  # outside the field: still nothing is cancelled
        assert transfer.progress().state.active and not transfer.cancel_event.is_set()
        assert [work.what for work in view.active_work()] == [
            f"Transfer {transfer.id} {transfer.progress().source} → "
            f"{transfer.progress().destination} ({transfer.progress().state.value})"
        ]
        transfer.cancel()
        await wait_until(pilot, lambda: transfer.future.done())


async def test_coming_back_to_buckets_does_not_land_in_its_filter(s3, app):
    s3.create_bucket(Bucket="focus-data")
    async with app.run_test(size=SIZE) as pilot:
        buckets = await open_view(pilot, "2")
        assert isinstance(buckets, BucketsView)
        await wait_until(pilot, lambda: buckets.table.row_count >= 1)
        await wait_until(pilot, lambda: focus_is_home(app, buckets))
        await open_view(pilot, "5")
        await open_view(pilot, "2")
        await wait_until(pilot, lambda: focus_is_home(app, buckets))
        assert app.focused is buckets.table
        assert not is_field(app.focused)
        # its keys work at once: `1` leaves for Instances rather than being typed
        await open_view(pilot, "1")

        # browsing a bucket, coming back lands on its objects, not on the hidden filter
        await open_view(pilot, "2")
        await wait_until(pilot, lambda: focus_is_home(app, buckets))
        await pilot.press("enter")
        await wait_until(pilot, lambda: buckets.browsing)
        await wait_until(pilot, lambda: app.focused is buckets.browser.object_list)
        await open_view(pilot, "4")
        await pilot.press("2")
        await wait_until(pilot, lambda: shown_view(app) is buckets)
        await wait_until(pilot, lambda: app.focused is buckets.browser.object_list)
        assert not app.screen.query_one("#s3-filter").display


async def test_from_a_field_the_alt_and_ctrl_forms_reach_navigation(app):
    async with app.run_test(size=SIZE) as pilot:
        view = await open_view(pilot, "5")
        await pilot.click("#count-location")
        location = app.screen.query_one("#count-location", Input)
        await wait_until(pilot, lambda: app.focused is location)

        # alt+2 shows Buckets from the field; nothing is typed
        await pilot.press("alt+2")
        buckets = await query_shown(pilot, BucketsView)
        await wait_until(pilot, lambda: shown_view(app) is buckets)
        await wait_until(pilot, lambda: focus_is_home(app, buckets))
        assert location.value == ""

        # ctrl+g opens the jump prompt from a field
        await open_view(pilot, "5")
        await pilot.click("#count-location")
        await wait_until(pilot, lambda: app.focused is location)
        await pilot.press("ctrl+g")
        prompt = app.screen.query_one(JumpPrompt)
        await wait_until(pilot, lambda: prompt.display and app.focused is prompt)
        await pilot.press(*"files", "enter")
        await wait_until(pilot, lambda: focus_is_home(app, view))

        # f1 opens help from a field
        await pilot.click("#count-location")
        await wait_until(pilot, lambda: app.focused is location)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert location.value == ""


def palette_titles(app) -> list[str]:
    palette = app.screen
    assert isinstance(palette, CommandPalette)
    options = palette.query_one("CommandList")
    # each option: its title, then its help line
    prompts = (options.get_option_at_index(i).prompt for i in range(options.option_count))
    return [str(prompt).split("\n")[0] for prompt in prompts]


async def test_the_palette_offers_the_views_from_a_field_and_over_a_form(app):
    titles = [view.title for view in VIEWS] + ["Help", "Quit"]
    async with app.run_test(size=SIZE) as pilot:
        await open_view(pilot, "5")
        await pilot.click("#count-location")
        await wait_until(pilot, lambda: is_field(app.focused))
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await wait_until(pilot, lambda: set(titles) <= set(palette_titles(app)))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        # the palette closed, the field has focus again: Escape leaves it for the list
        await wait_until(pilot, lambda: is_field(app.focused))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not is_field(app.focused))

        # over the new-job form, the palette still offers every view; choosing one closes
        # the form and shows the view
        await open_view(pilot, "3")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, JobFormScreen))
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await wait_until(pilot, lambda: set(titles) <= set(palette_titles(app)))
        await pilot.press(*"Buckets")
        await wait_until(pilot, lambda: palette_titles(app)[:1] == ["Buckets"])
        await pilot.press("enter")
        buckets = await query_shown(pilot, BucketsView)
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_until(pilot, lambda: shown_view(app) is buckets)
        assert not any(isinstance(s, JobFormScreen) for s in app.screen_stack)
