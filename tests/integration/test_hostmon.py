"""The host sampler on this machine (psutil), through a local command (psutil or /proc), and
through a real sshd (the test user's python3 has no psutil: /proc)."""

from __future__ import annotations

import os
import sys
import threading
import time

import psutil
import pytest

from console.hostmon import HostSampler, is_important_mount
from console.hosts.local import LocalHost
from console.models import HostSample

SYSTEM_PYTHON = "/usr/bin/python3"  # no psutil in it (checked below)


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def collect(sampler: HostSampler, count: int) -> list[HostSample]:
    thread = threading.Thread(target=sampler.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(sampler.samples()) >= count or sampler.error, f"{count} samples")
    finally:
        sampler.close()
        thread.join(timeout=30)
    assert not thread.is_alive(), "the sampler did not stop when cancelled"
    assert sampler.error is None, sampler.error
    return list(sampler.samples())


def assert_plausible(sample: HostSample, source: str) -> None:
    """Numbers that must agree with this very machine (the sshd runs here too)."""
    assert sample.source == source
    assert 0.0 <= sample.cpu_percent <= 100.0
    assert sample.cpu_count == os.cpu_count()
    assert sample.memory_total_bytes == psutil.virtual_memory().total
    assert 0 < sample.memory_available_bytes <= sample.memory_total_bytes
    assert len(sample.load) == 3 and all(x >= 0 for x in sample.load)
    root = next(d for d in sample.disks if d.mount == "/")
    st = os.statvfs("/")
    assert root.total_bytes == st.f_blocks * st.f_frsize
    assert sample.net_rx_bytes_per_s >= 0 and sample.net_tx_bytes_per_s >= 0


def test_this_machine_with_psutil():
    samples = collect(HostSampler(LocalHost("local"), interval_s=0.05), 3)
    assert_plausible(samples[-1], "psutil")
    assert samples[0].at < samples[-1].at


def test_psutil_used_when_the_hosts_python_has_it():
    sampler = HostSampler(
        LocalHost("local"), interval_s=0.05, force_remote=True, python=sys.executable
    )
    assert_plausible(collect(sampler, 2)[-1], "psutil")


def test_proc_used_when_the_hosts_python_lacks_psutil():
    probe = LocalHost("local").run([SYSTEM_PYTHON, "-c", "import psutil"])
    assert probe.exit_code != 0, "this check needs a python3 without psutil"
    sampler = HostSampler(
        LocalHost("local"), interval_s=0.05, force_remote=True, python=SYSTEM_PYTHON
    )
    assert_plausible(collect(sampler, 2)[-1], "proc")


def test_proc_can_be_forced():
    sampler = HostSampler(
        LocalHost("local"),
        interval_s=0.05,
        force_remote=True,
        python=sys.executable,
        force_proc=True,
    )
    assert_plausible(collect(sampler, 2)[-1], "proc")


def test_extra_mounts_are_reported(tmp_path):
    sampler = HostSampler(LocalHost("local"), interval_s=0.05, mounts=[str(tmp_path)])
    disks = collect(sampler, 1)[-1].disks
    assert str(tmp_path) in [d.mount for d in disks]


def test_over_real_sshd_one_long_lived_sampler(ssh_env):
    host = ssh_env.host("testhost")
    sampler = HostSampler(host, interval_s=0.05)
    seen_pids: set[int] = set()

    def note_sampler_processes(_sample):
        for process in psutil.process_iter(["username", "cmdline"]):
            cmdline = process.info["cmdline"] or []
            if process.info["username"] == ssh_env.material.user and "-c" in cmdline[:2]:
                if any("interval = float(sys.argv[1])" in arg for arg in cmdline):
                    seen_pids.add(process.pid)

    sampler.on_sample = note_sampler_processes
    samples = collect(sampler, 5)
    assert_plausible(samples[-1], "proc")
    assert len(seen_pids) == 1  # one command for all the samples, not one per sample


def test_missing_python_is_reported_not_raised(ssh_env):
    host = ssh_env.host("testhost")
    sampler = HostSampler(host, interval_s=0.05, python="no-such-python3", retry_s=0.05)
    thread = threading.Thread(target=sampler.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: sampler.error, "an error")
    finally:
        sampler.close()
        thread.join(timeout=30)
    assert "no-such-python3" in sampler.error and "testhost" in sampler.error


@pytest.mark.parametrize(
    "mount,fstype,important",
    [
        ("/", "overlay", True),
        ("/data", "xfs", True),
        ("/opt/dlami/nvme", "ext4", True),
        ("/boot/efi", "vfat", False),
        ("/snap/core/1", "squashfs", False),
        ("/mnt/s3", "fuse.s3fs", False),
        ("/run/user/0", "tmpfs", False),
    ],
)
def test_important_mounts(mount, fstype, important):
    assert is_important_mount(mount, fstype) is important
