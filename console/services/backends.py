"""The jobs, files, mounts and monitors backends of the services bundle, built on its hosts,
settings and S3 session.

Each one takes host names ("local", an instance, an ssh alias) rather than Host objects, so
that every change to a host is a call of a guarded backend (see ``console.services.guard``).
``console.services`` builds them on first use with ``build(name, services)``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from console.errors import CredentialsError, UnpackError
from console.files.count.counter import FileCounter
from console.files.count.engine import COMPARE_OPTIONS, DEFAULT_OPTIONS, compare_counts
from console.files.mount import Credentials, list_mounts, mount, mount_tools, unmount
from console.files.unpack.runner import unpack_on_host
from console.jobs import directory as job_directory
from console.jobs import manager as jobs
from console.jobs.jupyter import JupyterMissingError
from console.models import (
    CountComparison,
    CountOptions,
    CountProgress,
    FileCount,
    Job,
    JobGroup,
    JobSpec,
    JupyterLink,
    MountEntry,
    MountOptions,
    MountTools,
    UnpackFailure,
    UnpackProgress,
    UnpackResult,
)
from console.models.jobspec import parse_env, template_spec
from console.models.location import path_on_host
from console.services import JobManagerBackend, Services, unguarded
from console.services.completion import HostCompletion
from console.services.guard import guard
from console.services.jupyter import JupyterLinks
from console.services.monitoring import HostMonitors
from console.services.runs import HostRuns


def build(name: str, services: Services) -> Any:
    """The backend ``name`` ("jobs", "files", "mounts", "monitors", "runs", "completion") of
    ``services``, unguarded."""
    kinds = {"jobs": HostJobs, "files": HostFiles, "mounts": HostMounts, "monitors": HostMonitors,
             "runs": HostRuns, "completion": HostCompletion}  # fmt: skip
    return kinds[name](services)


class HostJobs:
    """``JobsBackend``: console.jobs.directory and console.jobs.manager on the bundle's hosts, every
    manager handed out guarded."""

    def __init__(self, services: Services):
        self._services = services
        self._jupyter = JupyterLinks(services)
        services.on_close.append(self._jupyter.close)  # its forwards end with the console

    def jupyter(self, target: str, cancel: threading.Event | None = None) -> JupyterLink:
        try:
            return self._jupyter.open(target, cancel)
        except JupyterMissingError as exc:
            if self._services.demo is None:
                raise
            raise JupyterMissingError(
                "The demo has no Jupyter: its instances are this machine, and no Jupyter is "
                f"installed beside the console ({exc.message})",
                hint="pip install jupyterlab into the console's environment, then j again.",
            ) from exc

    def _guarded(self, manager: jobs.JobManager) -> Any:
        return guard(manager, JobManagerBackend, self._services._read_only_now)

    def manager(self, target: str) -> jobs.JobManager:
        return job_directory.manager_for(self._services, target)

    def parse_env(self, pairs: Iterable[str]) -> tuple[tuple[str, str], ...]:
        return parse_env(pairs)

    def template_spec(self, name: str) -> JobSpec:
        return template_spec(self._services.settings.templates, name)

    def with_groups(self, listed: Iterable[Job]) -> list[Job | JobGroup]:
        return jobs.with_groups(listed)

    def list(self, extra: Iterable[str] = ()) -> job_directory.JobListing:
        listing = job_directory.collect(self._services, extra)
        managers = {name: self._guarded(m) for name, m in listing.managers.items()}
        return replace(listing, managers=managers)

    def find(self, reference: str, extra: Iterable[str] = ()) -> tuple[Any, Any]:
        found, handle = job_directory.find_job_or_group(self._services, reference, extra)
        if isinstance(found, JobGroup):
            return found, [(self._guarded(manager), job) for manager, job in handle]
        return found, self._guarded(handle)

    def start(
        self,
        targets: Sequence[str],
        spec: JobSpec,
        *,
        master_addr: str = "",
        master_port: int = jobs.DEFAULT_MASTER_PORT,
    ) -> list[Job]:
        return job_directory.start_on_nodes(
            self._services, targets, spec, master_addr=master_addr, master_port=master_port
        )

    def control_group(self, members: Sequence[tuple[Any, Job]], action: str) -> dict[str, Any]:
        return jobs.control_group(members, action)

    def forget_group(self, members: Sequence[tuple[Any, Job]]) -> dict[str, Any]:
        return jobs.forget_group(members)

    def rerun_group(self, members: Sequence[tuple[Any, Job]]) -> list[Job]:
        return jobs.rerun_group(members)


class _AwsOfTheBundle:
    """What ``console.files.transfer.engine.engine_for`` reads of a bundle, with the S3 backend as
    given (its client is not handed out through the guard) and always the current one (a
    profile or region switch replaces it)."""

    def __init__(self, services: Services):
        self._services = services

    def ready(self) -> None:
        self._services.ready()

    @property
    def settings(self) -> Any:
        return self._services.settings

    @property
    def hosts(self) -> Any:
        return self._services.hosts

    @property
    def s3(self) -> Any:
        return unguarded(self._services, "s3")


class HostFiles:
    """``FilesBackend``: counts (console.files.count.engine), the transfer engine
    (console.files.transfer.engine) and unpacking (console.files.unpack.runner)."""

    def __init__(self, services: Services):
        self._services = services
        self._engine: Any = None
        self._engine_lock = threading.Lock()
        self._counter = FileCounter(
            host_for=lambda name: services.hosts.host_for(name),
            s3_client=lambda: unguarded(services, "s3").client(),
        )

    @property
    def transfers(self) -> Any:
        with self._engine_lock:
            if self._engine is None:
                # the engine loads boto3's transfer manager and the SSH streams: first copy
                from console.files.transfer.engine import engine_for

                self._engine = engine_for(_AwsOfTheBundle(self._services))
            return self._engine

    def count(
        self,
        location: str,
        options: CountOptions | None = None,
        *,
        on_progress: Callable[[CountProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> FileCount:
        return self._counter.count(
            location, options or DEFAULT_OPTIONS, on_progress=on_progress, cancel=cancel
        )

    def compare(
        self,
        locations: Sequence[str],
        options: CountOptions | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> CountComparison:
        return self._counter.compare(locations, options or COMPARE_OPTIONS, cancel=cancel)

    def compare_counts(self, counts: Sequence[FileCount]) -> CountComparison:
        return compare_counts(counts)

    def unpack(
        self,
        host: str,
        directory: str,
        *,
        dest: str | None = None,
        parallel: int | None = None,
        on_progress: Callable[[UnpackProgress], None] | None = None,
        on_failure: Callable[[UnpackFailure], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> UnpackResult:
        if dest is not None:
            # a destination is a path on the archives' host; another host is refused
            dest = path_on_host(dest, host, field="Unpack into", error=UnpackError)
        return unpack_on_host(
            self._services.hosts.host_for(host),
            directory,
            dest=dest,
            parallel=parallel,
            on_progress=on_progress,
            on_failure=on_failure,
            cancel=cancel,
        )


def mount_credentials(services: Services) -> Credentials:
    """The demo's account with --demo, else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and
    AWS_SESSION_TOKEN) of the environment: s3fs on the host signs its own requests.
    Raises CredentialsError saying how to provide them."""
    demo = services.demo
    if demo is not None:
        creds = demo.credentials  # type: ignore[attr-defined]
        return Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token)
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        raise CredentialsError(
            "Mounting needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment: "
            "s3fs on the host signs its own requests.",
            hint='Export them (for a profile: `eval "$(aws configure export-credentials '
            '--format env)"`), or attach an instance role and mount on the instance.',
        )
    return Credentials(key, secret, os.environ.get("AWS_SESSION_TOKEN") or None)


class HostMounts:
    """``MountsBackend``: console.files.mount with the bundle's credentials and endpoint."""

    def __init__(self, services: Services):
        self._services = services

    def _host(self, name: str) -> Any:
        self._services.ready()  # the demo may still be starting
        return self._services.hosts.host_for(name)

    def list(self, host: str) -> list[MountEntry]:
        return list_mounts(self._host(host))

    def tools(
        self,
        host: str,
        *,
        s3fs_binary: str = "s3fs",
        mount_s3_binary: str = "mount-s3",
        fuse_device: str = "/dev/fuse",
    ) -> MountTools:
        return mount_tools(
            self._host(host),
            s3fs_binary=s3fs_binary,
            mount_s3_binary=mount_s3_binary,
            fuse_device=fuse_device,
        )

    def mount(
        self,
        host: str,
        url: str,
        mountpoint: str,
        options: MountOptions | None = None,
        *,
        prefer_mount_s3: bool = False,
        s3fs_binary: str = "s3fs",
        mount_s3_binary: str = "mount-s3",
        make_mountpoint: bool = False,
    ) -> MountEntry:
        target = self._host(host)
        options = options or MountOptions()
        if options.endpoint_url is None:
            options = replace(options, endpoint_url=self._services.settings.endpoint_url)
        return mount(
            target,
            url,
            mountpoint,
            mount_credentials(self._services),
            options,
            prefer_mount_s3=prefer_mount_s3,
            s3fs_binary=s3fs_binary,
            mount_s3_binary=mount_s3_binary,
            make_mountpoint=make_mountpoint,
        )

    def unmount(self, host: str, mountpoint: str) -> None:
        unmount(self._host(host), mountpoint)
