"""The GPU view in ``--demo``: a g5 instance replays the recording of a real A10G, and the
view says that its numbers are a recording, not a live GPU."""

from __future__ import annotations

import asyncio

import pytest

from console.errors import HostUnreachableError
from console.ui.gpu.host_picker import GpuHostPicker
from console.ui.gpu.view import GpuView
from console.ui.instances.view import InstancesView
from tests.ui.conftest import query_shown

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


async def until(pilot, condition, within: float = 90.0, shown=lambda: "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s: {shown()}")
        await pilot.pause(0.05)


async def test_a_g5_instance_shows_the_a10g_recording_labelled_as_one(demo_console):
    # the default [gpu] nvidia_smi: the demo host's own stand-in answers it
    app, _ = demo_console()
    async with app.run_test(size=(160, 45)) as pilot:
        # the first screen is up (on a loaded machine it takes a while) before the key
        await query_shown(pilot, InstancesView, within=90)
        await pilot.press("4")
        view = await query_shown(pilot, GpuView, within=90)
        await until(pilot, lambda: "fashion-train" in {i.name for i in view.instances.values()})
        [train] = [i for i in view.instances.values() if i.name == "fashion-train"]
        assert train.type == "g5.xlarge"
        view.query_one(GpuHostPicker).choose(train.id)

        def state() -> str:
            return str(app.screen.query_one("#gpu-state").render())

        await until(
            pilot, lambda: "recording of a real NVIDIA A10G, replayed" in state(), shown=state
        )
        assert "1 GPU," in state()
        assert "NVIDIA A10G" in str(app.screen.query_one("#gpu-models").render())


async def test_the_demo_gpu_view_opens_on_a_gpu_instance_not_this_machine(demo_console):
    app, _ = demo_console()
    async with app.run_test(size=(160, 45)) as pilot:
        await query_shown(pilot, InstancesView, within=90)
        await pilot.press("4")
        view = await query_shown(pilot, GpuView, within=90)

        def state() -> str:
            return str(app.screen.query_one("#gpu-state").render())

        await until(pilot, lambda: "recording of a real NVIDIA" in state(), shown=state)
        watched = view.instances[view.target]
        await pilot.press("1")
        await pilot.press("4")  # back: the demo's pick is not made again over this one
        await pilot.pause(0.5)
        again = view.target

    assert watched.type[:1] in ("g", "p") and view.picked
    assert again == watched.id


async def test_a_stopped_demo_instance_stops_replaying_and_answers_again_once_started(
    demo_console,
):
    app, services = demo_console()
    async with app.run_test(size=(160, 45)) as pilot:
        await query_shown(pilot, InstancesView, within=90)
        await pilot.press("4")
        view = await query_shown(pilot, GpuView, within=90)
        await until(pilot, lambda: "fashion-train" in {i.name for i in view.instances.values()})
        [train] = [i for i in view.instances.values() if i.name == "fashion-train"]
        view.query_one(GpuHostPicker).choose(train.id)

        def state() -> str:
            return str(app.screen.query_one("#gpu-state").render())

        await until(pilot, lambda: "replayed" in state(), shown=state)
        await asyncio.to_thread(services.ec2.change_state, "stop", train.id)
        # the open nvidia-smi stream ends: the view says the instance is stopped
        await until(pilot, lambda: "is stopped" in state(), within=60, shown=state)
        assert "replayed" not in state()
        host = services.hosts.get(train.id)
        with pytest.raises(HostUnreachableError, match="is stopped"):
            await asyncio.to_thread(host.run, ["true"])
        with pytest.raises(HostUnreachableError):
            await asyncio.to_thread(host.listdir, "~")

        await asyncio.to_thread(services.ec2.change_state, "start", train.id)

        def answers() -> bool:  # pending first, as a real instance: it answers once running
            try:
                return host.run(["true"]).exit_code == 0
            except HostUnreachableError:
                return False

        await until(pilot, answers, within=30)
        # the view's retry finds it running again and replays once more
        await until(pilot, lambda: "replayed" in state(), within=60, shown=state)
