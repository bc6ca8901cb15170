"""GpuMonitor through real hosts (this machine, and a real sshd on loopback) with the stand-in
nvidia-smi replaying recordings."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psutil
import pytest

from console.gpu import GpuMonitor
from console.hosts.local import LocalHost
from console.models import GpuSnapshot, GpuStatus
from tests.fixtures.nvidia_smi import invocations, make_standin

LOOP = "query-gpu_gtx1650super_530.41.03_loop.txt"
LOOP_UTIL = [24.0, 18.0, 42.0, 17.0, 21.0]


@pytest.fixture(params=["local", "ssh"])
def host(request):
    if request.param == "local":
        return LocalHost("local")
    ssh_env = request.getfixturevalue("ssh_env")
    return ssh_env.host("testhost")


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    """Wait for ``condition()``; a generous limit only turns a hang into a failure."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


class Running:
    """A monitor running in a thread, as a screen's worker would run it."""

    def __init__(self, monitor: GpuMonitor):
        self.monitor = monitor
        self.updates: list[GpuSnapshot] = []
        monitor.on_update = self.updates.append
        self.thread = threading.Thread(target=monitor.run, daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.monitor.close()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the monitor did not stop when cancelled"


def standin_processes(smi: Path) -> list[psutil.Process]:
    """The ``--query-gpu`` runs of this test's stand-in (its own link ``smi``: stand-ins of
    tests running in parallel processes are not this test's to wait for)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if str(smi) in cmdline and any(a.startswith("--query-gpu") for a in cmdline):
            found.append(process)
    return found


def test_one_long_lived_stream_feeds_frames_in_order(host, standin_dir):
    log = standin_dir / "calls.log"
    smi = make_standin(standin_dir, query_gpu=LOOP, log=str(log))
    monitor = GpuMonitor(host, interval_ms=50, nvidia_smi=str(smi), apps_interval_s=0.2)
    with Running(monitor):
        wait_for(
            lambda: (
                len(monitor.history.keys()) == 1
                and len(monitor.history.samples(monitor.history.keys()[0])) >= 12
            ),
            "12 samples",
        )
        key = monitor.history.keys()[0]
        series = monitor.history.series(key, "utilization_gpu")
        snapshot = monitor.snapshot()
    # the probe gives the first recorded tick, then the stream replays the ticks in order
    assert series[1:12] == (LOOP_UTIL * 3)[:11]
    assert snapshot.state.status is GpuStatus.OK
    assert snapshot.gpus[0].index == 0
    # the stand-in lacks these columns in this recording: unknown, not 0
    assert snapshot.gpus[0].memory_total_mib is None
    query_runs = [argv for argv in invocations(log) if argv and argv[0].startswith("--query-gpu")]
    assert len(query_runs) == 2  # one probe, one stream: not a command per refresh
    assert query_runs[1][-2:] == ["-lms", "50"]
    wait_for(lambda: not standin_processes(smi), "the stream's nvidia-smi to end")


def test_processes_come_with_their_jobs(host, standin_dir):
    smi = make_standin(standin_dir)  # H100 under load: memhog ×2 and gpu_burn
    asked: list[list[int]] = []

    def pid_to_job(pids):
        asked.append(sorted(pids))
        return {11345: "burn-in"}

    monitor = GpuMonitor(
        host, interval_ms=100, nvidia_smi=str(smi), apps_interval_s=0.1, pid_to_job=pid_to_job
    )
    with Running(monitor):
        seen: list = []
        wait_for(
            lambda: len(seen.append(monitor.snapshot().processes) or seen[-1]) == 3,
            "three processes",
        )
        processes = seen[-1]
    assert [(p.pid, p.process_name, p.used_memory_mib, p.job) for p in processes] == [
        (11327, "/root/tools/memhog", 2566.0, None),
        (11328, "/root/tools/memhog", 1542.0, None),
        (11345, "./gpu_burn", 15690.0, "burn-in"),
    ]
    assert asked[0] == [11327, 11328, 11345]


def test_processes_that_end_leave_the_list(host, standin_dir):
    log = standin_dir / "calls.log"
    smi = make_standin(standin_dir, apps_ticks="3", log=str(log))
    monitor = GpuMonitor(host, interval_ms=100, nvidia_smi=str(smi), apps_interval_s=0.1)
    seen: list[int] = []
    monitor.on_update = lambda snapshot: seen.append(len(snapshot.processes))
    thread = threading.Thread(target=monitor.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: 3 in seen and seen[-1] == 0 and seen.index(3) < len(seen) - 1, "3 then 0")
    finally:
        monitor.close()
        thread.join(timeout=30)
    apps_runs = [a for a in invocations(log) if a and a[0].startswith("--query-compute-apps")]
    assert len(apps_runs) == 2  # the first query, then one long-lived stream
    assert apps_runs[1][-2:] == ["-lms", "100"]


def test_unknown_values_stream_as_none_across_four_gpus(host, standin_dir):
    smi = make_standin(standin_dir, query_gpu="query-gpu_synthetic_4gpu_unknown-values.txt")
    monitor = GpuMonitor(host, interval_ms=50, nvidia_smi=str(smi))
    with Running(monitor):
        wait_for(
            lambda: (
                len(monitor.history.keys()) == 4
                and all(len(monitor.history.samples(k)) >= 3 for k in monitor.history.keys())
            ),
            "3 ticks of 4 GPUs",
        )
        gpus = monitor.snapshot().gpus
    assert [g.index for g in gpus] == [0, 1, 2, 3]
    # the stream asks only what changes; names and UUIDs come from the first query
    assert {g.name for g in gpus} == {"Tesla T4"}
    assert sorted(monitor.history.keys()) == [g.uuid for g in gpus]
    assert gpus[3].memory_total_mib == 15360.0
    assert gpus[1].utilization_gpu is None and gpus[1].power_draw_w is None
    assert (
        gpus[2].clock_sm_mhz is None
        and gpus[2].temperature_c is None
        and gpus[2].fan_percent is None
    )
    assert gpus[0].utilization_gpu in (87.0, 91.0)


def test_history_stays_bounded_while_streaming(host, standin_dir):
    smi = make_standin(standin_dir, query_gpu=LOOP)
    monitor = GpuMonitor(host, interval_ms=20, nvidia_smi=str(smi), history_seconds=0.1)
    assert monitor.history.maxlen == 5
    updates = []
    with Running(monitor) as running:
        wait_for(lambda: len([u for u in running.updates if u.gpus]) >= 15, "15 frames")
        updates = running.updates
        key = monitor.history.keys()[0]
        assert len(monitor.history.samples(key)) == 5
    assert len(updates) >= 15


@pytest.mark.parametrize(
    "scenario,status",
    [
        ("no-driver", GpuStatus.NO_DRIVER),
        ("no-devices", GpuStatus.NO_DEVICES),
        ("driver-mismatch", GpuStatus.DRIVER_MISMATCH),
    ],
)
def test_failure_scenarios_are_states(host, standin_dir, scenario, status):
    smi = make_standin(standin_dir, scenario=scenario)
    snapshot = GpuMonitor(host, nvidia_smi=str(smi)).probe()
    assert snapshot.state.status is status
    assert host.name in snapshot.state.message
    assert snapshot.gpus == ()


@pytest.mark.parametrize("where", ["absolute", "on-path"])
def test_missing_nvidia_smi_is_a_state(host, standin_dir, where):
    standin_dir.chmod(0o755)
    # this machine (and the sshd test user) has no nvidia-smi on its PATH
    command = str(standin_dir / "nvidia-smi") if where == "absolute" else "nvidia-smi"
    snapshot = GpuMonitor(host, nvidia_smi=command).probe()
    assert snapshot.state.status is GpuStatus.NO_NVIDIA_SMI
    assert "not installed" in snapshot.state.message


def test_running_without_driver_shows_the_state_and_stops_on_cancel(host, standin_dir):
    smi = make_standin(standin_dir, scenario="no-driver")
    monitor = GpuMonitor(host, nvidia_smi=str(smi), retry_s=0.05)
    with Running(monitor) as running:
        wait_for(lambda: running.updates, "a state")
        assert monitor.snapshot().state.status is GpuStatus.NO_DRIVER


def test_nvidia_smi_found_on_the_path(standin_dir, monkeypatch):
    make_standin(standin_dir, query_gpu="query-gpu_synthetic_8gpu_a100_training.txt")
    monkeypatch.setenv("PATH", f"{standin_dir}:{__import__('os').environ['PATH']}")
    snapshot = GpuMonitor(LocalHost("local")).probe()
    assert snapshot.state.ok
    assert len(snapshot.gpus) == 8
    assert {g.name for g in snapshot.gpus} == {"NVIDIA A100-SXM4-40GB"}


def test_jobs_by_process_tree_finds_the_job_of_a_descendant():
    """A real process tree on this machine: sh (the "pane") -> sh -> sleep."""
    import subprocess

    from console.gpu import jobs_by_process_tree

    pane = subprocess.Popen(["sh", "-c", "sh -c 'sleep 60 & wait' & wait"])
    try:
        wait_for(
            lambda: any(
                p.name() == "sleep" for p in psutil.Process(pane.pid).children(recursive=True)
            ),
            "the grandchild",
        )
        sleeper = next(
            p for p in psutil.Process(pane.pid).children(recursive=True) if p.name() == "sleep"
        )
        mapping = jobs_by_process_tree(LocalHost(), lambda: {pane.pid: "train-7"})
        found = mapping([sleeper.pid, 1, 999_999_999])
    finally:
        for child in psutil.Process(pane.pid).children(recursive=True):
            child.kill()
        pane.kill()
        pane.wait()
    assert found == {sleeper.pid: "train-7"}
    assert jobs_by_process_tree(LocalHost(), lambda: {})([sleeper.pid]) == {}


def test_a_silent_stream_is_reported_and_restarted(standin_dir):
    log = standin_dir / "calls.log"
    smi = make_standin(standin_dir, hang_after="2", log=str(log))
    monitor = GpuMonitor(
        LocalHost("local"), interval_ms=50, nvidia_smi=str(smi), stall_s=0.5, retry_s=0.05
    )
    states: list[GpuStatus] = []
    with Running(monitor) as running:
        wait_for(
            lambda: any("has not answered" in u.state.message for u in running.updates),
            "the stall to be reported",
        )
        wait_for(
            lambda: (
                len([a for a in invocations(log) if a and "-lms" in a and "--query-gpu" in a[0]])
                >= 2
            ),
            "a second stream",
        )
        states = [u.state.status for u in running.updates]
    assert GpuStatus.ERROR in states


def test_reconnects_after_the_connection_drops(ssh_env, standin_dir):
    smi = make_standin(standin_dir, query_gpu=LOOP)
    monitor = GpuMonitor(ssh_env.host("testhost"), interval_ms=50, nvidia_smi=str(smi), retry_s=0.1)
    with Running(monitor) as running:
        wait_for(lambda: len(running.updates) >= 5 and monitor.snapshot().state.ok, "frames")
        ssh_env.server.kill_connections()
        wait_for(lambda: not monitor.snapshot().state.ok, "the loss to show")
        lost_at = time.time()
        wait_for(
            lambda: monitor.snapshot().state.ok and (monitor.snapshot().updated_at or 0) > lost_at,
            "frames after reconnecting",
        )
    assert any(
        u.state.status is GpuStatus.HOST_ERROR or u.state.status is GpuStatus.ERROR
        for u in running.updates
    )
