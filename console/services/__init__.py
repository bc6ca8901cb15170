"""The one door from the UI and the CLI to every backend.

``Services`` (``bundle``) holds the backends of one session: AWS (``ec2``, ``s3``), hosts,
and what runs on them (``jobs``, ``files``, ``mounts``, ``monitors``, ``runs``), and what typed
fields complete with (``completion``). Each is typed by a
Protocol of ``protocols`` (what it returns, what it raises, the shell command it stands
for) and handed out guarded (``guard``): a member that changes something is refused while
the session is read-only, at the moment it runs, whoever calls it. ``assembly`` builds the
bundle for an AWS account; ``console.demo.services`` builds the demo's.
"""

from __future__ import annotations

from console.services.bundle import AwsBackends, Services, unguarded
from console.services.protocols import (
    AutoStopHandle,
    CompletionBackend,
    Ec2Backend,
    FilesBackend,
    GpuMonitorHandle,
    HostResolver,
    HostSamplerHandle,
    IdleDetecting,
    JobManagerBackend,
    JobsBackend,
    LaunchBackend,
    LogReader,
    MetricsFeed,
    MonitorsBackend,
    MountsBackend,
    QuotaBackend,
    RunsBackend,
    S3Backend,
    SampleHistory,
    TransferQueue,
)

__all__ = [
    "AutoStopHandle",
    "AwsBackends",
    "CompletionBackend",
    "Ec2Backend",
    "FilesBackend",
    "GpuMonitorHandle",
    "HostResolver",
    "HostSamplerHandle",
    "IdleDetecting",
    "JobManagerBackend",
    "JobsBackend",
    "LaunchBackend",
    "LogReader",
    "MetricsFeed",
    "MonitorsBackend",
    "MountsBackend",
    "QuotaBackend",
    "RunsBackend",
    "S3Backend",
    "SampleHistory",
    "Services",
    "TransferQueue",
    "unguarded",
]
