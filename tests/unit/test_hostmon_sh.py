"""The sh sampler's records read into HostSamples (the records as the launcher prints them)."""

from __future__ import annotations

import pytest

from console.hostmon import ShRecordReader, sampler_argv
from console.hostmon.sh_sampler import LAUNCHER_NAME


def record(
    uptime: str,
    cpu: str,
    *,
    ncpu: str = "4",
    load: str = "0.50 0.40 0.30 2/300 999",
    mem: tuple[str, ...] = (
        "MemTotal:       16000000 kB",
        "MemFree:         2000000 kB",
        "MemAvailable:    9000000 kB",
        "Buffers:          100000 kB",
        "Cached:          5000000 kB",
    ),
    net: tuple[str, ...] = (),
    disks: tuple[tuple[str, str], ...] = (),
) -> list[str]:
    lines = [f"@sample {uptime} {ncpu}", f"@cpu {cpu}", f"@load {load}"]
    lines += [f"@mem {m}" for m in mem]
    lines += [f"@net {n}" for n in net]
    for mount, row in disks:
        lines += [
            f"@disk {mount}",
            "Filesystem     1024-blocks     Used Available Capacity Mounted on",
            row,
        ]
    return [*lines, "@end"]


def feed(reader: ShRecordReader, lines: list[str]):
    out = [reader.feed(line) for line in lines]
    assert all(s is None for s in out[:-1])
    return out[-1]


def net_line(name: str, rx: int, tx: int, *, space: bool = True) -> str:
    sep = ": " if space else ":"
    return f"{name}{sep}{rx} 10 0 0 0 0 0 0 {tx} 20 0 0 0 0 0 0"


def test_two_records_make_one_sample_with_rates():
    reader = ShRecordReader("gpu1", clock=lambda: 1234.5)
    first = record(
        "100.00",
        "cpu  1000 0 500 8000 500 0 0 0 0 0",
        net=(net_line("lo", 10**9, 10**9), net_line("eth0", 1000, 2000)),
        disks=(("/", "/dev/nvme0n1p1  1000 400 600  40% /"),),
    )
    assert feed(reader, first) is None  # rates need two records
    second = record(
        "102.00",
        # 200 more ticks, 50 of them idle or iowait: 75 % busy
        "cpu  1100 0 550 8040 510 0 0 0 0 0",
        net=(net_line("lo", 2 * 10**9, 2 * 10**9), net_line("eth0", 5000, 2400)),
        disks=(("/", "/dev/nvme0n1p1  1000 500 500  50% /"),),
    )
    sample = feed(reader, second)
    assert sample.host == "gpu1" and sample.source == "sh" and sample.at == 1234.5
    assert sample.cpu_percent == 75.0
    assert sample.cpu_count == 4
    assert sample.load == (0.5, 0.4, 0.3)
    assert sample.memory_total_bytes == 16000000 * 1024
    assert sample.memory_available_bytes == 9000000 * 1024
    assert sample.net_rx_bytes_per_s == 2000.0  # (5000 - 1000) / 2 s, lo left out
    assert sample.net_tx_bytes_per_s == 200.0
    [root] = sample.disks
    assert (root.mount, root.total_bytes, root.used_bytes, root.free_bytes) == (
        "/",
        1000 * 1024,
        500 * 1024,
        500 * 1024,
    )


def test_old_kernel_without_memavailable_and_glued_net_counters():
    reader = ShRecordReader("old")
    mem = ("MemTotal: 1000 kB", "MemFree: 100 kB", "Buffers: 10 kB", "Cached: 300 kB")
    feed(reader, record("1.0", "cpu 1 0 1 10", mem=mem, net=(net_line("eth0", 0, 0),)))
    sample = feed(
        reader,
        record("2.0", "cpu 2 0 2 12", mem=mem, net=(net_line("eth0", 512, 256, space=False),)),
    )
    assert sample.memory_available_bytes == (100 + 300) * 1024  # MemFree + Cached
    assert sample.net_rx_bytes_per_s == 512.0 and sample.net_tx_bytes_per_s == 256.0
    assert sample.cpu_percent == 50.0  # 4 ticks, 2 idle (a 4-field cpu line)


def test_what_cannot_be_read_is_unknown_not_zero():
    reader = ShRecordReader("odd")
    feed(reader, record("1.0", "cpu x y z", ncpu="0", load="garbage"))
    sample = feed(reader, record("2.0", "cpu x y z", ncpu="0", load="garbage"))
    assert sample.cpu_percent is None
    assert sample.cpu_count is None
    assert sample.load is None


def test_disks_labelled_by_the_mount_asked_for_and_odd_df_rows():
    reader = ShRecordReader("h")
    disks = (
        ("/", "/dev/root 2000 1000 1000 50% /"),
        ("/", "/dev/root 2000 1000 1000 50% /"),  # / listed twice in /proc/mounts
        ("/home/me/data", "my volume 3000 0 3000 0% /home"),  # a path inside /home
        ("/empty", "none 0 0 0 - /empty"),
        ("/gone", "df: /gone: No such file or directory"),
    )
    feed(reader, record("1", "cpu 1 0 0 1", disks=disks))
    sample = feed(reader, record("2", "cpu 2 0 0 2", disks=disks))
    assert [d.mount for d in sample.disks] == ["/", "/home/me/data", "/empty"]
    assert sample.disks[1].total_bytes == 3000 * 1024
    assert sample.disks[2].total_bytes == 0


def test_noise_outside_records_is_ignored_and_counter_resets_are_not_negative():
    reader = ShRecordReader("h")
    assert reader.feed("Welcome to Ubuntu") is None
    assert reader.feed("") is None
    feed(reader, record("5", "cpu 10 0 0 10", net=(net_line("eth0", 10**6, 10**6),)))
    sample = feed(reader, record("6", "cpu 20 0 0 20", net=(net_line("eth0", 5, 5),)))
    assert sample.net_rx_bytes_per_s == 0.0 and sample.net_tx_bytes_per_s == 0.0


@pytest.mark.parametrize(
    "python,expected",
    [("python3", "python3"), ("/opt/py/bin/python3", "/opt/py/bin/python3"), (None, "")],
)
def test_argv_passes_values_as_arguments_not_code(python, expected):
    argv = sampler_argv(2.5, python=python, force_proc=True, mounts=["/data", "~/x y"])
    assert argv[:2] == ["sh", "-c"]
    assert argv[3:5] == [LAUNCHER_NAME, expected]
    assert argv[6:] == ["2.5", "1", "/data", "~/x y"]
    assert "/data" not in argv[2] and "2.5" not in argv[2]
