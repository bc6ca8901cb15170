"""The run screen's one line about the GPUs a run trains on: one GPU, several, unknown
values, a host without GPUs, a replayed recording."""

from __future__ import annotations

from console.format.gpu import gpu_summary
from console.models import GpuSample, GpuSnapshot, GpuState, GpuStatus

OK = GpuState(GpuStatus.OK)


def gpu(index: int, busy: float | None, used: float | None = 1024.0, watts: float | None = 100.0):
    return GpuSample(at=0.0, index=index, name="NVIDIA A100-SXM4-40GB", utilization_gpu=busy,
                     memory_used_mib=used, memory_total_mib=40960.0, power_draw_w=watts,
                     power_limit_w=400.0)  # fmt: skip


def test_one_gpu_reads_its_own_figures():
    line = gpu_summary(GpuSnapshot("box", OK, (gpu(0, 87.0, used=19456.0, watts=210.4),)))

    assert line == ("GPUs on box: 1 × NVIDIA A100-SXM4-40GB · utilisation 87% · "
                    "memory 19.0/40.0G · 210/400W")  # fmt: skip


def test_several_gpus_read_the_mean_the_lowest_and_the_sums():
    line = gpu_summary(GpuSnapshot("box", OK, (gpu(0, 90.0), gpu(1, 60.0), gpu(2, 30.0))))

    assert "3 × NVIDIA A100-SXM4-40GB" in line
    assert "utilisation 60% mean, lowest 30%" in line
    assert "memory 3.0/120.0G" in line and "300/1200W" in line


def test_an_unknown_value_is_a_dash_never_zero():
    line = gpu_summary(GpuSnapshot("box", OK, (gpu(0, None, watts=None), gpu(1, None))))

    assert "utilisation –" in line
    assert "memory 2.0/80.0G" in line
    assert "–/800W" in line  # one card's draw unknown: the sum is unknown, not 100 W


def test_a_host_without_gpus_says_so_in_its_own_words():
    state = GpuState(GpuStatus.NO_NVIDIA_SMI, "nvidia-smi is not installed on box.")

    assert gpu_summary(GpuSnapshot("box", state)) == "GPUs on box: nvidia-smi is not installed on box."
    assert gpu_summary(GpuSnapshot("box", GpuState(GpuStatus.STARTING))) == (
        "GPUs on box: waiting for nvidia-smi…")


def test_a_replayed_recording_is_labelled():
    snapshot = GpuSnapshot("demo-a", OK, (gpu(0, 50.0),), recording="a recording of an A10G")

    assert gpu_summary(snapshot).endswith(" (a replayed recording)")
