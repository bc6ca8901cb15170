"""Instances and Buckets list what moto's server holds; failures show and retry works."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest
from moto.server import ThreadedMotoServer

from console.app import make_app
from console.errors import EndpointError
from console.ui.common.failures import BackendFailed
from tests.fixtures.moto_server import free_port, launch
from tests.ui.conftest import cell_texts, notifications, wait_until

pytestmark = pytest.mark.timeout(120)


def table(app, view_id: str):
    return app.screen.query_one(f"#{view_id}-table")


def status_text(app, view_id: str) -> str:
    return str(app.screen.query_one(f"#{view_id}-status").render())


async def test_instances_view_lists_moto_instances(ec2, moto_settings, make_services):
    train = launch(ec2, "fashion-train", "g5.xlarge")
    idle = launch(ec2, "idle-box", "t3.micro")
    ec2.stop_instances(InstanceIds=[idle])
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: table(app, "instances").row_count == 2)
        rows = {row[0]: row for row in cell_texts(table(app, "instances"))}
        truth = {
            i["InstanceId"]: i
            for r in ec2.describe_instances()["Reservations"]
            for i in r["Instances"]
        }
        assert rows[train][1:4] == ["fashion-train", "g5.xlarge", "running"]
        assert rows[train][4] == truth[train]["PublicIpAddress"]
        assert rows[idle][1:4] == ["idle-box", "t3.micro", truth[idle]["State"]["Name"]]
        state_cell = table(app, "instances").get_cell(train, "state")
        assert "green" in str(state_cell.style)
        assert "2 instances" in status_text(app, "instances")


async def test_buckets_view_lists_moto_buckets(s3, moto_settings, make_services):
    for name in ["deepfashion-data", "checkpoints"]:
        s3.create_bucket(Bucket=name)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("2")
        await wait_until(pilot, lambda: table(app, "buckets").row_count == 2)
        names = sorted(row[0] for row in cell_texts(table(app, "buckets")))
        assert names == sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
        created = {row[0]: row[1] for row in cell_texts(table(app, "buckets"))}
        expected = s3.list_buckets()["Buckets"][0]
        assert created[expected["Name"]] == expected["CreationDate"].strftime("%Y-%m-%d %H:%M")


async def test_refresh_key_shows_new_instances(ec2, moto_settings, make_services):
    launch(ec2, "first")
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_until(pilot, lambda: table(app, "instances").row_count == 1)
        second = launch(ec2, "second")
        await pilot.press("r")
        await wait_until(pilot, lambda: table(app, "instances").row_count == 2)
        assert second in [row[0] for row in cell_texts(table(app, "instances"))]


async def test_auto_refresh_keeps_the_cursor_on_its_instance(ec2, moto_settings, make_services):
    ids = [launch(ec2, name) for name in ["a", "b", "c"]]
    settings = replace(moto_settings, refresh_interval=0.3)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(160, 40)) as pilot:
        instances = table(app, "instances")
        await wait_until(pilot, lambda: instances.row_count == 3)
        order = [row[0] for row in cell_texts(instances)]
        await pilot.press("down")
        chosen = order[1]
        assert instances.cursor_key == chosen
        ec2.terminate_instances(InstanceIds=[order[0]])
        newcomer = launch(ec2, "d")
        # no key pressed: the timer reloads, the new instance and the new state appear
        await wait_until(pilot, lambda: instances.row_count == 4)
        await wait_until(pilot, lambda: instances.get_cell(order[0], "state").plain != "running")
        assert newcomer in [row[0] for row in cell_texts(instances)]
        assert instances.cursor_key == chosen
        assert set(ids) <= {row[0] for row in cell_texts(instances)}


def closed_port() -> int:
    port = free_port()
    with socket.socket() as probe:  # nothing listens there: connecting is refused
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    return port


@pytest.mark.slow
async def test_unreachable_endpoint_is_shown_and_retry_recovers(aws_endpoint, ec2, make_services):
    """An endpoint that refuses connections: error in the view and a notification, the app
    keeps running; once a server listens there, ``r`` lists the instances."""
    from console.settings import Settings

    launch(ec2, "fashion-train")
    port = closed_port()
    settings = Settings(
        endpoint_url=f"http://127.0.0.1:{port}", region="us-east-1", refresh_interval=0
    )
    posted: list = []
    app = make_app(settings, make_services(settings))
    server = None
    try:
        async with app.run_test(size=(160, 40), message_hook=posted.append) as pilot:
            await wait_until(pilot, lambda: "press r to retry" in status_text(app, "instances"))
            # the hook sees a message at every node it bubbles through: count distinct ones
            failures = list({id(m): m for m in posted if isinstance(m, BackendFailed)}.values())
            assert len(failures) == 1 and isinstance(failures[0].error, EndpointError)
            assert failures[0].failure.title == EndpointError.title
            assert str(port) in status_text(app, "instances") or "127.0.0.1" in status_text(
                app, "instances"
            )
            assert any(
                n.severity == "error" and n.title == EndpointError.title for n in notifications(app)
            )
            assert app.is_running and table(app, "instances").row_count == 0

            # the same failure again (a retry, or the timer) updates the line, no new toast
            await pilot.press("r")
            await wait_until(
                pilot, lambda: len({id(m) for m in posted if isinstance(m, BackendFailed)}) == 2
            )
            await pilot.pause()
            endpoint_toasts = [n for n in notifications(app) if n.title == EndpointError.title]
            assert len(endpoint_toasts) == 1

            # moto's in-process state is shared: a second server on that port sees the fleet
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            server.start()
            await pilot.press("r")
            await wait_until(pilot, lambda: table(app, "instances").row_count == 1)
            assert cell_texts(table(app, "instances"))[0][1] == "fashion-train"
            assert "error" not in app.screen.query_one("#instances-status").classes
    finally:
        if server is not None:
            server.stop()


async def test_an_unexpected_exception_is_shown_not_fatal(moto_settings, make_services):
    services = make_services(moto_settings)

    def broken() -> list:
        raise RuntimeError("backend bug: list index out of range")

    services.s3.list_buckets = broken  # a programming error deep in a backend
    app = make_app(moto_settings, services)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("2")
        await wait_until(pilot, lambda: "backend bug" in status_text(app, "buckets"))
        assert "RuntimeError" in status_text(app, "buckets")
        assert app.is_running
        await pilot.press("1")
        await pilot.pause()
        assert app.screen.current_view.view_id == "instances"


QUIT_DURING_A_HUNG_CALL = """
import pathlib, sys
from console.app import make_app
from console.startup import build_services
from console.settings import Settings

endpoint, flag = sys.argv[1], pathlib.Path(sys.argv[2])
settings = Settings(endpoint_url=endpoint, region="us-east-1", refresh_interval=0)
services = build_services(settings)

async def auto_pilot(pilot):
    while not flag.exists():  # the test saw the request arrive: it is in flight
        await pilot.pause(0.05)
    await pilot.press("q")

try:
    make_app(settings, services).run(headless=True, size=(120, 40), auto_pilot=auto_pilot)
finally:
    services.close()
print("exited")
"""


def test_quit_does_not_wait_for_a_hung_backend_call(aws_endpoint, tmp_path):
    """An endpoint that accepts the connection and never answers: ``q`` still ends the
    process (no 60-second read timeout, no retries waited for)."""
    import subprocess
    import sys

    flag = tmp_path / "request-in-flight"
    with socket.socket() as dead_endpoint:
        dead_endpoint.bind(("127.0.0.1", 0))
        dead_endpoint.listen(8)
        dead_endpoint.settimeout(60)
        url = f"http://127.0.0.1:{dead_endpoint.getsockname()[1]}"
        process = subprocess.Popen(
            [sys.executable, "-c", QUIT_DURING_A_HUNG_CALL, url, str(flag)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            connection, _ = dead_endpoint.accept()  # the console's request: never answered
            with connection:
                flag.touch()
                # the guard is below botocore's 60 s read timeout: waiting for the call fails
                out, err = process.communicate(timeout=45)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, err
    assert out.strip().endswith("exited")
