"""Forms remember, beyond the new-job form: the train form, the five Files panels and the
launch wizard each come back with what they were last asked to do, through the same
``forms.json`` in the state folder (kept from one run of the console to the next). Every
submit here is one the form refuses (a bad field, a missing one) or cheap work: what was
typed is kept all the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from textual.widgets import Button, Checkbox, Input, Select

from console.app import make_app
from console.services.form_memory import form_name
from console.settings import JobsSettings, RunsSettings
from console.ui.files.view import FilesView
from console.ui.instances.launch_wizard import NEW_KEY, LaunchWizardScreen
from console.ui.main_screen import MainScreen
from console.ui.runs.train_form import TrainFormScreen
from console.ui.runs.view import RunsView
from tests.ui.conftest import close_form, query_shown, wait_until
from tests.ui.test_files_view import open_files

pytestmark = pytest.mark.timeout(180)

SIZE = (160, 50)


def values_of(screen, ids) -> dict[str, object]:
    """The value of each widget (Input text, Select choice, Switch or Checkbox state)."""
    return {widget_id: screen.query_one(f"#{widget_id}").value for widget_id in ids}


def fill(screen, values: dict[str, object]) -> None:
    for widget_id, value in values.items():
        screen.query_one(f"#{widget_id}").value = value


def remembered(state_folder: Path) -> dict:
    return json.loads((state_folder / "forms.json").read_text(encoding="utf-8"))


# --- the train form -----------------------------------------------------------------------

TRAIN_TYPED = {
    "trainform-hosts": "local, gpu-b", "trainform-gpus": "all", "trainform-source": "s3",
    "trainform-data": "data/fashion", "trainform-cwd": "~/work", "trainform-s3": "s3://b/p/",
    "trainform-epochs": "twelve", "trainform-batch": "8", "trainform-lr": "0.01",
    "trainform-size": "128", "trainform-amp": False, "trainform-name": "remembered",
    "trainform-more": "--width 0.5", "trainform-master-addr": "10.0.0.9",
    "trainform-master-port": "29411",
}  # fmt: skip


@pytest.fixture
def train_app(tmp_path: Path, moto_settings, make_services, local_host, tmux_socket):
    def build():
        settings = moto_settings.with_overrides(
            jobs=JobsSettings(tmux_socket=tmux_socket),
            runs=RunsSettings(ledger=str(tmp_path / "runs.jsonl"), cache_dir=str(tmp_path / "c")),
        )
        services = make_services(settings)
        services.hosts.register("local", local_host)
        return make_app(settings, services)

    return build


async def open_train_form(pilot) -> TrainFormScreen:
    await pilot.press("6")
    view = await query_shown(pilot, RunsView)
    await wait_until(pilot, lambda: view.loaded_once)
    await pilot.press("t")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, TrainFormScreen))
    return pilot.app.screen


async def test_the_train_form_comes_back_as_last_submitted(train_app, state_folder: Path):
    async with train_app().run_test(size=SIZE) as pilot:
        form = await open_train_form(pilot)
        assert form.query_one("#trainform-name", Input).value == "train"  # nothing kept yet
        fill(form, TRAIN_TYPED)
        await pilot.press("ctrl+s")  # refused: the epochs are no number
        await wait_until(
            pilot, lambda: "Epochs" in str(form.query_one("#trainform-error").render())
        )
        assert values_of(form, TRAIN_TYPED) == TRAIN_TYPED  # the form stays, as typed
        await close_form(pilot)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, MainScreen))

        form = await open_train_form(pilot)  # closed and opened again
        assert values_of(form, TRAIN_TYPED) == TRAIN_TYPED
        # the run folder is a new one (two runs never share one)
        assert form.query_one("#trainform-run-dir", Input).value.startswith("runs/remembered-")

    kept = remembered(state_folder)["train"]
    assert "run-dir" not in kept and kept["amp"] == "off"

    async with train_app().run_test(size=SIZE) as pilot:  # a new console, the same state
        form = await open_train_form(pilot)
        assert values_of(form, TRAIN_TYPED) == TRAIN_TYPED


# --- the Files panels ---------------------------------------------------------------------


@pytest.fixture
def files_app(moto_settings, make_services):
    return lambda: make_app(moto_settings, make_services(moto_settings))


async def submit_on(pilot, view: FilesView, panel_id: str, values: dict[str, object]) -> None:
    """Show the panel, fill it in and start its work (ctrl+r, as a user would)."""
    view.action_show_panel(panel_id)
    await pilot.pause()
    fill(pilot.app.screen, values)
    await pilot.pause()
    await pilot.press("ctrl+r")
    await pilot.pause()


async def test_every_files_panel_comes_back_with_its_last_values(
    tmp_path: Path, files_app, state_folder: Path
):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    panels = {
        # a real count of a small folder, a real comparison
        "files-count": {"count-location": str(tmp_path / "a"), "count-recursive": False,
                        "count-by-ext": False},
        "files-compare": {"compare-a": str(tmp_path / "a"), "compare-b": f"local:{tmp_path}/b",
                          "compare-c": "", "compare-recursive": False, "compare-by-path": True},
        # refused: archives are not unpacked in S3
        "files-unpack": {"unpack-location": "s3://bucket/archives", "unpack-parallel": "3",
                         "unpack-dest": "out"},
        # refused: no destination
        "files-transfers": {"transfer-source": f"{tmp_path}/a", "transfer-destination": "",
                            "transfer-recursive": False, "transfer-policy": "keep-both"},
        # refused: the mount point is not absolute
        "files-mounts": {"mount-host": "local", "mount-bucket": "data", "mount-prefix": "img",
                         "mount-point": "relative/point", "mount-use_cache": "/tmp/cache",
                         "mount-uid": "1000", "mount-mp_umask": "0077",
                         "mount-multireq_max": "9", "mount-allow-other": True,
                         "mount-mkdir": False},
    }  # fmt: skip
    async with files_app().run_test(size=SIZE) as pilot:
        view = await open_files(pilot)
        for panel_id, values in panels.items():
            await submit_on(pilot, view, panel_id, values)
        await wait_until(pilot, lambda: "must be an absolute path" in str(
            pilot.app.screen.query_one("#mount-status").render()))  # fmt: skip
        assert set(remembered(state_folder)) == {
            "files-count", "files-compare", "files-unpack", "files-transfer", "files-mount"}  # fmt: skip

    async with files_app().run_test(size=SIZE) as pilot:  # a new console, the same state
        await open_files(pilot)
        screen = pilot.app.screen
        shown = {panel_id: values_of(screen, values) for panel_id, values in panels.items()}
    assert shown == panels


# --- the launch wizard ----------------------------------------------------------------------


async def open_wizard(pilot) -> LaunchWizardScreen:
    app = pilot.app
    await wait_until(pilot, lambda: app.screen.query("#instances-table"))
    await pilot.press("L")
    await wait_until(pilot, lambda: isinstance(app.screen, LaunchWizardScreen))
    await wait_until(pilot, lambda: app.screen.choices is not None)
    return app.screen


async def test_the_launch_wizard_comes_back_with_its_last_choices(
    moto_settings, make_services, tmp_path, monkeypatch, ec2
):
    monkeypatch.setenv("HOME", str(tmp_path))  # no key of the user's is offered
    build = lambda: make_app(moto_settings, make_services(moto_settings))  # noqa: E731
    async with build().run_test(size=(160, 60)) as pilot:
        wizard = await open_wizard(pilot)
        images = wizard.choices.images
        assert len(images) > 1
        typed = {
            "launch-ami": images[-1].image_id,  # not the newest, which comes first
            "launch-type": "g5.xlarge", "launch-key": NEW_KEY,
            "launch-key-name": "remembered-key", "launch-cidr": "203.0.113.7",
            "launch-spot": True, "launch-volume": "150",
        }  # fmt: skip
        fill(wizard, typed)
        await pilot.pause()
        # refused: the instance has no Name. Enter on the focused button, not a click: the
        # new key's name field the fill revealed moves the button once the layout catches up
        wizard.query_one("#launch-go", Button).focus()
        await pilot.press("enter")
        status = lambda: str(wizard.query_one("#launch-status").render())  # noqa: E731
        await wait_until(pilot, lambda: "Name" in status())
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, LaunchWizardScreen))

        wizard = await open_wizard(pilot)  # opened again: as chosen, but with no Name
        await wait_until(pilot, lambda: wizard.query_one("#launch-type", Select).value
                         == "g5.xlarge")  # fmt: skip
        assert values_of(wizard, typed) == typed
        assert wizard.query_one("#launch-name", Input).value == ""

    async with build().run_test(size=(160, 60)) as pilot:  # a new console, the same state
        wizard = await open_wizard(pilot)
        await wait_until(pilot, lambda: wizard.query_one("#launch-type", Select).value
                         == "g5.xlarge")  # fmt: skip
        assert values_of(wizard, typed) == typed
        assert isinstance(wizard.query_one("#launch-spot"), Checkbox)


def test_the_demo_remembers_its_forms_apart_from_an_account():
    """Its sandboxed hosts and folders must never fill in an account's form (nor the reverse)."""
    assert form_name("train", SimpleNamespace(demo=object())) == "train (demo)"
    assert form_name("train", SimpleNamespace(demo=None)) == "train"


@pytest.mark.slow
async def test_the_demo_train_form_keeps_its_endpoints_options_not_remembered_ones(
    demo_console,
):
    """The demo's trainer options name its endpoint's metadata stand-in (a port of its own):
    a remembered one, of an endpoint gone since, would send the spot watch elsewhere."""
    from console.services.form_memory import FormMemory

    stale = "--spot-watch on --imds-endpoint http://127.0.0.1:9/_awsconsole/imds/fashion-train"
    FormMemory().remember("train (demo)", {"more": stale, "epochs": "7"})
    app, services = demo_console()
    async with app.run_test(size=SIZE) as pilot:
        form = await open_train_form(pilot)
        more = form.query_one("#trainform-more", Input).value
        epochs = form.query_one("#trainform-epochs", Input).value
        endpoint = services.settings.endpoint_url

    assert f"--imds-endpoint {endpoint}/_awsconsole/imds/fashion-train" in more
    assert ":9/" not in more
    assert epochs == "7"  # the rest is remembered as ever
