"""The autostopper without a screen: moto's server for EC2, this machine as the instance's
host, the stand-in nvidia-smi replaying a recorded idle A10G."""

from __future__ import annotations

import threading
import time
import urllib.request

import pytest

from console.hosts import LocalHost
from console.models import AutoStopPhase, AutoStopReport, AutoStopReportKind
from console.settings import Settings
from console.startup import build_services
from tests.fixtures.moto_server import launch
from tests.fixtures.nvidia_smi import make_standin

pytestmark = pytest.mark.timeout(180)

IDLE_A10G = "query-gpu_synthetic_2gpu_a10g_idle.txt"
NO_APPS = "compute-apps_h100-80gb-hbm3_590.48.01_idle_empty.txt"


def until(condition, what: str, within: float = 60.0) -> None:
    """Wait for ``condition()`` (a deadline only so a bug cannot hang the run)."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


@pytest.fixture
def services(aws_endpoint, standin_dir, tmp_path):
    smi = make_standin(standin_dir, query_gpu=IDLE_A10G, compute_apps=NO_APPS)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[gpu]\nnvidia_smi = "{smi}"\ninterval_ms = 100\napps_interval_seconds = 0.2\n'
        "[idle]\nautostop_minutes = 0.005\n"  # 0.3 s
    )
    settings = Settings.load(config, environ={}).with_overrides(
        endpoint_url=aws_endpoint, region="us-east-1"
    )
    built = build_services(settings)
    yield built
    built.close()


def standins(folder) -> list:
    """The stand-in nvidia-smi processes of ``folder`` still running under this process."""
    import psutil

    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            if any(str(folder) in arg for arg in process.cmdline()):
                found.append(process)
        except psutil.NoSuchProcess:
            continue
    return found


def test_a_failed_stop_is_reported_once_and_not_retried(services, ec2, aws_endpoint, standin_dir):
    instance_id = launch(ec2, "fashion-train", "g5.xlarge")
    services.hosts.register(instance_id, LocalHost(name="fashion-train"))
    reports: list[AutoStopReport] = []
    cancel = threading.Event()
    # listed once: the instance stays watched after it is gone from EC2
    stopper = services.monitors.autostopper(cancel=cancel, on_report=reports.append, relist_s=3600)
    services.lock()  # read-only first: idle past the period, and nothing is decided
    thread = threading.Thread(target=stopper.run, daemon=True)
    thread.start()
    try:

        def status():
            return stopper.status(instance_id)

        until(
            lambda: (
                status() is not None
                and status().phase is AutoStopPhase.IDLE
                and status().idle_seconds > 3 * stopper.policy.period_s
            ),
            "seen idle for three periods while read-only",
        )
        assert reports == [] and ec2.describe_instances()["Reservations"]
        # the instance vanishes from EC2 (moto's reset), so the stop the unlocked
        # autostopper sends next fails with InvalidInstanceID.NotFound
        reset = urllib.request.Request(f"{aws_endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=60).read()
        services.lock(False)
        until(lambda: reports, "a report of the stop")
        [report] = reports
        assert report.kind is AutoStopReportKind.STOP_FAILED
        assert (
            report.decision.instance_id == instance_id and report.decision.name == "fashion-train"
        )
        assert f"No instance {instance_id}" in report.message
        assert status().phase is AutoStopPhase.FAILED
        # the GPUs go on idling: many more frames, and still that one report
        seen = status().frames
        until(lambda: status().frames >= seen + 30, "thirty more frames")
        assert status().phase is AutoStopPhase.FAILED
        assert len(reports) == 1
    finally:
        cancel.set()
        thread.join(timeout=30)
    assert not thread.is_alive()  # cancelled: the loop ended…
    until(lambda: not standins(standin_dir), "the nvidia-smi streams end")  # …and its streams


def test_off_by_default_it_watches_nothing(aws_endpoint, ec2, tmp_path):
    instance_id = launch(ec2, "fashion-train", "g5.xlarge")
    settings = Settings.load(tmp_path / "none.toml", environ={}).with_overrides(
        endpoint_url=aws_endpoint, region="us-east-1"
    )
    services = build_services(settings)
    try:
        stopper = services.monitors.autostopper(cancel=threading.Event())
        assert not stopper.enabled
        stopper.run()  # returns at once
        assert stopper.status(instance_id) is None and stopper.policy.watched() == ()
    finally:
        services.close()
