"""Query building, line and frame assembly of a ``-lms`` stream, bounded history."""

from __future__ import annotations

import queue
import threading

import pytest

from console import gpu
from console.models import GpuSample


def test_query_argv_is_one_long_lived_stream():
    argv = gpu.query_gpu_argv(["index", "utilization.gpu"], interval_ms=500, nvidia_smi="/opt/nv")
    assert argv == [
        "/opt/nv",
        "--query-gpu=index,utilization.gpu",
        "--format=csv,noheader,nounits",
        "-lms",
        "500",
    ]
    assert "-lms" not in gpu.query_gpu_argv()


def test_apps_argv():
    assert gpu.query_apps_argv(interval_ms=5000, nvidia_smi="/opt/nv") == [
        "/opt/nv",
        "--query-compute-apps=" + ",".join(gpu.APPS_FIELDS),
        "--format=csv,noheader,nounits",
        "-lms",
        "5000",
    ]


def test_stream_asks_only_changing_fields_and_keeps_the_index():
    assert gpu.STREAM_FIELDS[0] == "index"
    assert not {"uuid", "name", "driver_version", "memory.total", "power.limit"} & set(
        gpu.STREAM_FIELDS
    )


def ticks_of(lines: list[str | None], interval_s: float = 0.2) -> list[list[str]]:
    q: queue.Queue = queue.Queue()
    for line in lines:
        q.put(line)
    published: list[list[str]] = []
    gpu.group_ticks(q, interval_s, published.append, startup_s=0)
    return published


def test_rows_arriving_together_are_one_tick():
    assert ticks_of(["a", "b", "c", None]) == [["a", "b", "c"]]


def test_silence_means_no_processes_once():
    q: queue.Queue = queue.Queue()
    for line in ["a", "b"]:
        q.put(line)
    published: list[list[str]] = []

    def publish(block):
        published.append(block)
        if len(published) == 2:  # the tick, then "nothing any more"
            q.put(None)

    gpu.group_ticks(q, 0.05, publish)
    assert published == [["a", "b"], []]


def test_silence_before_the_first_row_waits_for_startup():
    q: queue.Queue = queue.Queue()
    published: list[list[str]] = []
    # the first row comes long after empty_after (~18 ms) but well within startup_s
    threading.Timer(0.2, lambda: (q.put("a"), q.put(None))).start()
    gpu.group_ticks(q, 0.01, published.append, startup_s=30)
    assert published == [["a"]]  # no premature "no processes" before the first row


def test_lines_survive_arbitrary_chunking():
    data = b"0, 10\n1, 20\r\n0, 3"
    chunks = [data[i : i + 3] for i in range(0, len(data), 3)]
    assert list(gpu.iter_lines(chunks)) == ["0, 10", "1, 20", "0, 3"]


def row(index: int, util: int) -> str:
    return f"{index}, GPU-{index}, T4, 535, {util}, 1, 2, 3, 4, 5, 6, 7, [N/A], P0"


def test_frames_complete_at_expected_count():
    frames = gpu.FrameAssembler(expected=2)
    assert frames.feed_line(row(0, 10), 1.0) == []
    [frame] = frames.feed_line(row(1, 20), 1.0)
    assert [(s.index, s.utilization_gpu) for s in frame] == [(0, 10.0), (1, 20.0)]


def test_frames_complete_when_a_gpu_repeats_without_a_count():
    frames = gpu.FrameAssembler()
    assert frames.feed_line(row(0, 10), 1.0) == []
    assert frames.feed_line(row(1, 20), 1.0) == []
    [frame] = frames.feed_line(row(0, 30), 2.0)
    assert [s.utilization_gpu for s in frame] == [10.0, 20.0]
    assert frames.flush()[0].utilization_gpu == 30.0


def test_rows_without_index_or_uuid_are_told_apart_by_position():
    # e.g. `--query-gpu=gpu_name,mig.mode.current,mig.mode.pending` on an 8-GPU node
    frames = gpu.FrameAssembler(("name", "mig.mode.current", "mig.mode.pending"), expected=3)
    line = "NVIDIA A100-SXM4-40GB, Disabled, Enabled"
    assert frames.feed_line(line, 1.0) == []
    assert frames.feed_line(line, 1.0) == []
    [frame] = frames.feed_line(line, 1.0)
    assert [s.key for s in frame] == ["#0", "#1", "#2"]
    assert [s.name for s in frame] == ["NVIDIA A100-SXM4-40GB"] * 3


def test_single_gpu_frames_each_line():
    frames = gpu.FrameAssembler(expected=1)
    assert len(frames.feed_line(row(0, 1), 1.0)) == 1
    assert len(frames.feed_line(row(0, 2), 2.0)) == 1


def test_error_lines_are_kept_aside_not_parsed():
    frames = gpu.FrameAssembler(expected=1)
    assert (
        frames.feed_line(
            "Unable to determine the device handle for GPU0000:01:00.0: GPU is lost", 1
        )
        == []
    )
    assert frames.errors and "GPU is lost" in frames.errors[0]


def test_history_is_bounded_per_gpu():
    history = gpu.GpuHistory(maxlen=3)
    for t in range(10):
        history.add(GpuSample(at=t, index=0, uuid="GPU-a", utilization_gpu=float(t)))
        history.add(GpuSample(at=t, index=1, uuid="GPU-b", utilization_gpu=None))
    assert history.series("GPU-a", "utilization_gpu") == [7.0, 8.0, 9.0]
    assert history.series("GPU-b", "utilization_gpu") == [None, None, None]
    assert history.samples("GPU-missing") == ()
    with pytest.raises(ValueError):
        gpu.GpuHistory(0)


def test_sample_key_prefers_uuid():
    assert GpuSample(at=0, index=3, uuid="GPU-x").key == "GPU-x"
    assert GpuSample(at=0, index=3).key == "#3"
