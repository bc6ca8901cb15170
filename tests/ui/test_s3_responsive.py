"""The UI never waits on S3: while a folder's listing hangs on a slow endpoint, keys still
switch views, and the listing lands when the endpoint answers."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from console.app import make_app
from console.ui.buckets.browser import S3Browser
from tests.integration.test_aws_throttling import ThrottlingProxy
from tests.ui.conftest import query_shown, wait_until

pytestmark = pytest.mark.timeout(120)


class GateProxy(ThrottlingProxy):
    """Relays everything; while ``hold`` is set, requests wait until ``release`` is set."""

    def __init__(self, upstream: str):
        super().__init__(upstream, every=10**9)
        self.hold = threading.Event()
        self.release = threading.Event()
        self.waiting = 0

    def should_throttle(self) -> bool:
        if self.hold.is_set():
            with self.lock:
                self.waiting += 1
            self.release.wait(60)
        return False


@pytest.fixture
def gate(aws_endpoint):
    server = GateProxy(aws_endpoint)
    thread = threading.Thread(target=server.serve_forever, name="gate-proxy")
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


async def test_views_switch_while_a_listing_is_pending(s3, gate, moto_settings, make_services):
    s3.create_bucket(Bucket="data")
    for i in range(5):
        s3.put_object(Bucket="data", Key=f"img/{i}.jpg", Body=b"x")
    settings = replace(moto_settings, endpoint_url=gate.url)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(140, 40)) as pilot:
        tabs = app.screen.query_one("#views")
        instances = app.screen.query_one("InstancesView")
        await wait_until(pilot, lambda: instances.loaded_once)
        await pilot.press("2")
        table = await query_shown(pilot, "#buckets-table")
        await wait_until(pilot, lambda: table.row_count == 1)
        browser = app.screen.query_one(S3Browser)
        gate.hold.set()
        await pilot.press("enter")
        await wait_until(pilot, lambda: gate.waiting >= 1)
        assert browser.loading  # the listing is in flight, held by the proxy

        await pilot.press("1")
        assert tabs.active == "instances"
        await pilot.press("2")
        assert tabs.active == "buckets"
        assert browser.loading and browser.store.total == 0

        gate.hold.clear()
        gate.release.set()
        await wait_until(pilot, lambda: browser.complete)
        assert [browser.store.row(i).name for i in range(browser.store.total)] == ["img/"]


@pytest.mark.slow
async def test_a_pending_count_can_be_stopped(s3, gate, moto_settings, make_services):
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="img/0.jpg", Body=b"x")
    settings = replace(moto_settings, endpoint_url=gate.url)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("2")
        table = await query_shown(pilot, "#buckets-table")
        await wait_until(pilot, lambda: table.row_count == 1)
        browser = app.screen.query_one(S3Browser)
        await pilot.press("enter")
        await wait_until(pilot, lambda: browser.complete)
        gate.hold.set()
        await pilot.press("c")
        await wait_until(pilot, lambda: gate.waiting >= 1)
        await pilot.press("s")
        assert browser.activity.text == "Stopped: s3-count."
        gate.hold.clear()
        gate.release.set()
        await wait_until(pilot, lambda: not any(w.node is browser for w in app.workers))
        assert browser.last_count is None
        assert browser.activity.text == "Stopped: s3-count."
