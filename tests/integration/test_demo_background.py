"""The interactive `--demo` start: Services at once, the endpoint started on first use."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from console.demo.environment import FLEET
from console.errors import ConfigError
from console.settings import Settings
from console.startup import build_services_in_background
from tests.integration.test_demo import demo_dir  # noqa: F401 - the shared dataset cache


def test_backends_wait_for_the_endpoint_and_close_stops_it(demo_dir):  # noqa: F811
    before = set(threading.enumerate())
    services = build_services_in_background(Settings(demo=True, demo_dir=str(demo_dir)))
    try:
        # nothing has started yet: the console draws its first screen first
        assert set(threading.enumerate()) - before == set()
        assert services.settings.endpoint_url is None
        names = {i.name for i in services.ec2.list_instances()}
        assert names == {spec.name for spec in FLEET}
        services.ready()
        assert services.settings.endpoint_url == services.demo.endpoint_url
        assert Path(services.hosts.host_for("fashion-spot").home()) == demo_dir / "fashion-spot"
        assert {b.name for b in services.s3.list_buckets()} >= {"deepfashion-data", "checkpoints"}
    finally:
        services.close()
    assert set(threading.enumerate()) - before == set()


def test_closing_before_any_use_starts_nothing(tmp_path):
    before = set(threading.enumerate())
    services = build_services_in_background(Settings(demo=True, demo_dir=str(tmp_path)))
    services.close()
    assert set(threading.enumerate()) - before == set()
    assert list(tmp_path.iterdir()) == []  # no sandbox, no dataset: the demo never ran
    with pytest.raises(ConfigError, match="closed before it started"):
        services.ec2.list_instances()


def test_a_demo_that_cannot_start_reports_it_to_every_caller(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    services = build_services_in_background(
        Settings(demo=True, demo_dir=str(not_a_folder / "demo"))
    )
    try:
        for _ in range(2):
            with pytest.raises(ConfigError, match="Cannot create the demo folder"):
                services.ec2.list_instances()
    finally:
        services.close()
