"""The one quit policy, driven with Pilot: ``q`` never loses work.

A real transfer (a big local file copied to a local folder through the Files view) is kept
under way by pausing it, so the app's own state says it is active for as long as the test
needs; ``q`` then asks first, naming it and what quitting does to it. ``q`` on a form or a
wizard closes that, not the app; a field that takes ``q`` as a letter keeps it.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from console.app import make_app
from console.models import TransferState
from console.ui.buckets.view import BucketsView
from console.ui.common.confirm import ConfirmScreen
from console.ui.files.transfer_panel import TransferPanel
from console.ui.files.view import FilesView
from console.ui.instances.launch_wizard import LaunchWizardScreen
from console.ui.instances.view import InstancesView
from console.ui.jobs.form import JobFormScreen
from console.ui.jobs.view import JobsView
from console.ui.main_screen import MainScreen
from tests.ui.conftest import query_shown, wait_until

pytestmark = pytest.mark.timeout(180)

SIZE = (140, 40)
#: big enough that the copy is still going when the test pauses it a few messages later
BIG = 2 * 1024 * 1024 * 1024


@pytest.fixture
def app(moto_settings, make_services):
    return make_app(moto_settings, make_services(moto_settings))


async def open_view(pilot, key: str, view_class):
    await pilot.press(key)
    view = await query_shown(pilot, view_class)
    await wait_until(pilot, lambda: pilot.app.screen_stack[0].current_view is view)
    return view


async def paused_transfer(pilot, tmp_path):
    """Start copying a big sparse file to a local folder and pause it at once: returns the
    transfer's handle, under way (paused) until the test resumes or cancels it."""
    source = tmp_path / "big.bin"
    with open(source, "wb") as handle:
        handle.truncate(BIG)
    target = tmp_path / "received"
    target.mkdir()
    app = pilot.app
    await open_view(pilot, "5", FilesView)
    await pilot.press("t")
    panel = app.screen.query_one(TransferPanel)
    app.screen.query_one("#transfer-source", Input).value = str(source)
    destination = app.screen.query_one("#transfer-destination", Input)
    destination.value = f"local:{target}/"
    destination.focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(panel.handles) == 1)
    transfer = panel.handles[0]
    transfer.pause()
    assert not transfer.future.done(), "the copy ended before it could be paused"
    assert transfer.progress().state.active
    return transfer


async def test_q_asks_first_while_a_transfer_is_under_way_and_no_keeps_the_app(tmp_path, app):
    async with app.run_test(size=SIZE) as pilot:
        transfer = await paused_transfer(pilot, tmp_path)
        view = app.screen.query_one(FilesView)
        view.focus_home()
        await wait_until(pilot, lambda: app.focused is app.screen.query_one("#transfer-queue"))

        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = app.screen
        assert "1 thing is under way" in question.what
        assert f"Transfer {transfer.id}" in question.detail
        assert "big.bin" in question.detail
        assert "stops; copying the same again resumes it" in question.detail

        # no: the app and the transfer stay
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.is_running
        assert transfer.progress().state.active and not transfer.future.done()

        # asked again, `q` on the question answers it no as Escape would
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.is_running

        # once the work is over, `q` quits without asking
        transfer.cancel()
        await wait_until(pilot, lambda: transfer.future.done())
        await wait_until(pilot, lambda: not view.active_work())
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running)
    assert transfer.future.result().state is TransferState.CANCELLED


async def test_yes_quits_and_the_transfer_stops(tmp_path, app):
    async with app.run_test(size=SIZE) as pilot:
        transfer = await paused_transfer(pilot, tmp_path)
        app.screen.query_one(FilesView).focus_home()
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running)
    # quitting stopped the copy: it ends cancelled, nothing half-written left behind
    assert transfer.result(timeout=30).state is TransferState.CANCELLED
    assert list((tmp_path / "received").rglob("*")) == []


async def test_q_in_a_field_is_a_letter(tmp_path, app):
    async with app.run_test(size=SIZE) as pilot:
        await open_view(pilot, "5", FilesView)
        await query_shown(pilot, "#count-location")  # the panel is built a moment after the view
        await pilot.click("#count-location")
        field = app.screen.query_one("#count-location", Input)
        await wait_until(pilot, lambda: app.focused is field)
        await pilot.press(*"sqq")
        assert field.value == "sqq"
        assert app.is_running and isinstance(app.screen, MainScreen)


async def test_q_closes_the_launch_wizard_not_the_app(app):
    async with app.run_test(size=SIZE) as pilot:
        await open_view(pilot, "1", InstancesView)
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, LaunchWizardScreen))
        wizard = app.screen
        # the wizard's name field takes q as a letter
        name = wizard.query_one("#launch-name", Input)
        name.focus()
        await pilot.press("q")
        assert name.value == "q" and app.screen is wizard
        # out of the field (Escape leaves it; the wizard stays), q closes the wizard
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.focused, Input))
        assert app.screen is wizard
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.is_running
        assert wizard not in app.screen_stack
        # back on the list: the view keys answer at once
        await wait_until(pilot, lambda: app.focused is app.screen.query_one("#instances-table"))
        await open_view(pilot, "2", BucketsView)


async def test_q_closes_the_new_job_form_not_the_app(app):
    async with app.run_test(size=SIZE) as pilot:
        await open_view(pilot, "3", JobsView)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, JobFormScreen))
        form = app.screen
        field = app.focused
        assert isinstance(field, Input)
        await pilot.press("q")
        assert field.value.endswith("q") and app.screen is form
        # the first Escape leaves the field, the form stays; then q closes it
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.focused, Input))
        assert app.screen is form
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.is_running and form not in app.screen_stack
        # back on the list: the view keys answer at once
        await wait_until(pilot, lambda: app.focused is app.screen.query_one("#jobs-table"))
        await open_view(pilot, "5", FilesView)


async def test_second_escape_closes_the_form(app):
    async with app.run_test(size=SIZE) as pilot:
        await open_view(pilot, "3", JobsView)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, JobFormScreen))
        form = app.screen
        assert isinstance(app.focused, Input)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.focused, Input))
        assert app.screen is form
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.is_running
