"""Reading a run's metrics.jsonl a few lines at a time: whole lines only, hostile lines
skipped and counted, never held whole in memory, nothing read twice."""

from __future__ import annotations

import json
from pathlib import Path

from console.hosts.local import LocalHost
from console.runs.metrics import MAX_LINE_BYTES, MetricsReader


def line(**fields) -> bytes:
    return json.dumps(fields).encode() + b"\n"


def test_a_line_still_being_written_is_read_once_it_is_whole(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    first = line(kind="train", step=1, loss=2.5)
    path.write_bytes(first + b'{"kind": "train", "st')
    reader = MetricsReader(LocalHost(), str(path))

    assert [(r.kind, r.step, r.loss) for r in reader.read_new()] == [("train", 1, 2.5)]
    assert reader.offset == len(first)

    with path.open("ab") as out:
        out.write(b'ep": 2}\n')
    assert [r.step for r in reader.read_new()] == [2]
    assert reader.read_new() == [] and reader.skipped == 0


def test_lines_that_are_no_records_are_skipped_and_counted(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    endless = b'{"kind": "eval", "split": "' + b"x" * (3 * MAX_LINE_BYTES) + b'"}\n'
    path.write_bytes(
        b"not json\n"
        + endless  # longer than the reads: skipped without holding it
        + b"[1, 2]\n"
        + b'{"kind": ""}\n'
        + b'{"kind": "eval", "epoch": 1, "category_top1": "NaN", "loss": 1e999}\n'
        + line(kind="eval", epoch=2, category_top1=41.5)
    )
    reader = MetricsReader(LocalHost(), str(path))

    records = reader.read_new()

    assert reader.skipped == 4
    assert [(r.epoch, r.category_top1, r.loss) for r in records] == [
        (1, None, None),
        (2, 41.5, None),
    ]
    assert reader.offset == path.stat().st_size


def test_a_replaced_file_is_read_again_from_its_start(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(line(kind="start", step=0) + line(kind="train", step=1))
    reader = MetricsReader(LocalHost(), str(path))
    assert len(reader.read_new()) == 2

    path.write_bytes(line(kind="start", step=0))  # a new run in the same folder

    (record,) = reader.read_new()
    assert (record.kind, record.offset) == ("start", 0)


def test_no_file_yet_is_no_records(tmp_path: Path):
    reader = MetricsReader(LocalHost(), str(tmp_path / "metrics.jsonl"))
    assert reader.read_new() == [] and reader.offset == 0
