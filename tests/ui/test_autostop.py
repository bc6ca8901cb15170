"""Autostop in the console, driven with Pilot: EC2 is moto's server, each instance is this
machine (as the demo maps them) whose stand-in nvidia-smi replays a recording of its own."""

from __future__ import annotations

import pytest

from console.app import make_app
from console.hosts import LocalHost
from console.models import AutoStopPhase
from console.settings import Settings
from console.ui.gpu.view import GpuView
from console.ui.main_screen import MainScreen
from tests.fixtures.moto_server import instance_state, launch
from tests.fixtures.nvidia_smi import RECORDINGS, make_standin
from tests.ui.conftest import notifications, wait_until

pytestmark = pytest.mark.timeout(120)

IDLE_A10G = "query-gpu_synthetic_2gpu_a10g_idle.txt"
BUSY_A100_X8 = "query-gpu_synthetic_8gpu_a100_training.txt"
NO_APPS = "compute-apps_h100-80gb-hbm3_590.48.01_idle_empty.txt"
#: 0.3 s: the recordings' frames come every 0.1 s
SHORT = 0.005


@pytest.fixture
def autostop_settings(tmp_path, aws_endpoint, standin_dir):
    """Settings with the stand-in as ``[gpu] nvidia_smi`` and ``[idle] autostop_minutes``."""

    def build(minutes: float, *, read_only: bool = False) -> Settings:
        smi = make_standin(standin_dir, query_gpu=IDLE_A10G, compute_apps=NO_APPS)
        config = tmp_path / "config.toml"
        config.write_text(
            f'[gpu]\nnvidia_smi = "{smi}"\ninterval_ms = 100\napps_interval_seconds = 0.2\n'
            f"[idle]\nautostop_minutes = {minutes}\nperiod_minutes = {SHORT}\n"
        )
        return Settings.load(config, environ={}).with_overrides(
            endpoint_url=aws_endpoint, region="us-east-1", refresh_interval=0, read_only=read_only
        )

    return build


def replaying(name: str, recording: str) -> LocalHost:
    """This machine as an instance whose nvidia-smi replays ``recording``."""
    return LocalHost(name=name, env={"NVIDIA_SMI_RECORDING": str(RECORDINGS / recording)})


def autostop_notes(app) -> list:
    return [n for n in notifications(app) if n.title == "Autostop"]


async def test_the_idle_instance_is_stopped_and_the_busy_one_left_running(
    ec2, autostop_settings, make_services
):
    idle = launch(ec2, "fashion-train", "g5.xlarge")
    busy = launch(ec2, "busy-train", "g5.xlarge")
    settings = autostop_settings(SHORT)
    services = make_services(settings)
    services.hosts.register(idle, replaying("fashion-train", IDLE_A10G))
    services.hosts.register(busy, replaying("busy-train", BUSY_A100_X8))
    app = make_app(settings, services)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: instance_state(ec2, idle) in ("stopping", "stopped"))
        await wait_until(pilot, lambda: autostop_notes(app))
        [note] = autostop_notes(app)
        assert note.message.startswith(
            f"Stopping fashion-train ({idle}): its 2 GPUs were under 5 %"
        )
        assert "spent idle" in note.message  # the on-demand g5.xlarge has a listed price
        assert app.autostop.status(idle).phase is AutoStopPhase.STOPPING
        # the busy one is watched for many periods (frames every 0.1 s, 0.3 s periods)…
        period = app.autostop.policy.period_s

        def busy_seen() -> bool:
            status = app.autostop.status(busy)
            return (
                status is not None and status.frames >= 30 and status.watched_seconds > 5 * period
            )

        await wait_until(pilot, busy_seen)
        # …and never stopped
        assert app.autostop.status(busy).phase is AutoStopPhase.BUSY
        assert instance_state(ec2, busy) == "running"
        assert len(autostop_notes(app)) == 1
        assert "autostop 0.3s" in app.sub_title


async def test_the_gpu_view_says_what_autostop_will_do(ec2, autostop_settings, make_services):
    idle = launch(ec2, "fashion-train", "g5.xlarge")
    busy = launch(ec2, "busy-train", "g5.xlarge")
    settings = autostop_settings(30)
    services = make_services(settings)
    services.hosts.register(idle, replaying("fashion-train", IDLE_A10G))
    services.hosts.register(busy, replaying("busy-train", BUSY_A100_X8))
    app = make_app(settings, services)
    async with app.run_test(size=(100, 30)) as pilot:
        assert "autostop 30m" in app.sub_title
        await pilot.press("4")
        await wait_until(pilot, lambda: app.screen.query_one(GpuView))
        view = app.screen.query_one(GpuView)

        def line() -> str:
            return str(app.screen.query_one("#gpu-autostop").render())

        await wait_until(pilot, lambda: idle in view.instances and busy in view.instances)
        view.query_one("GpuHostPicker").choose(idle)
        head = "Autostop: stops fashion-train after 30 min idle — idle "
        await wait_until(pilot, lambda: line().startswith(head) and line().endswith(" now"))
        view.query_one("GpuHostPicker").choose(busy)
        await wait_until(
            pilot, lambda: line() == "Autostop: stops busy-train after 30 min idle — GPUs busy"
        )
        assert instance_state(ec2, idle) == "running"  # 30 minutes are far away


async def test_read_only_never_stops_and_says_autostop_is_off(
    ec2, autostop_settings, make_services
):
    idle = launch(ec2, "fashion-train", "g5.xlarge")
    settings = autostop_settings(SHORT, read_only=True)
    services = make_services(settings)
    services.hosts.register(idle, replaying("fashion-train", IDLE_A10G))
    app = make_app(settings, services)
    async with app.run_test(size=(100, 30)) as pilot:
        assert "autostop off (read-only)" in app.sub_title
        await pilot.press("4")
        await wait_until(pilot, lambda: app.screen.query_one(GpuView))
        view = app.screen.query_one(GpuView)
        await wait_until(pilot, lambda: idle in view.instances)
        view.query_one("GpuHostPicker").choose(idle)
        # the view's own idle warning (same 0.3 s period): seen idle far past the period
        await wait_until(
            pilot,
            lambda: view.idle_warning is not None and view.idle_warning.idle_seconds > 3.0,
        )
        assert app.autostop is None  # nothing that could stop was started
        assert instance_state(ec2, idle) == "running"
        assert not autostop_notes(app)
        assert "Autostop off (read-only)" in str(app.screen.query_one("#gpu-autostop").render())


async def test_the_header_shows_autostop_only_when_it_is_on(autostop_settings, make_services):
    settings = autostop_settings(30)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.sub_title.endswith(" · autostop 30m")
        await pilot.press("ctrl+l")  # locked: nothing is stopped, and the header says so
        await wait_until(pilot, lambda: "autostop off (read-only)" in app.sub_title)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: app.sub_title.endswith(" · autostop 30m"))
    settings = autostop_settings(0)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.sub_title and "autostop" not in app.sub_title
        assert app.autostop is None
