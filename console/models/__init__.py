"""Frozen value objects that cross from the backends into the UI, one module per domain.

No value object does I/O, holds a boto3 dict or a paramiko object, or builds the words a
screen shows (that is ``console.format``). Every class is re-exported here, so
``from console.models import Instance`` reads the same wherever it is used.

The re-exports load on first use, each from its domain's module only (PEP 562): a frozen
dataclass costs about a millisecond to build, and ``awsconsole count DIR`` should not pay
for the AWS, GPU, jobs and runs models it never shows.
"""

from __future__ import annotations

import importlib
from typing import Any

#: each domain module and the names re-exported from it
DOMAINS: dict[str, tuple[str, ...]] = {
    "aws": (
        "AwsIdentity",
        "AwsProfile",
        "AwsRegion",
        "AwsTarget",
        "Bucket",
        "HourlyPrice",
        "ImageInfo",
        "Instance",
        "InstanceDetail",
        "InstanceState",
        "InstanceTypeInfo",
        "KeyPairInfo",
        "LaunchRequest",
        "ObjectPreview",
        "QuotaInfo",
        "S3Object",
        "S3Page",
        "SecurityGroupRule",
        "SpotPrice",
        "VolumeInfo",
    ),
    "files": (
        "S3FS_TYPE",
        "CountComparison",
        "CountOptions",
        "CountProgress",
        "ExtensionComparison",
        "ExtensionCount",
        "FileCount",
        "MountEntry",
        "MountOptions",
        "MountTools",
        "Policy",
        "RefusedName",
        "TransferProgress",
        "TransferResult",
        "TransferSpec",
        "TransferState",
        "UnpackFailure",
        "UnpackFailureKind",
        "UnpackProgress",
        "UnpackResult",
    ),
    "gpu": (
        "AutoStopDecision",
        "AutoStopPhase",
        "AutoStopReport",
        "AutoStopReportKind",
        "AutoStopStatus",
        "DiskUsage",
        "DoctorCheck",
        "GpuProcess",
        "GpuSample",
        "GpuSnapshot",
        "GpuState",
        "GpuStatus",
        "HostSample",
        "IdleStatus",
        "IdleWarning",
    ),
    "hosts": (
        "CommandResult",
        "FileKind",
        "FileStat",
        "FolderEntry",
    ),
    "jobs": (
        "Job",
        "JobGroup",
        "JobSpec",
        "JobState",
        "JobStatus",
        "JupyterLink",
        "LogChunk",
        "LogWindow",
    ),
    "runs": (
        "COMPARE_COLUMNS",
        "AttributeRecall",
        "Checkpoint",
        "CompareColumn",
        "Comparison",
        "Guess",
        "LandmarkGuess",
        "LedgerProblem",
        "MetricRecord",
        "OverConfidence",
        "Prediction",
        "RunComparison",
        "RunListing",
        "RunNode",
        "RunProgress",
        "RunRecord",
        "RunState",
        "TrainDefaults",
        "TrainRequest",
    ),
}

#: the domain module of each re-exported name
_HOME = {name: module for module, names in DOMAINS.items() for name in names}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    """``console.models.NAME``: loaded from its domain module on first use, then kept."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
