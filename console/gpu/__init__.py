"""nvidia-smi on a host: the query builder, the streaming parser, the states, the history.

One long-lived ``nvidia-smi --query-gpu=… --format=csv,noheader,nounits -lms N`` stream per
host feeds ``GpuMonitor``; the processes come from a second long-lived
``nvidia-smi --query-compute-apps=… -lms M`` stream at a lower rate. Nothing is started per
refresh: on a machine without persistence mode each nvidia-smi start initialises the driver
for every GPU, which is what makes ``watch nvidia-smi`` costly. The refresh stream asks only
for the fields that change; names, UUIDs and limits come from one first query.

Values nvidia-smi does not know (``[N/A]``, ``[Not Supported]``, ``[Function Not Found]``,
``[Unknown Error]``, a bare ``N/A``, an empty field) become ``None`` — "unknown" — never zero.
A host with no nvidia-smi, no driver or no GPU is a ``GpuState`` to show, not an exception.

The modules, from the bottom up:

- ``fields``: the fields asked for and the GpuSample/GpuProcess attribute each one fills;
- ``query``: the nvidia-smi argument lists;
- ``parse``: CSV answers, unknown values, rows -> GpuSample / GpuProcess;
- ``states``: what a failure means (no binary, no driver, no GPU…);
- ``table``: the plain ``nvidia-smi`` table (the doctor reads versions from it);
- ``stream``: lines, frames and ticks out of ``-lms`` streams;
- ``history``: the sparklines' data;
- ``monitor``: GpuMonitor, one host's GPUs kept current;

Everything public is importable from ``console.gpu`` itself.
"""

from console.gpu.fields import (
    APPS_FIELDS,
    QUERY_FIELDS,
    STATIC_ATTRS,
    STREAM_FIELDS,
    canonical_field,
)
from console.gpu.history import GpuHistory
from console.gpu.monitor import GpuMonitor, monitor_for
from console.gpu.parse import (
    ParsedCsv,
    is_unknown,
    parse_compute_apps,
    parse_csv,
    parse_int,
    parse_number,
    parse_query_gpu,
    parse_text,
    process_from_cells,
    sample_from_cells,
    split_row,
    with_position,
)
from console.gpu.query import query_apps_argv, query_gpu_argv
from console.gpu.states import classify_failure
from console.gpu.stream import FrameAssembler, group_ticks
from console.gpu.table import TableSummary, looks_like_table, parse_table
from console.hosts.lines import iter_lines
from console.jobs.processes import PidToJob, jobs_by_process_tree

__all__ = [
    "APPS_FIELDS",
    "QUERY_FIELDS",
    "STATIC_ATTRS",
    "STREAM_FIELDS",
    "FrameAssembler",
    "GpuHistory",
    "GpuMonitor",
    "monitor_for",
    "ParsedCsv",
    "PidToJob",
    "TableSummary",
    "canonical_field",
    "classify_failure",
    "group_ticks",
    "is_unknown",
    "iter_lines",
    "jobs_by_process_tree",
    "looks_like_table",
    "parse_compute_apps",
    "parse_csv",
    "parse_int",
    "parse_number",
    "parse_query_gpu",
    "parse_table",
    "parse_text",
    "process_from_cells",
    "query_apps_argv",
    "query_gpu_argv",
    "sample_from_cells",
    "split_row",
    "with_position",
]
