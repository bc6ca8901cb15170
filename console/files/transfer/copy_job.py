"""One transfer from start to end: resolve both sides, choose the route, list the files,
and copy each under the existing-file policy."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from console.files.paths import UnsafeName
from console.files.transfer.control import Control
from console.files.transfer.copiers import CopyContext, FileCopier
from console.files.transfer.endpoints import Endpoint, EntryKind, endpoint_for
from console.files.transfer.errors import TransferError
from console.files.transfer.host_s3_job import JobRunner
from console.files.transfer.plan import FilePlan, plan_copy
from console.files.transfer.progress import ProgressTracker
from console.files.transfer.routes import route_for
from console.files.transfer.spec import Policy, TransferSpec, parse_location
from console.hosts.base import Host
from console.models import RefusedName


@dataclass(frozen=True)
class Sides:
    """Where the sides of a copy come from: ``host_for(name)`` gives the Host of
    ``HOST:path``, ``s3_client()`` the boto3 client (None: no AWS session), ``python`` the
    interpreter for a host's helper."""

    host_for: Callable[[str], Host]
    s3_client: Callable[[], Any] | None
    python: str = "python3"

    def endpoint(self, text: str) -> Endpoint:
        return endpoint_for(parse_location(text), self.host_for, self.s3_client, self.python)


class CopyJob:
    """One transfer: resolve both sides, list the files, copy each. What it did is kept in
    ``copied``, ``skipped``, ``verified``, ``written``, ``refused`` and ``job_id``."""

    def __init__(
        self,
        sides: Sides,
        runner: JobRunner,
        spec: TransferSpec,
        tracker: ProgressTracker,
        control: Control,
        streams: int | None = None,
    ):
        self.sides = sides
        self.runner = runner
        self.spec = spec
        self.tracker = tracker
        self.control = control
        self.streams = spec.streams or streams
        self.copied = 0
        self.skipped = 0
        self.verified: set[str] = set()
        self.written: list[str] = []
        self.refused: list[RefusedName] = []
        self.job_id: str | None = None
        #: the JobManager of the host the job runs on (to follow it to its end)
        self.job_manager: Any = None

    def run(self) -> None:
        """Copy what the spec names. Raises TransferError (and its DiskFullError and
        TransferCancelled), HostError subclasses; a refused name is reported, not raised."""
        source = self.sides.endpoint(self.spec.source)
        destination = self.sides.endpoint(self.spec.destination)
        destination.check_destination()
        route = route_for(source, destination)
        if route.refusal is not None:
            raise TransferError(route.refusal)
        into = self.spec.destination.endswith("/")
        if route.job is not None:
            job = route.job(
                self.runner, source, destination,
                recursive=self.spec.recursive, into=into, refuse=self._refuse,
            )  # fmt: skip
            self.job_id = job.start()
            self.job_manager = job.manager
            return
        context = CopyContext(self.control, self.tracker, self.sides.python, self.streams)
        copier = route.copier(source, destination, context)
        plans = plan_copy(
            source, destination, recursive=self.spec.recursive, into=into, refuse=self._refuse
        )
        self.tracker.set_totals(len(plans), sum(plan.size for plan in plans))
        for plan in plans:
            self.control.checkpoint()
            self.tracker.current = plan.source
            if self._copy(copier, plan):
                self.tracker.file_done()

    def _refuse(self, name: str, reason: str) -> None:
        """Skip ``name`` (from the source, relative to the copied folder) and report why."""
        self.refused.append(RefusedName(name, reason))
        self.tracker.add_refused()

    def _copy(self, copier: FileCopier, plan: FilePlan) -> bool:
        """Copy (or skip as identical) one file; False when its name was refused."""
        destination = copier.destination
        if plan.rel is not None:
            # placed now, just before its folder is made: links already there count
            try:
                plan = replace(plan, destination=destination.place(plan.root, plan.rel))
            except UnsafeName as exc:
                self._refuse(plan.rel, exc.reason)
                self.tracker.drop(plan.size)  # never written: not part of what is done
                return False
        destination.make_folder_for(plan.destination)
        final = self._apply_policy(copier, plan)
        if final is None:
            self.skipped += 1
            self.tracker.add(plan.size)
            return True
        self.verified.add(copier.copy(plan, final))
        self.copied += 1
        self.written.append(destination.label(final))
        return True

    def _apply_policy(self, copier: FileCopier, plan: FilePlan) -> str | None:
        """The path to write, or None to skip. Raises TransferError for ``skip`` when the
        existing file differs."""
        destination = copier.destination
        existing = destination.stat(plan.destination)
        if existing is None or self.spec.policy is Policy.OVERWRITE:
            return plan.destination
        if existing.kind is not EntryKind.FILE:
            raise TransferError(f"{destination.label(plan.destination)} exists and is not a file.")
        if self.spec.policy is Policy.KEEP_BOTH:
            return free_name(destination, plan.destination)
        if existing.size == plan.size and copier.same(plan):
            return None
        raise TransferError(
            f"{destination.label(plan.destination)} already exists and differs from "
            f"{copier.source.label(plan.source)}; nothing was overwritten.",
            hint="Copy again with --policy overwrite or --policy keep-both.",
        )


def free_name(side: Endpoint, path: str) -> str:
    """``NAME (1).EXT``, ``NAME (2).EXT``, … next to ``path``: the first that is free."""
    name = side.split(path)[1]
    stem, dot, ext = name.rpartition(".")
    if not stem:
        stem, dot, ext = name, "", ""
    for number in itertools.count(1):
        candidate = side.beside(path, f"{stem} ({number}){dot}{ext}")
        if side.stat(candidate) is None:
            return candidate
    raise AssertionError("unreachable")
