"""The nvidia-smi fields the GPU view asks for, and what each one becomes in a GpuSample.

nvidia-smi accepts aliases but prints the canonical name in the CSV header (``clocks.sm`` comes
back as ``clocks.current.sm``, ``gpu_name`` as ``name``): both spellings map to one attribute.
"""

from __future__ import annotations

#: what the GPU view shows, in the order asked of nvidia-smi
QUERY_FIELDS: tuple[str, ...] = (
    "index",
    "uuid",
    "name",
    "driver_version",
    "utilization.gpu",
    "utilization.memory",
    "memory.used",
    "memory.total",
    "temperature.gpu",
    "power.draw",
    "power.limit",
    "clocks.sm",
    "fan.speed",
    "pstate",
)

#: what changes from one refresh to the next: the only fields the long-lived stream asks
#: for (a third of the bytes of QUERY_FIELDS); the rest comes from the first query
STREAM_FIELDS: tuple[str, ...] = (
    "index",
    "utilization.gpu",
    "utilization.memory",
    "memory.used",
    "temperature.gpu",
    "power.draw",
    "clocks.sm",
    "fan.speed",
    "pstate",
)
#: what the first query learns once per GPU and every streamed sample carries
STATIC_ATTRS: tuple[str, ...] = (
    "uuid",
    "name",
    "driver_version",
    "memory_total_mib",
    "power_limit_w",
)

#: what the process list shows
APPS_FIELDS: tuple[str, ...] = ("gpu_uuid", "pid", "used_memory", "process_name")

#: how a field's value is read (see console.gpu.parse)
INT, FLOAT, TEXT = "int", "float", "text"
#: field (either spelling) -> (GpuSample attribute, how to read it)
SAMPLE_ATTRS: dict[str, tuple[str, str]] = {
    "index": ("index", INT),
    "uuid": ("uuid", TEXT),
    "gpu_uuid": ("uuid", TEXT),
    "name": ("name", TEXT),
    "gpu_name": ("name", TEXT),
    "driver_version": ("driver_version", TEXT),
    "utilization.gpu": ("utilization_gpu", FLOAT),
    "utilization.memory": ("utilization_memory", FLOAT),
    "memory.used": ("memory_used_mib", FLOAT),
    "memory.total": ("memory_total_mib", FLOAT),
    "temperature.gpu": ("temperature_c", FLOAT),
    "power.draw": ("power_draw_w", FLOAT),
    "power.limit": ("power_limit_w", FLOAT),
    "clocks.sm": ("clock_sm_mhz", FLOAT),
    "clocks.current.sm": ("clock_sm_mhz", FLOAT),
    "fan.speed": ("fan_percent", FLOAT),
    "pstate": ("pstate", TEXT),
}
#: field (either spelling) -> (GpuProcess attribute, how to read it)
APPS_ATTRS: dict[str, tuple[str, str]] = {
    "pid": ("pid", INT),
    "process_name": ("process_name", TEXT),
    "name": ("process_name", TEXT),
    "used_memory": ("used_memory_mib", FLOAT),
    "used_gpu_memory": ("used_memory_mib", FLOAT),
    "gpu_uuid": ("gpu_uuid", TEXT),
}


def canonical_field(header_cell: str) -> str:
    """``"utilization.gpu [%]"`` -> ``"utilization.gpu"`` (a header cell without its unit)."""
    return header_cell.strip().split(" [", 1)[0].strip().strip('"')
