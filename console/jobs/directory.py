"""Which hosts hold jobs, every job on them, and which job a reference names.

The ``jobs``/``logs``/``kill`` commands and the Jobs view share this, so both see the same
hosts and resolve ``HOST:ID``, an id prefix or a name the same way. Known hosts are
"local", with ``--demo`` every running demo instance, the config file's ``[jobs] hosts``,
and the extra hosts asked for (``--host`` on the command line, hosts a job was started on
from the console). The tmux socket comes
from the config file: ``[jobs] tmux_socket = "…"``.

Everything here blocks (it runs commands on hosts): the UI calls it from thread workers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from console.errors import ConsoleError
from console.jobs.manager import (
    DEFAULT_MASTER_PORT,
    JobError,
    JobManager,
    JobNotFoundError,
    list_all,
    master_address,
    start_group,
    with_groups,
)
from console.models import InstanceState, Job, JobGroup, JobSpec

LOCAL = "local"


@dataclass(frozen=True)
class JobListing:
    """The jobs of several hosts (oldest first), the manager of each host by host name, and
    the error of each host that could not be read (an unreachable instance must not hide
    the jobs of the others)."""

    jobs: list[Job]
    managers: dict[str, JobManager]
    errors: dict[str, ConsoleError] = field(default_factory=dict)

    def manager_of(self, job: Job) -> JobManager:
        return self.managers[job.host]

    def members_of(self, group: JobGroup) -> list[tuple[JobManager, Job]]:
        """Each member of ``group`` with its host's manager, by node rank."""
        return [(self.managers[job.host], job) for job in group.members]

    @property
    def rows(self) -> list[Job | JobGroup]:
        """The jobs with each multi-node group as one JobGroup (see ``with_groups``)."""
        return with_groups(self.jobs)


def tmux_socket(settings: Any) -> str:
    """The tmux socket name jobs run on: ``[jobs] tmux_socket`` or ``awsconsole``."""
    return settings.jobs.tmux_socket


def manager_for(services: Any, target: str) -> JobManager:
    """A JobManager for ``target`` ("local", an instance, an ssh alias) on the configured
    tmux socket. Opens no connection. Raises HostConfigError for an unknown target."""
    return JobManager(services.hosts.host_for(target), tmux_socket=tmux_socket(services.settings))


def known_targets(services: Any, extra: Iterable[str] = ()) -> list[str]:
    """The targets "local", the running demo instances (with --demo), the hosts of ``[jobs] hosts``
    in the config file, then ``extra``; without repeats.

    With --demo this asks EC2 for the instances (``aws ec2 describe-instances``); raises
    what ``list_instances`` raises, and ConfigError when ``[jobs] hosts`` is not a list
    of names.
    """
    targets = [LOCAL]
    if services.settings.demo:
        for instance in services.ec2.list_instances():
            if instance.state is InstanceState.RUNNING:
                targets.append(instance.name or instance.id)
    return list(dict.fromkeys([*targets, *configured_hosts(services.settings), *extra]))


def configured_hosts(settings: Any) -> list[str]:
    """``[jobs] hosts = ["gpu-box", …]``: hosts always searched for jobs (ssh aliases)."""
    return list(settings.jobs.hosts)


def collect(services: Any, extra: Iterable[str] = ()) -> JobListing:
    """Every job of the known hosts, one listing command per host, asked in parallel.

    A host that cannot be resolved or read lands in ``errors`` under its target or host
    name; nothing is printed. Raises only what ``known_targets`` raises.
    """
    managers: list[JobManager] = []
    errors: dict[str, ConsoleError] = {}
    for target in known_targets(services, extra):
        try:
            managers.append(manager_for(services, target))
        except ConsoleError as exc:
            errors[target] = exc
    jobs, list_errors = list_all(managers)
    errors.update(list_errors)
    return JobListing(jobs, {manager.host.name: manager for manager in managers}, errors)


def find_job(services: Any, reference: str, extra: Iterable[str] = ()) -> tuple[Job, JobManager]:
    """The job ``reference`` names: ``ID``, ``HOST:ID``, a unique id prefix or a unique name.

    Looks on the known hosts (and on HOST when given). Raises JobNotFoundError naming the
    reference (the candidates when several match, the hosts that could not be read when
    none does) and HostConfigError for an unknown HOST.
    """
    host, sep, key = reference.rpartition(":")
    extra = list(extra)
    if sep and host:
        extra.append(host)
    else:
        host, key = "", reference
    listing = collect(services, extra)
    jobs = listing.jobs
    if host:
        host_name = services.hosts.host_for(host).name
        jobs = [job for job in jobs if job.host == host_name]
    job = match_job(jobs, key, reference)
    if job is not None:
        return job, listing.manager_of(job)
    unreadable = "".join(
        f" ({name} could not be read: {err})" for name, err in listing.errors.items()
    )
    raise JobNotFoundError(
        f"No job {reference!r} on {', '.join(listing.managers) or 'any host'}.{unreadable}",
        hint="`awsconsole jobs` lists them; add --host HOST for a host not listed.",
    )


def find_job_or_group(
    services: Any, reference: str, extra: Iterable[str] = ()
) -> tuple[Job, JobManager] | tuple[JobGroup, list[tuple[JobManager, Job]]]:
    """What ``reference`` names: a job (as ``find_job``) or a multi-node job group, by its
    group id, a unique prefix of it, or its name. Exact ids win over prefixes, prefixes
    over names; at each step a job id before a group id.

    Returns (job, its manager) or (group, its members with their managers). Raises like
    ``find_job``.
    """
    if ":" in reference:
        return find_job(services, reference, extra)
    listing = collect(services, extra)
    groups = [row for row in listing.rows if isinstance(row, JobGroup)]
    steps = (
        ([j for j in listing.jobs if j.id == reference], [g for g in groups if g.id == reference]),
        (
            [j for j in listing.jobs if j.id.startswith(reference)],
            [g for g in groups if g.id.startswith(reference)],
        ),
        (
            [j for j in listing.jobs if reference in (j.spec.name, j.name)],
            [g for g in groups if g.name == reference],
        ),
    )
    for jobs, found_groups in steps:
        if len(jobs) == 1 and not found_groups:
            return jobs[0], listing.manager_of(jobs[0])
        if len(found_groups) == 1 and not jobs:
            return found_groups[0], listing.members_of(found_groups[0])
        if jobs or found_groups:
            names = [f"{job.host}:{job.id}" for job in jobs]
            names += [f"group {g.id} ({g.name})" for g in found_groups]
            raise JobNotFoundError(
                f"{reference!r} names several jobs: {', '.join(names)}.",
                hint="Name one by its id (or HOST:ID), as listed.",
            )
    unreadable = "".join(
        f" ({name} could not be read: {err})" for name, err in listing.errors.items()
    )
    raise JobNotFoundError(
        f"No job {reference!r} (nor job group) on {', '.join(listing.managers) or 'any host'}."
        f"{unreadable}",
        hint="`awsconsole jobs` lists them; add --host HOST for a host not listed.",
    )


def start_on_nodes(
    services: Any,
    targets: Iterable[str],
    spec: JobSpec,
    *,
    master_addr: str = "",
    master_port: int = DEFAULT_MASTER_PORT,
) -> list[Job]:
    """Start ``spec`` on one host (one job) or on several (a multi-node group, one job per
    node, node rank in the order given; see ``console.jobs.manager.start_group``).

    With no ``master_addr`` the first node's address is asked for (``master_address``).
    Raises JobError (no host, bad address or port, a node failing to start: the nodes
    already started are killed), HostConfigError for an unknown host, HostError subclasses.
    """
    managers = [manager_for(services, target) for target in targets]
    if not managers:
        raise JobError("Say where to run the job: at least one host.")
    if len(managers) == 1:
        return [managers[0].start(spec)]
    address = master_addr.strip() or master_address(managers[0].host)
    return start_group(managers, spec, master_addr=address, master_port=master_port)


def match_job(jobs: Iterable[Job], key: str, reference: str | None = None) -> Job | None:
    """The one job whose id is ``key``, else whose id starts with it, else whose name is it.

    None when nothing matches; raises JobNotFoundError listing the candidates when several do.
    """
    jobs = list(jobs)
    for matches in (
        [job for job in jobs if job.id == key],
        [job for job in jobs if job.id.startswith(key)],
        [job for job in jobs if key in (job.spec.name, job.name)],
    ):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(f"{job.host}:{job.id}" for job in matches)
            raise JobNotFoundError(
                f"{reference or key!r} names several jobs: {names}.",
                hint="Name one by its id (or HOST:ID), as listed.",
            )
    return None
