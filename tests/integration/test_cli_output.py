"""How the non-interactive commands print: aligned tables for people, JSON for scripts."""

from __future__ import annotations

import datetime as dt
import io
import json

from console.commands import jsonable, print_json, print_table
from console.commands.instances import as_record
from console.format.instances import gpu_label
from console.models import Instance, InstanceState, InstanceTypeInfo

LAUNCHED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
TRAIN = Instance(
    id="i-0123456789abcdef0",
    name="fashion-train",
    type="g5.xlarge",
    state=InstanceState.RUNNING,
    public_ip="203.0.113.9",
    launch_time=LAUNCHED,
    tags=(("Name", "fashion-train"), ("team", "vision")),
)
BARE = Instance(id="i-1", name="", type="t3.micro", state=InstanceState.STOPPED)
A10G = InstanceTypeInfo("g5.xlarge", 4, 16384, 1, "A10G", "NVIDIA", 22888)


def test_table_aligns_columns_and_marks_missing_values():
    out = io.StringIO()
    print_table(
        [TRAIN, BARE],
        (("NAME", lambda i: i.name), ("STATE", lambda i: i.state), ("IP", lambda i: i.public_ip)),
        out,
    )
    lines = out.getvalue().splitlines()
    assert lines == [
        "NAME           STATE    IP",
        "fashion-train  running  203.0.113.9",
        "-              stopped  -",
    ]


def test_json_record_has_plain_types():
    out = io.StringIO()
    print_json([as_record(TRAIN, {"g5.xlarge": A10G}), as_record(BARE, {})], out)
    train, bare = json.loads(out.getvalue())
    assert train["state"] == "running"
    assert train["launch_time"] == "2026-01-02T03:04:05+00:00"
    assert train["tags"] == {"Name": "fashion-train", "team": "vision"}
    assert train["gpus"] == {"count": 1, "model": "A10G", "memory_mib": 22888}
    assert bare["gpus"] is None and bare["public_ip"] is None


def test_jsonable_handles_nested_values():
    assert jsonable({"when": [LAUNCHED], "state": InstanceState.PENDING}) == {
        "when": ["2026-01-02T03:04:05+00:00"],
        "state": "pending",
    }


def test_gpu_label():
    assert gpu_label(A10G) == "1× A10G 22 GiB"
    assert gpu_label(InstanceTypeInfo("t3.micro", 2, 1024)) == ""
    assert gpu_label(None) == ""
