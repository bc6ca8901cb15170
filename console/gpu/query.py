"""The argument lists of the nvidia-smi queries (``--query-gpu``, ``--query-compute-apps``)."""

from __future__ import annotations

from collections.abc import Sequence

from console.gpu.fields import APPS_FIELDS, QUERY_FIELDS


def query_gpu_argv(
    fields: Sequence[str] = QUERY_FIELDS,
    *,
    interval_ms: int | None = None,
    nvidia_smi: str = "nvidia-smi",
) -> list[str]:
    """``nvidia-smi --query-gpu=<fields> --format=csv,noheader,nounits [-lms N]``."""
    argv = [nvidia_smi, "--query-gpu=" + ",".join(fields), "--format=csv,noheader,nounits"]
    if interval_ms is not None:
        argv += ["-lms", str(int(interval_ms))]
    return argv


def query_apps_argv(
    fields: Sequence[str] = APPS_FIELDS,
    *,
    interval_ms: int | None = None,
    nvidia_smi: str = "nvidia-smi",
) -> list[str]:
    """``nvidia-smi --query-compute-apps=<fields> --format=csv,noheader,nounits [-lms N]``."""
    argv = [nvidia_smi, "--query-compute-apps=" + ",".join(fields), "--format=csv,noheader,nounits"]
    if interval_ms is not None:
        argv += ["-lms", str(int(interval_ms))]
    return argv
