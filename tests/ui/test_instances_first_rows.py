"""The Instances view draws the first page of a long listing while the rest is still on its
way: the request for the second page is held at a proxy in front of moto's server."""

from __future__ import annotations

import io
import threading
from dataclasses import replace

import pytest

from console.app import make_app
from tests.integration.test_aws_throttling import ThrottlingProxy, _Handler
from tests.ui.conftest import wait_until

pytestmark = pytest.mark.timeout(180)


class _HoldingHandler(_Handler):
    def _relay(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if b"Action=DescribeInstances" in body and b"NextToken=" in body:
            self.server.held.set()
            self.server.release.wait(60)
        original, self.rfile = self.rfile, io.BytesIO(body)
        try:
            _Handler._relay(self)
        finally:
            self.rfile = original

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _relay


class NextPageGate(ThrottlingProxy):
    """Relays everything; a DescribeInstances request for a next page waits for ``release``."""

    def __init__(self, upstream: str):
        super().__init__(upstream, every=10**9)
        self.RequestHandlerClass = _HoldingHandler
        self.held = threading.Event()
        self.release = threading.Event()


@pytest.fixture
def gate(aws_endpoint):
    server = NextPageGate(aws_endpoint)
    thread = threading.Thread(target=server.serve_forever, name="next-page-gate")
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


async def test_first_page_shows_while_the_rest_loads(
    ec2, gate, moto_settings, make_services, monkeypatch
):
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    for _ in range(8):  # one launch each: moto pages by launch, EC2 by instance
        ec2.run_instances(ImageId=image, InstanceType="g5.xlarge", MinCount=1, MaxCount=1)
    monkeypatch.setattr("console.aws.ec2.service.FIRST_PAGE_SIZE", 5)
    settings = replace(moto_settings, endpoint_url=gate.url)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(220, 40)) as pilot:
        view = app.screen.query_one("#view-instances")
        table = app.screen.query_one("#instances-table")
        await wait_until(pilot, lambda: table.row_count == 5 and gate.held.is_set())
        assert not view.loaded_once  # the second page is held: these are the first rows
        assert "so far" in str(view.status_line.render())
        first_rows = list(table.rows)
        gate.release.set()
        await wait_until(pilot, lambda: view.loaded_once and table.row_count == 8)
        assert list(table.rows)[:5] == first_rows
