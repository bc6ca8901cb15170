"""``RunsBackend``: the training workflow (``console.runs``) on the bundle's hosts, jobs, S3,
transfer engine and settings.

A launch is a job (``services.jobs``, so read-only refuses it there too) recorded in the ledger;
the record is brought up to date from the job and the run folder whenever the runs are listed.
Checkpoints are fetched through the transfer engine (``services.files``) into the cache, a new
folder per version; a prediction runs the trainer on this machine.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import platformdirs

from console.errors import ConsoleError, HostError, HostUnreachableError, JobNotFoundError
from console.hosts.base import Host
from console.hosts.local import LocalHost
from console.models import (
    Checkpoint,
    Comparison,
    InstanceState,
    Job,
    JobSpec,
    MetricRecord,
    Prediction,
    RunListing,
    RunNode,
    RunProgress,
    RunRecord,
    RunState,
    TrainRequest,
    TransferProgress,
    TransferSpec,
)
from console.models.location import LocationKind, parse_location
from console.runs import checkpoints as ckpts
from console.runs import compare as comparing
from console.runs import derive, trainer_args
from console.runs.errors import CheckpointListError, RunError
from console.runs.ledger import Ledger, new_run_id
from console.runs.local_python import local_python
from console.runs.metrics import MetricsReader, read_all
from console.runs.predict import python_for_trainer, run_predict
from console.runs.status import observe
from console.services.bundle import Services, unguarded

#: runs refreshed at once by ``list``
REFRESH_WORKERS = 8
#: seconds a git question on a host may take
GIT_TIMEOUT = 15.0
#: how long a relaunch waits for a new instance to run and answer SSH
NEW_INSTANCE_SECONDS = 900.0
_COMMIT = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?\Z")
#: the instance states in which a host that does not answer is gone for good
GONE = (InstanceState.TERMINATED, InstanceState.SHUTTING_DOWN, InstanceState.STOPPED,
        InstanceState.STOPPING)  # fmt: skip


class HostRuns:
    """``RunsBackend`` (see its docstrings in ``console.services.protocols``)."""

    def __init__(self, services: Services):
        self._services = services
        settings = services.settings.runs
        self._ledger = Ledger(settings.ledger or None)
        self._lock = threading.Lock()

    # -- places ---------------------------------------------------------------------------------

    @property
    def ledger_path(self) -> str:
        return str(self._ledger.path)

    def _settings(self) -> Any:
        return self._services.settings.runs

    def _cache_root(self) -> str:
        configured = self._settings().cache_dir
        if configured:
            return os.path.abspath(os.path.expanduser(configured))
        return os.path.join(platformdirs.user_cache_dir("awsconsole"), "runs")

    def _host(self, target: str) -> Host:
        self._services.ready()  # the demo may still be starting
        return self._services.hosts.host_for(target)

    # -- the ledger -----------------------------------------------------------------------------

    def list(self, refresh: bool = True) -> RunListing:
        records, problems = self._ledger.read()
        errors: dict[str, str] = {}
        if refresh:
            running = [r for r in records if not r.finished]
            if running:
                with ThreadPoolExecutor(min(REFRESH_WORKERS, len(running)),
                                        thread_name_prefix="runs-refresh") as pool:  # fmt: skip
                    futures = {pool.submit(self._refreshed, r): r for r in running}
                updated = {}
                for future, record in futures.items():
                    try:
                        updated[record.id] = future.result()
                    except ConsoleError as exc:
                        errors[record.id] = exc.message
                records = [updated.get(r.id, r) for r in records]
        ordered = sorted(records, key=lambda r: (r.started, r.id), reverse=True)
        return RunListing(tuple(ordered), tuple(problems), errors)

    def get(self, reference: str) -> RunRecord:
        return self._ledger.get(reference)

    def refresh(self, reference: str) -> RunRecord:
        return self._refreshed(self._ledger.get(reference))

    def _refreshed(self, record: RunRecord) -> RunRecord:
        if record.finished:
            return record
        try:
            jobs = [self._job(node) for node in record.nodes]
            updated = observe(record, self._host(record.primary.host), jobs)
        except HostError as exc:
            updated = self._unreachable(record, exc)
        if updated != record:
            self._ledger.update(updated)
        return updated

    def _job(self, node: RunNode) -> Job | None:
        try:
            return self._services.jobs.manager(node.host).get(node.job_id)
        except JobNotFoundError:
            return None

    def _unreachable(self, record: RunRecord, error: HostError) -> RunRecord:
        """A host that does not answer: when its instance is known to be gone (terminated,
        stopped: a spot reclaim), the run is lost, and its latest checkpoint in S3 is noted;
        otherwise the error stands."""
        instance_id = record.primary.instance_id
        if instance_id is None or self._services.ec2 is None:
            raise error
        try:
            instances = {i.id: i for i in self._services.ec2.list_instances()}
        except ConsoleError:
            raise error from None
        instance = instances.get(instance_id)
        if instance is not None and instance.state not in GONE:
            raise error
        latest = self._s3_last(record) if record.s3_uri else None
        step = latest.step if latest is not None else record.checkpoint_step
        return replace(
            record, state=RunState.LOST, ended=dt.datetime.now(dt.UTC), checkpoint_step=step
        )

    # -- metrics --------------------------------------------------------------------------------

    def metrics(self, reference: str, offset: int = 0) -> MetricsReader:
        record = self._ledger.get(reference)
        return MetricsReader(self._host(record.primary.host), record.metrics_path, offset)

    def records(self, reference: str) -> list[MetricRecord]:
        record = self._ledger.get(reference)
        return read_all(self._host(record.primary.host), record.metrics_path)

    def progress(
        self, run: RunRecord, records: Sequence[MetricRecord], now: Any = None
    ) -> RunProgress:
        return derive.run_progress(run, records, now, self._settings().over_confident_epochs)

    # -- checkpoints ----------------------------------------------------------------------------

    def checkpoints(self, location: str) -> list[Checkpoint]:
        place = parse_location(location, error=CheckpointListError)
        if place.kind == LocationKind.S3:
            return self._s3_checkpoints(str(place.bucket), place.path)
        if place.kind == LocationKind.HOST:
            return self._folder_checkpoints(
                self._host(str(place.host)), place.path, str(place.host)
            )
        path = os.path.abspath(os.path.expanduser(place.path))
        return self._folder_checkpoints(LocalHost(), path, None)

    def downloaded(self, location: str) -> list[Checkpoint]:
        place = parse_location(location.rstrip("/") + "/last.pt", error=CheckpointListError)
        if place.kind == LocationKind.LOCAL:
            return []  # on this machine already: listed where it is
        if place.kind == LocationKind.HOST and isinstance(self._host(str(place.host)), LocalHost):
            return []
        # the folder ``download`` puts this folder's versions in (CACHE/…/v-SIZE-MTIME/NAME)
        root = os.path.join(self._cache_root(), "checkpoints")
        folder = os.path.dirname(os.path.dirname(ckpts.cache_path(root, place, "0")))
        try:
            with os.scandir(folder) as entries:
                versions = [entry for entry in entries if entry.name.startswith("v-")
                            and entry.is_dir(follow_symlinks=False)]  # fmt: skip
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise CheckpointListError(f"Cannot read {folder}: {exc.strerror}.") from exc
        versions.sort(key=lambda entry: entry.stat(follow_symlinks=False).st_mtime, reverse=True)
        found: list[Checkpoint] = []
        for entry in versions:
            found.extend(self._folder_checkpoints(LocalHost(), entry.path, None))
        return found

    def _folder_checkpoints(self, host: Host, path: str, label: str | None) -> list[Checkpoint]:
        folder, wanted = path, None
        if ckpts.is_checkpoint_name(path.rstrip("/").rsplit("/", 1)[-1]):
            folder, _, wanted = path.rstrip("/").rpartition("/")
            folder = folder or "/"
        found = ckpts.list_folder(host, folder, label)
        return [c for c in found if c.name == wanted] if wanted else found

    def _s3_checkpoints(self, bucket: str, prefix: str) -> list[Checkpoint]:
        wanted = None
        if ckpts.is_checkpoint_name(prefix.rsplit("/", 1)[-1]):
            prefix, _, wanted = prefix.rpartition("/")
        folder = prefix.rstrip("/") + "/" if prefix.strip("/") else ""
        objects = [
            obj for page in self._services.s3.iter_objects(bucket, folder) for obj in page.objects
        ]
        found = ckpts.list_s3(bucket, objects, lambda key: self._s3_small(bucket, key))
        return [c for c in found if c.name == wanted] if wanted else found

    def _s3_small(self, bucket: str, key: str) -> bytes | None:
        """The first bytes of an object (a sidecar), or None when it cannot be read
        (``aws s3api get-object --range bytes=0-N``)."""
        raw = unguarded(self._services, "s3")
        try:
            with raw.errors():
                reply = raw.client().get_object(
                    Bucket=bucket, Key=key, Range=f"bytes=0-{ckpts.MAX_SIDECAR_BYTES}"
                )
                return reply["Body"].read(ckpts.MAX_SIDECAR_BYTES + 1)
        except ConsoleError:
            return None

    def latest_checkpoint(self, reference: str) -> Checkpoint | None:
        record = self._ledger.get(reference)
        candidates = [
            c for c in (self._folder_last(record), self._s3_last(record)) if c is not None
        ]
        if not candidates:
            return None
        # the newer by step; on a tie (or no step known) the run folder's copy
        return max(candidates, key=lambda c: c.step if c.step is not None else -1)

    def _folder_last(self, record: RunRecord) -> Checkpoint | None:
        try:
            found = self._folder_checkpoints(self._host(record.primary.host),
                                             f"{record.run_dir}/last.pt", record.primary.host)  # fmt: skip
        except ConsoleError:
            return None  # the host is gone: S3 may still have it
        return found[0] if found else None

    def _s3_last(self, record: RunRecord) -> Checkpoint | None:
        if not record.s3_uri:
            return None
        try:
            found = self.checkpoints(f"{record.s3_uri.rstrip('/')}/last.pt")
        except ConsoleError:
            return None
        return found[0] if found else None

    def download(
        self,
        source: str,
        into: str | None = None,
        *,
        on_progress: Callable[[TransferProgress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        place = parse_location(source, error=CheckpointListError)
        if place.kind == LocationKind.LOCAL:
            path = os.path.abspath(os.path.expanduser(place.path))
            if not os.path.isfile(path):
                raise CheckpointListError(f"No checkpoint {source!r} on this machine.")
            return path
        if place.kind == LocationKind.HOST:
            host = self._host(str(place.host))
            if isinstance(host, LocalHost):  # this machine by a host name: nothing to copy
                path = host.expand(place.path)
                if not os.path.isfile(path):
                    raise CheckpointListError(f"No checkpoint {source!r} on this machine.")
                return path
        size, mtime = self._stat(place)
        root = (
            os.path.abspath(os.path.expanduser(into))
            if into
            else os.path.join(self._cache_root(), "checkpoints")
        )
        target = ckpts.cache_path(root, place, f"{size}-{int(mtime)}")
        if os.path.isfile(target) and os.path.getsize(target) == size:
            return target  # this version was fetched before
        try:
            os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        except OSError as exc:
            raise CheckpointListError(
                f"Cannot create {os.path.dirname(target)}: {exc.strerror}."
            ) from exc
        queue = self._services.files.transfers
        queue.run(TransferSpec(source, target), on_progress, cancel=cancel)
        try:  # its sidecar, when it has one: the local copy then lists with its step and metrics
            queue.run(TransferSpec(source + ckpts.SIDECAR_SUFFIX, target + ckpts.SIDECAR_SUFFIX),
                      cancel=cancel)  # fmt: skip
        except ConsoleError:
            pass
        return target

    def _stat(self, place: Any) -> tuple[int, float]:
        """(size, modification time) of a checkpoint on a host or in S3."""
        if place.kind == LocationKind.HOST:
            try:
                found = self._host(str(place.host)).stat(place.path)
            except ConsoleError as exc:
                raise CheckpointListError(f"No checkpoint {place}: {exc.message}") from exc
            return found.size, found.mtime
        raw = unguarded(self._services, "s3")
        try:
            with raw.errors():
                head = raw.client().head_object(Bucket=place.bucket, Key=place.path)
        except ConsoleError as exc:
            raise CheckpointListError(f"No checkpoint {place}: {exc.message}") from exc
        modified = head.get("LastModified")
        return int(head.get("ContentLength", 0)), modified.timestamp() if modified else 0.0

    # -- predictions -----------------------------------------------------------------------------

    def python(self) -> str:
        return python_for_trainer(self._settings().python)

    def predict(
        self,
        checkpoint: str,
        image: str,
        *,
        out_dir: str | None = None,
        top_attributes: int = 3,
        bbox: Sequence[int] | None = None,
    ) -> Prediction:
        python = self.python()
        local = self.download(checkpoint)
        out = (
            os.path.abspath(os.path.expanduser(out_dir))
            if out_dir
            else os.path.join(self._cache_root(), "predictions")
        )
        return run_predict(local, os.path.abspath(os.path.expanduser(image)), source=checkpoint, out_dir=out,
                           python=python, top_attributes=top_attributes, bbox=bbox,
                           timeout=self._settings().predict_timeout_seconds)  # fmt: skip

    # -- launching ------------------------------------------------------------------------------

    def _python_on(self, host: Host) -> str:
        """The interpreter that trains on ``host``: on this machine the one with torch
        (``[runs] python`` or the console's own), else ``[doctor] python``."""
        if isinstance(host, LocalHost):
            return local_python(self._settings().python) or self._services.settings.doctor.python
        return self._services.settings.doctor.python

    def _check(self, request: TrainRequest) -> None:
        if not request.hosts or not all(h.strip() for h in request.hosts):
            raise RunError("Say where to train: at least one host.")
        trainer_args.check_gpus(request.gpus)
        if self._services.demo is not None and trainer_args.probes_link_local_metadata(
            request.trainer_args
        ):
            raise RunError(
                "In the demo the trainer's spot watcher would ask the link-local metadata "
                "address (169.254.169.254), which only a real instance answers.",
                hint="Add --spot-watch off, or --imds-endpoint with a loopback stand-in.",
            )

    def command(self, request: TrainRequest) -> list[str]:
        self._check(request)
        python = self._python_on(self._host(request.hosts[0]))
        return trainer_args.launch_argv(
            python, request.trainer_args, request.gpus, len(request.hosts)
        )

    def train(self, request: TrainRequest) -> RunRecord:
        return self._start(request)

    def _start(self, request: TrainRequest, **continuation: Any) -> RunRecord:
        argv = self.command(request)
        first = self._host(request.hosts[0])
        manager = self._services.jobs.manager(request.hosts[0])
        cwd = manager.expand(request.cwd or "~")
        commit, dirty = git_state(first, cwd)
        name = request.name or "train"
        jobs = self._services.jobs.start(
            list(request.hosts),
            JobSpec(command=tuple(argv), name=name, cwd=request.cwd or "~", env=request.env),
            master_addr=request.master_addr,
            master_port=request.master_port,
        )
        nodes = self._nodes(request.hosts, jobs)
        record = RunRecord(
            id=new_run_id(name),
            name=name,
            started=jobs[0].started,
            command=tuple(argv),
            trainer_args=tuple(request.trainer_args),
            gpus=request.gpus,
            cwd=request.cwd or "~",
            run_dir=trainer_args.run_dir_of(request.trainer_args, cwd),
            nodes=nodes,
            group=jobs[0].spec.group,
            git_commit=commit,
            git_dirty=dirty,
            s3_uri=trainer_args.s3_uri_of(request.trainer_args),
            epochs_total=trainer_args.epochs_of(request.trainer_args),
            **continuation,
        )
        try:
            return self._ledger.add(record)
        except ConsoleError as exc:
            exc.hint = f"The training runs all the same: job {jobs[0].id} on {jobs[0].host}."
            raise

    def _nodes(self, targets: Sequence[str], jobs: Sequence[Job]) -> tuple[RunNode, ...]:
        """Each node with its job and, when the host is a known instance, its type and price
        (``aws ec2 describe-instances``, prices as the Instances view has them); a lookup
        that fails leaves them unknown rather than failing a launch that already started."""
        found: dict[str, Any] = {}
        prices: dict[str, Any] = {}
        ec2 = self._services.ec2
        if ec2 is not None and any(target != "local" for target in targets):
            try:
                instances = ec2.list_instances()
                found = {t: i for t in targets for i in instances if t in (i.id, i.name)}
                prices = ec2.hourly_prices(list(found.values())) if found else {}
            except ConsoleError:
                found, prices = {}, {}
        nodes = []
        for target, job in zip(targets, jobs, strict=False):
            instance = found.get(target)
            price = prices.get(instance.id) if instance is not None else None
            nodes.append(RunNode(
                host=target, job_id=job.id,
                instance_id=instance.id if instance else None,
                instance_type=instance.type if instance else None,
                price_per_hour=price.price_per_hour if price else None,
                price_source=price.source if price else None,
            ))  # fmt: skip
        return tuple(nodes)

    # -- spot recovery --------------------------------------------------------------------------

    def rerun_request(self, reference: str) -> TrainRequest:
        run = self.get(reference)
        return TrainRequest(
            hosts=run.hosts,
            # a re-run starts from scratch: a relaunch's --resume would continue the old run
            trainer_args=trainer_args.without_option(run.trainer_args, "--resume"),
            name=run.name,
            gpus=run.gpus,
            cwd=run.cwd,
            env=self._env_of(run),
        )

    def relaunch_request(self, reference: str, hosts: Sequence[str] = ()) -> TrainRequest:
        return self._plan(self.refresh(reference), hosts)[0]

    def _plan(
        self, run: RunRecord, hosts: Sequence[str]
    ) -> tuple[TrainRequest, Checkpoint, str | None]:
        """The request, the checkpoint it resumes from, and (when it must be copied first) the
        folder on the new first host it goes to."""
        if run.state is RunState.RUNNING:
            raise RunError(f"Run {run.id} is still running.",
                           hint="Wait for it, or end its job (awsconsole kill) before relaunching.")  # fmt: skip
        if run.state is RunState.FINISHED:
            raise RunError(f"Run {run.id} finished: there is nothing to resume.",
                           hint="`awsconsole train` starts a new run.")  # fmt: skip
        targets = tuple(h.strip() for h in hosts if h.strip()) or run.hosts
        latest = self.latest_checkpoint(run.id)
        if latest is None:
            raise RunError(f"Run {run.id} left no checkpoint to resume from (no last.pt in "
                           f"{run.primary.host}:{run.run_dir}{' nor under ' + run.s3_uri if run.s3_uri else ''}).")  # fmt: skip
        copy_to = None
        if latest.location.startswith("s3://"):
            resume = latest.location
        elif targets[0] == run.primary.host:
            resume = f"{run.run_dir}/last.pt"
        else:
            manager = self._services.jobs.manager(targets[0])
            copy_to = trainer_args.run_dir_of(run.trainer_args, manager.expand(run.cwd))
            resume = f"{copy_to}/last.pt"
        request = TrainRequest(
            hosts=targets,
            trainer_args=trainer_args.with_option(run.trainer_args, "--resume", resume),
            name=run.name,
            gpus=run.gpus,
            cwd=run.cwd,
            env=self._env_of(run),
        )
        return request, latest, copy_to

    def _env_of(self, run: RunRecord) -> tuple[tuple[str, str], ...]:
        """The environment the run's first job had (kept on its host, never in the ledger);
        none when its host cannot be asked any more."""
        try:
            job = self._job(run.primary)
        except ConsoleError:
            return ()
        if job is None:
            return ()
        return tuple((k, v) for k, v in job.spec.env if k not in _GROUP_VARIABLES)

    def compare(self, references: Sequence[str]) -> Comparison:
        runs: list[RunRecord] = []
        for reference in references:
            run = self.get(reference)
            if run.id not in (known.id for known in runs):
                runs.append(run)
        now = dt.datetime.now(dt.UTC)
        notes: list[str] = []
        read = []
        for run in runs:
            try:
                records = self.records(run.id)
            except ConsoleError as exc:  # its row stays, empty; the others are compared
                records = []
                notes.append(f"{run.name} ({run.id}): {exc.message}")
            read.append((run, records, derive.cost_of(run, now)))
        rows = comparing.compare(read)
        return Comparison(tuple(rows), comparing.leaders(rows), tuple(notes))

    def announce_interruption(self, reference: str) -> str:
        run = self.get(reference)
        demo = self._services.demo
        if demo is None:
            raise RunError("Only the demo announces spot interruptions: on AWS, EC2 does, two "
                           "minutes before it reclaims the instance.")  # fmt: skip
        if run.finished:
            raise RunError(f"{run.name} ({run.id}) is not running: {run.state.value}.")
        watching = (trainer_args.option_value(run.trainer_args, "--spot-watch") or "auto") != "off"
        endpoint = trainer_args.option_value(run.trainer_args, "--imds-endpoint") or ""
        instance = demo.metadata_instance(endpoint) if watching else None
        if instance is None:
            raise RunError(f"{run.name} ({run.id}) does not watch the demo's metadata stand-in "
                           "(--spot-watch off, or another --imds-endpoint).",
                           hint="Runs started from the train form's demo defaults watch it.")  # fmt: skip
        demo.announce_interruption(instance)
        return instance

    def relaunch_on_new_instance(
        self,
        reference: str,
        instance_id: str,
        *,
        cancel: threading.Event | None = None,
        timeout: float = NEW_INSTANCE_SECONDS,
        poll: float = 2.0,
    ) -> RunRecord:
        deadline = time.monotonic() + timeout
        cancel = cancel or threading.Event()
        while True:  # the instance running first (a fresh one is pending for a while)
            found = [i for i in self._services.ec2.list_instances() if i.id == instance_id]
            if not found or found[0].state in (InstanceState.TERMINATED,
                                                InstanceState.SHUTTING_DOWN):  # fmt: skip
                raise RunError(f"Instance {instance_id} is gone: nothing to relaunch on.")
            if found[0].state is InstanceState.RUNNING:
                break
            if time.monotonic() > deadline or cancel.wait(poll):
                raise RunError(f"Instance {instance_id} is still {found[0].state.value} after "
                               f"{timeout:.0f} s.", hint=f"Relaunch on it later: R, {instance_id}.")  # fmt: skip
        while True:  # then its SSH: a booting instance refuses connections for a minute or two
            try:
                return self.relaunch(reference, (instance_id,))
            except HostUnreachableError:
                if time.monotonic() > deadline or cancel.wait(poll):
                    raise

    def relaunch(self, reference: str, hosts: Sequence[str] = ()) -> RunRecord:
        run = self.refresh(reference)
        request, latest, copy_to = self._plan(run, hosts)
        self._check(request)
        if copy_to is not None:
            local = self.download(latest.location)
            self._host(request.hosts[0]).makedirs(copy_to)
            for suffix in ("", ckpts.SIDECAR_SUFFIX):
                if suffix and not os.path.isfile(local + suffix):
                    continue
                self._services.files.transfers.run(
                    TransferSpec(local + suffix, f"{request.hosts[0]}:{copy_to}/last.pt{suffix}")
                )
        resumed_from = trainer_args.option_value(request.trainer_args, "--resume")
        return self._start(request, continues=run.id, resumed_from=resumed_from,
                           best_metrics=dict(run.best_metrics), checkpoint_step=latest.step)  # fmt: skip


#: what a multi-node group's jobs get from the jobs backend (it sets them again)
_GROUP_VARIABLES = frozenset(
    {"MASTER_ADDR", "MASTER_PORT", "NNODES", "NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT",
     "PET_NNODES", "PET_NODE_RANK"}
)  # fmt: skip


def git_state(host: Host, folder: str) -> tuple[str | None, bool | None]:
    """(commit, has uncommitted changes) of the git work tree ``folder`` on ``host``
    (``git -C DIR rev-parse HEAD``, ``git -C DIR status --porcelain --untracked-files=no``);
    (None, None) outside a work tree, without git, or when the host does not answer."""
    try:
        head = host.run(["git", "-C", folder, "rev-parse", "HEAD"], timeout=GIT_TIMEOUT)
        commit = head.text().strip() if head.ok else ""
        if not _COMMIT.match(commit):
            return None, None
        status = host.run(["git", "-C", folder, "status", "--porcelain", "--untracked-files=no"],
                          timeout=GIT_TIMEOUT)  # fmt: skip
    except ConsoleError:
        return None, None
    return commit, bool(status.text().strip()) if status.ok else None
