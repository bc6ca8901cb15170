"""A few pictures of screens whose content does not change from run to run.

Views with cloud data are left out on purpose: instance ids, addresses and dates differ in
every run. Update after an intended change with ``pytest tests/ui --snapshot-update``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from console.app import make_app
from console.ui.common.confirm import ConfirmScreen
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def stable_app(moto_settings, make_services):
    services = make_services(moto_settings)
    # the header names the endpoint, whose port changes per run: show a fixed target
    services.settings = replace(services.settings, endpoint_url=None)
    return make_app(moto_settings, services)


def test_files_view_empty_state(snap_compare, stable_app):
    assert snap_compare(stable_app, press=["5"], terminal_size=(100, 24))


def test_help_screen_on_the_files_view(snap_compare, stable_app):
    assert snap_compare(stable_app, press=["5", "question_mark"], terminal_size=(100, 30))


def test_confirm_dialog_with_typed_name(snap_compare, stable_app):
    async def ask(pilot) -> None:
        def instances_loaded() -> bool:  # "No instances…" on screen, not "Loading…"
            views = pilot.app.screen.query("#view-instances")
            return bool(views) and views.first().loaded_once

        await wait_until(pilot, instances_loaded)
        pilot.app.run_destructive(
            "Terminate fashion-train",
            lambda: None,
            detail="The instance and its root volume are deleted.",
            typed_confirmation="fashion-train",
        )

        def asking() -> bool:  # the dialog up, its field focused (the cursor is in the picture)
            screen = pilot.app.screen
            return isinstance(screen, ConfirmScreen) and pilot.app.focused is not None and (
                pilot.app.focused.id == "confirm-typed")

        await wait_until(pilot, asking)
        await pilot.pause()

    assert snap_compare(stable_app, run_before=ask, terminal_size=(100, 24))
