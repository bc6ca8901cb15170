"""--read-only is visible and enforced; destructive actions ask first.

No view has a destructive action yet, so these call ``app.run_destructive`` the way the
instance and job views will, and drive the dialog with keys.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from console.app import make_app
from console.ui.common.confirm import ConfirmScreen
from console.ui.main_screen import MainScreen
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


# --- the services refuse too, at the moment the action runs --------------------------------------


@pytest.fixture
def jobs_app(tmp_path, aws_endpoint, tmux_socket, make_services, local_host):
    from tests.ui.test_jobs_view import app_builder

    return app_builder(tmp_path, aws_endpoint, tmux_socket, make_services, local_host)


async def test_a_kill_confirmed_after_locking_is_refused_by_the_services(jobs_app, local_jobs):
    """The dialog was opened while writable; the session is locked (ctrl+l's action: the
    dialog holds the keys meanwhile) before the yes: the jobs backend itself refuses the
    kill (the view's own check had passed before asking), and unlocking allows it."""
    from console.models import JobSpec, JobState
    from tests.integration.test_jobs import wait_finished
    from tests.ui.conftest import wait_until
    from tests.ui.test_jobs_view import select, show_jobs

    job = local_jobs.start(JobSpec(command=("sleep", "600"), name="precious"))
    app = jobs_app()
    async with app.run_test(size=(180, 40)) as pilot:
        await show_jobs(pilot)
        await select(pilot, job.id)
        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        app.action_toggle_read_only()
        await wait_until(pilot, lambda: app.read_only and app.services.read_only)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: any(
                n.title == "Read-only" and f"Refusing to kill job {job.id!r}" in n.message
                for n in notifications(app)
            ),
        )
        assert local_jobs.get(job.id).status.state is JobState.RUNNING

        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: not app.read_only and not app.services.read_only)
        await select(pilot, job.id)
        await pilot.press("k")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        assert wait_finished(local_jobs, job.id).status.state is JobState.EXITED


async def test_a_read_only_console_hands_the_ui_guarded_services(read_only_app, s3):
    """Whatever a view calls, the bundle it was given refuses the change itself."""
    from console.errors import ReadOnlyError

    s3.create_bucket(Bucket="kept")
    s3.put_object(Bucket="kept", Key="a.txt", Body=b"a")
    app = read_only_app
    async with app.run_test(size=(120, 40)):
        with pytest.raises(ReadOnlyError, match="delete s3://kept/a.txt"):
            app.services.s3.delete("kept", "a.txt")
        with pytest.raises(ReadOnlyError, match="unmount local:/mnt/x"):
            app.services.mounts.unmount("local", "/mnt/x")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="kept")["Contents"]] == ["a.txt"]


async def test_an_upload_from_the_bucket_browser_is_refused_and_a_download_runs(
    read_only_app, s3, tmp_path
):
    """The browser asks nothing before a copy: the S3 backend it was given decides."""
    from console.ui.buckets.path_prompt import S3PathPrompt
    from tests.ui.conftest import wait_until
    from tests.ui.test_s3_browser import goto, names, open_bucket, seed

    seed(s3)
    source = tmp_path / "model.pt"
    source.write_bytes(b"weights")
    app = read_only_app
    async with app.run_test(size=(140, 40)) as pilot:
        b = await open_bucket(pilot, app)
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, S3PathPrompt))
        app.screen.query_one("#s3-path-input").value = str(source)
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: any(n.title == "Read-only" and "model.pt" in n.message
                        for n in notifications(app)),
        )  # fmt: skip
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="deepfashion-data")["Contents"]]
        assert "model.pt" not in keys

        out = tmp_path / "out"
        out.mkdir()
        await goto(pilot, b, "README.txt")
        assert "README.txt" in names(b)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, S3PathPrompt))
        app.screen.query_one("#s3-path-input").value = str(out)
        await pilot.press("enter")
        await wait_until(pilot, lambda: (out / "README.txt").exists())
        assert (out / "README.txt").read_bytes() == b"readme\n"
