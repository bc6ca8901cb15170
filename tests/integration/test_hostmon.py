"""The host sampler on this machine (psutil), through a local command (psutil or /proc), and
through a real sshd (the test user's python3 has no psutil: /proc; with no python3 at all,
or when forced: the sh sampler)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from console.hostmon import LAUNCHER_NAME, HostSampler, is_important_mount
from console.hosts.local import LocalHost
from console.models import HostSample
from tests.fixtures.sshd import SshServer

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


def session_processes(server: SshServer) -> Iterator[tuple[psutil.Process, str, list[str]]]:
    """(process, user, argv) of what runs in ``server``'s sessions: this test process's own
    sshd, so the samplers of tests in parallel processes are never counted."""
    for process in server.connection_processes():
        try:
            yield process, process.username(), process.cmdline()
        except psutil.Error:  # ended meanwhile
            continue


def test_over_real_sshd_one_long_lived_sampler(ssh_env):
    host = ssh_env.host("testhost")
    sampler = HostSampler(host, interval_s=0.05)
    seen_pids: set[int] = set()

    def note_sampler_processes(_sample):
        for process, username, cmdline in session_processes(ssh_env.server):
            if username == ssh_env.material.user and "-c" in cmdline[:2]:
                if any("interval = float(sys.argv[1])" in arg for arg in cmdline):
                    seen_pids.add(process.pid)

    sampler.on_sample = note_sampler_processes
    samples = collect(sampler, 5)
    assert_plausible(samples[-1], "proc")
    assert len(seen_pids) == 1  # one command for all the samples, not one per sample


def test_missing_python_falls_back_to_the_sh_sampler(ssh_env):
    """A remote python path that does not exist (the ``python`` setting) is no error: the
    host is sampled by the sh sampler instead."""
    host = ssh_env.host("testhost")
    sampler = HostSampler(host, interval_s=0.05, python="no-such-python3")
    assert_plausible(collect(sampler, 2)[-1], "sh")


@pytest.fixture
def tool_dir():
    """A directory the test user can read, for a PATH of our choosing."""
    directory = Path(tempfile.mkdtemp(prefix="awsc-hostmon-path-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def link_tools(directory: Path, names: list[str], **targets: str) -> None:
    """Links to this machine's ``names`` (found on PATH) and to ``targets`` (name=path)."""
    for name in names:
        found = shutil.which(name)
        assert found, f"this test needs {name} on this machine"
        targets[name] = found
    for name, target in targets.items():
        (directory / name).symlink_to(target)


class LoadWatcher:
    """Every value /proc/loadavg showed while it ran (the kernel changes it every 5 s)."""

    def __init__(self):
        self.seen: set[tuple[float, float, float]] = set()
        self._stop = threading.Event()
        self._read()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with open("/proc/loadavg") as f:
            self.seen.add(tuple(float(x) for x in f.read().split()[:3]))

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self._read()

    def stop(self) -> set[tuple[float, float, float]]:
        self._stop.set()
        self._thread.join(timeout=5)
        self._read()
        return self.seen


def meminfo_total_bytes() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal in /proc/meminfo")


def launcher_pids(server: SshServer, user: str) -> set[int]:
    """The sh samplers the test user runs through ``server`` (``sh -c <launcher>
    awsconsole-hostmon …``). A fork of the launcher (``$(…)``, or a child not yet turned
    into ``sleep`` or ``df`` by exec) shows the same command line: only the launcher at the
    top of its own tree counts."""
    launchers = {
        process.pid: process
        for process, username, cmdline in session_processes(server)
        if username == user and LAUNCHER_NAME in cmdline[:4]
    }
    roots = set()
    for pid, process in launchers.items():
        try:
            if process.ppid() not in launchers:
                roots.add(pid)
        except psutil.Error:  # ended meanwhile: a fork that has done its work
            continue
    return roots


def test_sh_sampler_forced_over_real_sshd(ssh_env):
    host = ssh_env.host("testhost")
    seen_pids: set[int] = set()
    sampler = HostSampler(
        host,
        interval_s=0.1,
        force_sh=True,
        on_sample=lambda _s: seen_pids.update(launcher_pids(ssh_env.server, ssh_env.material.user)),
    )
    loads = LoadWatcher()
    samples = collect(sampler, 4)
    seen_loads = loads.stop()
    assert len(seen_pids) == 1  # one command for all the samples, not one per sample
    for sample in samples:
        assert sample.source == "sh"
        assert 0.0 <= sample.cpu_percent <= 100.0
        assert sample.memory_total_bytes == meminfo_total_bytes()
        assert 0 < sample.memory_available_bytes <= sample.memory_total_bytes
        assert sample.load in seen_loads
        assert sample.cpu_count == os.cpu_count()
        root = next(d for d in sample.disks if d.mount == "/")
        st = os.statvfs("/")
        assert abs(root.total_bytes - st.f_blocks * st.f_frsize) < 1024  # df counts in KiB
        assert 0 <= root.used_bytes <= root.total_bytes
        assert sample.net_rx_bytes_per_s >= 0 and sample.net_tx_bytes_per_s >= 0
    assert samples[0].at < samples[-1].at


def test_host_without_python3_is_sampled_by_sh(ssh_env, tool_dir):
    """The sampler's command runs with a PATH that has the shell tools but no python3."""
    link_tools(tool_dir, ["sh", "df", "sleep", "getconf"])
    host = ssh_env.host("testhost")
    path = {"PATH": str(tool_dir)}
    probe = host.run(["sh", "-c", "command -v python3"], env=path)
    assert probe.exit_code != 0, "python3 must not be reachable with this PATH"
    sampler = HostSampler(host, interval_s=0.05, env=path)
    samples = collect(sampler, 2)
    assert {s.source for s in samples} == {"sh"}
    assert_plausible(samples[-1], "sh")


def test_the_same_host_with_python3_uses_python(ssh_env, tool_dir):
    """The counterpart of the test above: add python3 to that PATH and python samples."""
    link_tools(tool_dir, ["sh"], python3=SYSTEM_PYTHON)
    sampler = HostSampler(ssh_env.host("testhost"), interval_s=0.05, env={"PATH": str(tool_dir)})
    assert_plausible(collect(sampler, 2)[-1], "proc")


def test_a_host_that_cannot_start_the_sampler_is_reported_not_raised(ssh_env, tool_dir):
    host = ssh_env.host("testhost")
    sampler = HostSampler(host, interval_s=0.05, env={"PATH": str(tool_dir)}, retry_s=0.05)
    thread = threading.Thread(target=sampler.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: sampler.error, "an error")
    finally:
        sampler.close()
        thread.join(timeout=30)
    assert "testhost" in sampler.error and "host sampler" in sampler.error


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
