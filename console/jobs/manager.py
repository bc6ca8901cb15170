"""Training jobs in tmux on a host, with their state on the host itself.

A job lives in ``~/.awsconsole/jobs/<id>/`` on its host, a folder of mode 0700 whose files
are 0600 (see ``console/jobs/folder.py``, which creates them in one round trip):

- ``job.json``   what to run (argv list, cwd, the environment's names, name, group), when,
  where;
- ``env.json``   the environment's values (tokens, keys): read by the runner and by a
  re-run, never shown (the CLI and the Jobs view show names only);
- ``output.log`` everything the command printed (also visible in the tmux pane);
- ``runner.py``  the runner's source (``console/jobs/runner.py``), which the session runs;
- ``exit_code``  written by the job's runner when the command ends;
- ``runner.pid`` written by the runner once a kill or a Ctrl-C can no longer end it unrecorded.

The tmux session (named after the job id, on the socket ``-L awsconsole`` unless told
otherwise) runs ``python3 -I -S JOB_DIR/runner.py JOB_DIR``, a copy of ``console/jobs/runner.py``
written with the folder (so ``ps`` shows a short line naming the job; ``python3`` stands for the
host's ``helper_python``: the console's own interpreter on this machine); the runner reads the
argv from job.json. So the user's text travels as JSON bytes through the host's file API and is
handed to ``execvpe`` untouched: it never meets a shell or tmux's command parser. The tmux
commands themselves are argument lists the host quotes with ``shlex.join``. That one route
serves this machine and SSH hosts alike; libtmux could only reach a remote tmux through a
wrapper executable doing the same thing one SSH command per call.

Status: ``exited (code)`` when exit_code exists, ``running`` when its tmux session is alive,
``lost`` when neither (the host rebooted, the tmux server was killed). Because all of it is
on the host, the console can exit, crash or lose the network and find its jobs again.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import re
import secrets
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from console.errors import (
    ConsoleError,
    HostConfigError,
    JobError,
    JobNotFoundError,
    ReadOnlyError,
    RemoteFileError,
)
from console.hosts.base import Host
from console.hosts.interactive import SshOptions, tmux_attach_argv
from console.hosts.local import LocalHost
from console.logs.follower import HostLog
from console.models import CommandResult, FileKind, Job, JobGroup, JobSpec, JobState, JobStatus
from console.models.jobspec import check_env

JOBS_ROOT = ".awsconsole/jobs"  # under the host's home
DEFAULT_TMUX_SOCKET = "awsconsole"
#: tries of ``tmux new-session`` when the server was exiting as it was reached
TMUX_START_TRIES = 3
#: how long a kill waits for a job's runner to be ready (see JobManager._wait_for_runner)
RUNNER_READY_SECONDS = 10.0
#: a job's folder is made before its tmux session: for this long after its start, a job
#: with neither a session nor a runner yet is starting, not lost
SESSION_START_GRACE = 60.0
_RUNNER_SOURCE = (Path(__file__).with_name("runner.py")).read_text(encoding="utf-8")
_LISTER_SOURCE = (Path(__file__).with_name("lister.py")).read_text(encoding="utf-8")
_FOLDER_SOURCE = (Path(__file__).with_name("folder.py")).read_text(encoding="utf-8")
_JOB_ID = re.compile(r"[A-Za-z0-9_-]+\Z")
# tmux's format separator and session names are not ASCII-safe under a C locale.
_TMUX_ENV = ("env", "-u", "TMUX", "LC_ALL=C.UTF-8")


def _unambiguous(path: str) -> str:
    """``path`` as python3 cannot take it for an option: absolute, or ``./``-prefixed."""
    return path if path.startswith(("/", "./")) else f"./{path}"


def slug(text: str, limit: int = 24) -> str:
    """The part of a job id taken from its name: letters, digits, ``-`` and ``_`` only."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_")
    return cleaned[:limit].rstrip("-_")


def new_job_id(name: str, now: dt.datetime | None = None) -> str:
    """``20261126-124500-train-deepfashion-3fa2``: sortable, readable, a valid tmux name."""
    now = now or dt.datetime.now(dt.UTC)
    parts = [now.strftime("%Y%m%d-%H%M%S"), slug(name), secrets.token_hex(2)]
    return "-".join(part for part in parts if part)


class JobManager:
    """Start, list and control the jobs of one host."""

    def __init__(
        self,
        host: Host,
        *,
        tmux_socket: str = DEFAULT_TMUX_SOCKET,
        python: str | None = None,
        timeout: float = 30.0,
        jobs_root: str = f"~/{JOBS_ROOT}",
    ):
        self.host = host
        self._jobs_root = jobs_root
        self.tmux_socket = tmux_socket
        #: the interpreter of the job's folder, runner and lister: the host's own helper
        #: Python unless told otherwise
        self.python = python or host.helper_python
        self.timeout = timeout
        self._home: str | None = None

    # --- paths ---------------------------------------------------------------------------

    @property
    def home(self) -> str:
        if self._home is None:
            self._home = self.host.home().rstrip("/") or "/"
        return self._home

    @property
    def jobs_root(self) -> str:
        return self.expand(self._jobs_root).rstrip("/")

    def job_dir(self, job_id: str) -> str:
        if not _JOB_ID.match(job_id):
            raise JobNotFoundError(f"{job_id!r} is not a job id.")
        return f"{self.jobs_root}/{job_id}"

    def log_path(self, job_id: str) -> str:
        return f"{self.job_dir(job_id)}/output.log"

    def expand(self, path: str) -> str:
        """``~`` and ``~/…`` against the host's home; other paths unchanged."""
        if path == "~":
            return self.home
        if path.startswith("~/"):
            return f"{self.home}/{path[2:]}"
        return path

    def _tmux(self, *args: str, socket: str | None = None) -> list[str]:
        return [*_TMUX_ENV, "tmux", "-L", socket or self.tmux_socket, *args]

    def _run_tmux(self, argv: list[str]) -> CommandResult:
        """``argv`` (a tmux command) run on the host, again (TMUX_START_TRIES in all) while
        tmux answers "server exited unexpectedly": a client that reaches the socket while its
        server exits (its last session just ended) is turned away with it."""
        for _ in range(TMUX_START_TRIES):
            result = self.host.run(argv, timeout=self.timeout)
            if result.ok or b"server exited unexpectedly" not in result.stderr:
                break
        return result

    # --- start ---------------------------------------------------------------------------

    def start(self, spec: JobSpec) -> Job:
        """Start ``spec`` in a new tmux session and return the running job.

        A job started alone gets a name no other job on the host has (``train-2`` for a
        second ``train``, see ``console/jobs/folder.py``); the returned job carries it.

        Stands for ``mkdir -m 700 ~/.awsconsole/jobs/ID`` with job.json, env.json and
        output.log and runner.py in it, 0600 (``python3 -I -S -c FOLDER ROOT ID``, the record,
        the environment and the runner's source on stdin: no value on a command line), then
        ``tmux -L SOCKET new-session -d -s ID python3 -I -S JOB_DIR/runner.py JOB_DIR``.
        Raises JobError (empty command, bad env name, missing working directory, tmux or
        python3 missing or failing on the host) and HostError subclasses.
        """
        if not spec.command or not spec.command[0]:
            raise JobError("The job has no command to run.")
        if any("\0" in arg for arg in spec.command):
            raise JobError("The job's command contains a NUL byte.")
        check_env(spec.env)
        cwd = self.expand(spec.cwd or "~")
        try:
            is_dir = self.host.stat(cwd).kind is FileKind.DIRECTORY
        except ConsoleError:
            is_dir = False
        if not is_dir:
            raise JobError(
                f"The working directory {spec.cwd!r} does not exist on {self.host.name}."
            )

        job_id = new_job_id(spec.name or spec.command[0].rsplit("/", 1)[-1])
        job_dir = self.job_dir(job_id)
        started = dt.datetime.now(dt.UTC)
        record = {
            "version": 1,
            "id": job_id,
            "name": spec.name,
            "command": list(spec.command),
            "cwd": spec.cwd or "~",
            # names only: the values live in env.json, which nothing shows
            "env_names": [name for name, _ in spec.env],
            "group": spec.group,
            "node_rank": spec.node_rank,
            "group_name": spec.group_name,
            "group_size": spec.group_size,
            "home": self.home,
            "host": self.host.name,
            "started": started.isoformat(),
            "tmux_socket": self.tmux_socket,
            "session": job_id,
        }
        document = {"job": record, "env": dict(spec.env), "runner": _RUNNER_SOURCE,
                    # the variables the host gives its commands (a demo instance: the
                    # console's PATH, the demo endpoint's AWS_*): the tmux server has those of
                    # whichever host started it, so the runner sets them itself
                    "host_env": dict(getattr(self.host, "env", None) or {})}  # fmt: skip
        made = self.host.run(
            [self.python, "-I", "-S", "-c", _FOLDER_SOURCE, self.jobs_root, job_id],
            stdin=json.dumps(document).encode("utf-8"),
            timeout=self.timeout,
        )
        if not made.ok:
            raise JobError(
                f"Could not create the job's folder on {self.host.name}: "
                f"{made.stderr.decode('utf-8', 'replace').strip() or made.exit_code}",
                hint="The host needs python3 and a writable home folder.",
            )
        try:  # the name the job got: a second "train" on this host is "train-2"
            record["name"] = json.loads(made.stdout)["name"]
        except (ValueError, KeyError, TypeError) as exc:
            self.host.run(["rm", "-rf", "--", job_dir], timeout=self.timeout)
            raise JobError(f"Unreadable answer from {self.host.name} creating the job's folder: "
                           f"{exc}") from exc  # fmt: skip
        new_session = self._tmux(
            "new-session", "-d", "-s", job_id, "-x", "200", "-y", "50",
            self.python, "-I", "-S", _unambiguous(f"{job_dir}/runner.py"), job_dir,
        )  # fmt: skip
        result = self._run_tmux(new_session)  # a new server starts on a second try
        if not result.ok:
            # Leave nothing behind that would later show as a lost job.
            self.host.run(["rm", "-rf", "--", job_dir], timeout=self.timeout)
            raise JobError(
                f"Could not start a tmux session on {self.host.name}: "
                f"{result.stderr.decode('utf-8', 'replace').strip() or result.exit_code}",
                hint="The host needs tmux (3.0 or later) and python3.",
            )
        return self._job_from({**record, "env": dict(spec.env)}, job_dir, sessions={job_id},
                              exit_text=None, ended=None, log_size=0, last_line="")  # fmt: skip

    def rerun(self, job_id: str) -> Job:
        """Start a new job with the same spec as ``job_id`` (see ``start``): its name is
        then taken, so the new job is ``NAME-2`` (``NAME-3`` the next time)."""
        return self.start(self.get(job_id).spec)

    # --- read ----------------------------------------------------------------------------

    def list_jobs(self, ids: Sequence[str] = ()) -> list[Job]:
        """Every job on this host (or only ``ids``), oldest first, in one remote command.

        Stands for ``python3 -I -S -c LISTER ~/.awsconsole/jobs`` (isolated and without
        site-packages, so it starts fast and no user setting can break it): read every job.json and
        exit_code, stat output.log, and ``tmux list-sessions`` on the jobs' sockets.
        Raises JobError when python3 is missing, HostError subclasses when unreachable.
        """
        for job_id in ids:
            self.job_dir(job_id)  # validates
        result = self.host.run(
            [self.python, "-I", "-S", "-c", _LISTER_SOURCE, self.jobs_root, *ids],
            timeout=self.timeout,
        )
        if not result.ok:
            raise JobError(
                f"Could not read the jobs of {self.host.name}: "
                f"{result.stderr.decode('utf-8', 'replace').strip() or result.exit_code}",
                hint="The host needs python3.",
            )
        try:
            listing = json.loads(result.stdout)
        except ValueError as exc:
            raise JobError(f"Unreadable job list from {self.host.name}: {exc}") from exc
        alive = {(socket, name) for socket, names in listing["sessions"].items() for name in names}
        jobs = []
        for entry in listing["jobs"]:
            record = entry["spec"]
            socket = record.get("tmux_socket", self.tmux_socket)
            sessions = {name for (sock, name) in alive if sock == socket}
            try:
                jobs.append(
                    self._job_from(
                        record,
                        entry["dir"],
                        sessions=sessions,
                        exit_text=entry["exit_code"],
                        ended=entry["ended"],
                        log_size=entry["log_size"],
                        last_line=entry["last_line"],
                        runner_ready=entry.get("runner_ready", True),
                    )
                )
            except (KeyError, TypeError, ValueError):
                continue  # a job.json written by something else: not ours to show
        jobs.sort(key=lambda job: (job.started, job.id))
        return jobs

    def get(self, job_id: str) -> Job:
        """The job ``job_id``. Raises JobNotFoundError when this host has no such job."""
        jobs = self.list_jobs([job_id])
        if not jobs:
            raise JobNotFoundError(f"No job {job_id!r} on {self.host.name}.")
        return jobs[0]

    def _job_from(self, record: dict[str, Any], job_dir: str, *, sessions: set[str],
                  exit_text: str | None, ended: float | None, log_size: int,
                  last_line: str, runner_ready: bool = True) -> Job:  # fmt: skip
        session = record.get("session", record["id"])
        started = dt.datetime.fromisoformat(record["started"])
        if exit_text is not None and exit_text.strip().lstrip("-").isdigit():
            status = JobStatus(JobState.EXITED, int(exit_text.strip()))
        elif session in sessions or (not runner_ready and _just_started(started)):
            # a listing between the folder and the session (a group's second node, a start
            # on a slow host) sees a job that is starting: never "lost"
            status = JobStatus(JobState.RUNNING)
        else:
            status = JobStatus(JobState.LOST)
        spec = JobSpec(
            command=tuple(record["command"]),
            name=record.get("name") or "",
            cwd=record.get("cwd") or "~",
            env=tuple((str(k), str(v)) for k, v in (record.get("env") or {}).items()),
            group=record.get("group"),
            node_rank=record.get("node_rank"),
            group_name=record.get("group_name") or "",
            group_size=record.get("group_size"),
        )
        return Job(
            id=record["id"],
            host=self.host.name,
            spec=spec,
            status=status,
            started=started,
            ended=dt.datetime.fromtimestamp(ended, dt.UTC) if ended and status.finished else None,
            session=session,
            log_path=f"{job_dir}/output.log",
            log_size=log_size,
            last_line=last_line,
        )

    def pane_roots(self) -> dict[int, str]:
        """{pane pid: job id} of every job session alive on this manager's tmux socket.

        A job's session is named after its job id, and its pane's process (the runner) is
        the ancestor of everything the job's command starts: this is what tells which job a
        process (a GPU process, say) belongs to. Sessions whose names are not job ids are
        left out. Stands for ``tmux -L SOCKET list-panes -a -F '#{pane_pid} #{session_name}'``.
        No tmux server on the socket means no jobs: {}. Raises JobError when tmux fails
        otherwise (missing on the host), HostError subclasses when the host is unreachable.
        """
        # a second try after a server that was exiting finds none: {}
        result = self._run_tmux(self._tmux("list-panes", "-a", "-F", "#{pane_pid} #{session_name}"))
        if not result.ok:
            stderr = result.stderr.decode("utf-8", "replace").strip()
            # what tmux says when nothing runs on the socket (never started, or killed)
            if stderr.startswith(("no server running", "error connecting to")):
                return {}
            raise JobError(
                f"Could not list the tmux panes of {self.host.name}: {stderr or result.exit_code}",
                hint="The host needs tmux (3.0 or later).",
            )
        roots: dict[int, str] = {}
        for line in result.text().splitlines():
            pid, _, session = line.strip().partition(" ")
            if pid.isdigit() and _JOB_ID.match(session):
                roots[int(pid)] = session
        return roots

    # --- control -------------------------------------------------------------------------

    def _socket_of(self, job: Job) -> str:
        raw = self.host.read_range(f"{self.job_dir(job.id)}/job.json")
        return json.loads(raw).get("tmux_socket", self.tmux_socket)

    def _running(self, job_id: str, action: str) -> Job:
        job = self.get(job_id)
        if job.status.state is not JobState.RUNNING:
            raise JobError(f"Cannot {action} job {job.name!r}: it is {job.status.state.value}.")
        return job

    def interrupt(self, job_id: str, *, read_only: bool = False) -> None:
        """Send Ctrl-C to the job: ``tmux send-keys -t =ID: C-c``.

        Raises ReadOnlyError when ``read_only``, JobNotFoundError, JobError when it is not
        running.
        """
        if read_only:
            raise ReadOnlyError(f"Refusing to interrupt job {job_id!r}: the console is read-only.")
        job = self._running(job_id, "interrupt")
        socket = self._socket_of(job)
        self._wait_for_runner(job)
        self._check(self.host.run(
            self._tmux("send-keys", "-t", f"={job.session}:", "C-c", socket=socket),
            timeout=self.timeout,
        ), f"send Ctrl-C to {job.name!r}")  # fmt: skip

    def kill(self, job_id: str, *, read_only: bool = False) -> None:
        """End the job: ``tmux kill-session -t =ID``. The runner hangs up the command
        (SIGHUP, then SIGKILL after 10 s) and still writes its exit code.

        A job killed the moment it started is killed once its runner is ready (see
        ``_wait_for_runner``), so that it too records how it ended.
        Raises ReadOnlyError when ``read_only``, JobNotFoundError, JobError when it is not
        running. Asking the user first is the caller's job.
        """
        if read_only:
            raise ReadOnlyError(f"Refusing to kill job {job_id!r}: the console is read-only.")
        job = self._running(job_id, "kill")
        socket = self._socket_of(job)
        self._wait_for_runner(job)
        self._check(self.host.run(
            self._tmux("kill-session", "-t", f"={job.session}", socket=socket),
            timeout=self.timeout,
        ), f"kill {job.name!r}")  # fmt: skip

    def _wait_for_runner(self, job: Job) -> None:
        """Wait (at most RUNNER_READY_SECONDS) until the job's runner wrote ``runner.pid``.

        Until then its interpreter may still be starting: ``python3`` may be a wrapper script
        (pyenv's shim is a shell), and even python itself dies of a hang-up or a Ctrl-C
        before its first statement. A kill or an interrupt then would end the job with no
        exit code, a "lost" job. Usually the file is long there and this is one stat.
        """
        marker = f"{self.job_dir(job.id)}/runner.pid"
        deadline = time.monotonic() + RUNNER_READY_SECONDS
        while True:
            try:
                self.host.stat(marker)
                return
            except RemoteFileError as exc:
                if getattr(exc, "errno", None) != errno.ENOENT:
                    raise
            if time.monotonic() > deadline:
                return  # a runner that never gets going: kill it all the same
            time.sleep(0.05)

    def forget(self, job_id: str, *, read_only: bool = False) -> None:
        """Delete a finished job's directory (its log too): ``rm -rf -- ~/.awsconsole/jobs/ID``.

        Raises ReadOnlyError when ``read_only``, JobError when the job is still running.
        """
        if read_only:
            raise ReadOnlyError(f"Refusing to forget job {job_id!r}: the console is read-only.")
        job = self.get(job_id)
        if not job.status.finished:
            raise JobError(
                f"Job {job.name!r} is still running: kill it or wait before forgetting it."
            )
        self._check(
            self.host.run(["rm", "-rf", "--", self.job_dir(job.id)], timeout=self.timeout),
            f"forget {job.name!r}",
        )

    def discard(self, job_id: str) -> None:
        """Undo a start: end the job's tmux session and delete its folder, leaving nothing
        that would show as a job (a session killed before its runner is ready would leave
        a "lost" one). For a group whose other nodes failed to start. Errors are ignored:
        ``tmux kill-session -t =ID; rm -rf -- ~/.awsconsole/jobs/ID``.
        """
        try:
            self.host.run(self._tmux("kill-session", "-t", f"={job_id}"), timeout=self.timeout)
            self.host.run(["rm", "-rf", "--", self.job_dir(job_id)], timeout=self.timeout)
        except ConsoleError:
            pass

    def attach_argv(self, job_id: str) -> list[str]:
        """The argv that attaches the user's terminal to the job's tmux session.

        ``tmux -L SOCKET attach-session -t =ID`` on this machine, wrapped as
        ``ssh -t HOST 'tmux …'`` for an SSH host. Raises JobNotFoundError.
        """
        job = self.get(job_id)
        try:
            options: SshOptions | None = SshOptions.for_host(self.host)
        except HostConfigError:
            options = None  # not reached over ssh: this machine
        return tmux_attach_argv(options, job.session, socket_name=self._socket_of(job))

    def log(self, job_id: str) -> HostLog:
        """The job's ``output.log``, read by byte offset (no command runs yet).
        Raises JobNotFoundError for a malformed id."""
        return HostLog(self.host, self.log_path(job_id))

    def _check(self, result: Any, what: str) -> None:
        if not result.ok:
            raise JobError(
                f"Could not {what} on {self.host.name}: "
                f"{result.stderr.decode('utf-8', 'replace').strip() or result.exit_code}"
            )


# --- groups ------------------------------------------------------------------------------

#: what start_group sets on each node, on top of the spec's own environment
GROUP_ENV = ("MASTER_ADDR", "MASTER_PORT", "NNODES", "NODE_RANK")
#: torchrun's own spelling of the same (PET_NNODES, PET_NODE_RANK, …) is set as well
DEFAULT_MASTER_PORT = 29500


def master_address(host: Host, timeout: float = 30.0) -> str:
    """The address the other nodes of a group reach ``host`` at (torchrun's MASTER_ADDR).

    This machine (and every demo instance, which is this machine too) is ``127.0.0.1``;
    any other host is asked for its own first address, the private one on EC2:
    ``hostname -I``. Raises JobError naming the host when it cannot tell (no ``hostname -I``
    there: type the address in), HostError subclasses when unreachable.
    """
    if isinstance(host, LocalHost):
        return "127.0.0.1"
    result = host.run(["hostname", "-I"], timeout=timeout)
    words = result.text().split() if result.ok else []
    if not words:
        raise JobError(
            f"Could not tell the private address of {host.name} (`hostname -I` gave nothing).",
            hint="Type the first node's address in as the master address.",
        )
    return words[0]


def start_group(
    managers: Sequence[JobManager],
    spec: JobSpec,
    *,
    master_addr: str,
    master_port: int = DEFAULT_MASTER_PORT,
) -> list[Job]:
    """One job per node for a multi-node ``torchrun``, sharing a group id.

    Node i gets MASTER_ADDR, MASTER_PORT, NNODES=len(managers) and NODE_RANK=i on top of
    ``spec.env``; the command is the same everywhere (``torchrun --nnodes=$NNODES`` style
    flags are read from the environment by a wrapper, or ``torchrun`` reads them itself:
    ``sh -c 'torchrun --nnodes "$NNODES" --node-rank "$NODE_RANK" …'``).
    The same manager may appear twice (two nodes on one machine).
    If a node fails to start, the ones already started are killed and the error re-raised.
    Raises JobError for no hosts, an empty master address or a port out of range.
    """
    if not managers:
        raise JobError("A job group needs at least one host.")
    if not master_addr.strip() or any(c.isspace() for c in master_addr):
        raise JobError(f"{master_addr!r} is not a master address (a host name or IP).")
    if not 1 <= master_port <= 65535:
        raise JobError(f"The master port {master_port} is not between 1 and 65535.")
    group = uuid.uuid4().hex[:8]
    base_name = spec.name or (spec.command[0].rsplit("/", 1)[-1] if spec.command else "group")
    started: list[tuple[JobManager, Job]] = []
    try:
        for rank, manager in enumerate(managers):
            env = dict(spec.env)
            env.update(
                MASTER_ADDR=master_addr,
                MASTER_PORT=str(master_port),
                NNODES=str(len(managers)),
                NODE_RANK=str(rank),
            )
            # torchrun reads an option it was not given from PET_<OPTION>: with these, a
            # plain `torchrun --nproc_per_node 8 train.py` joins the group with no flags
            env.update({f"PET_{name}": env[name] for name in GROUP_ENV})
            node_spec = JobSpec(
                command=spec.command,
                name=f"{base_name} [node {rank}/{len(managers)}]",
                cwd=spec.cwd,
                env=tuple(env.items()),
                group=group,
                node_rank=rank,
                group_name=base_name,
                group_size=len(managers),
            )
            started.append((manager, manager.start(node_spec)))
    except ConsoleError:
        for manager, job in started:
            manager.discard(job.id)
        raise
    return [job for _, job in started]


def _refuse_read_only(action: str, group: str, read_only: bool) -> None:
    if read_only:
        raise ReadOnlyError(f"Refusing to {action} job group {group}: the console is read-only.")


def _group_label(members: Sequence[tuple[JobManager, Job]]) -> str:
    first = members[0][1] if members else None
    if first is None:
        return "(empty)"
    return repr(first.spec.group_name or first.spec.group or first.name)


def control_group(
    members: Sequence[tuple[JobManager, Job]], action: str, *, read_only: bool = False
) -> dict[str, ConsoleError]:
    """Apply ``action`` ("interrupt" or "kill") to every running job of a group.

    Returns the errors by job id (one unreachable node must not stop the others).
    Raises ReadOnlyError when ``read_only``, before touching any node.
    """
    if action not in ("interrupt", "kill"):
        raise ValueError(f"unknown group action {action!r}")
    _refuse_read_only(action, _group_label(members), read_only)
    errors: dict[str, ConsoleError] = {}
    for manager, job in members:
        if job.status.finished:
            continue
        try:
            getattr(manager, action)(job.id)
        except ConsoleError as exc:
            errors[job.id] = exc
    return errors


def forget_group(
    members: Sequence[tuple[JobManager, Job]], *, read_only: bool = False
) -> dict[str, ConsoleError]:
    """Delete the folder of every member of a finished group (``rm -rf`` each, see ``forget``).

    Returns the errors by job id. Raises ReadOnlyError when ``read_only`` and JobError
    naming the nodes still running, both before touching any node.
    """
    _refuse_read_only("forget", _group_label(members), read_only)
    running = [job for _, job in members if not job.status.finished]
    if running:
        nodes = ", ".join(f"node {job.spec.node_rank} on {job.host}" for job in running)
        raise JobError(
            f"Job group {_group_label(members)} is still running ({nodes}): "
            "kill it or wait before forgetting it."
        )
    errors: dict[str, ConsoleError] = {}
    for manager, job in members:
        try:
            manager.forget(job.id)
        except ConsoleError as exc:
            errors[job.id] = exc
    return errors


def rerun_group(members: Sequence[tuple[JobManager, Job]]) -> list[Job]:
    """Start the group again: the same command on the same hosts in the same rank order,
    with the same master address and port (a new group id). See ``start_group``.

    Raises JobError when a node's job is missing from ``members`` (it was forgotten or its
    host is not reachable now): the group cannot be started again as it was.
    """
    if not members:
        raise JobError("A job group needs at least one host.")
    ordered = sorted(members, key=lambda pair: pair[1].spec.node_rank or 0)
    first = ordered[0][1]
    size = first.spec.group_size or len(ordered)
    ranks = [job.spec.node_rank for _, job in ordered]
    if ranks != list(range(size)):
        missing = sorted(set(range(size)) - set(ranks))
        raise JobError(
            f"Cannot re-run job group {_group_label(members)}: the job of node "
            f"{', '.join(map(str, missing))} is not listed (forgotten, or its host unreachable)."
        )
    env = dict(first.spec.env)
    master_addr = env.get("MASTER_ADDR", "")
    try:
        master_port = int(env.get("MASTER_PORT", DEFAULT_MASTER_PORT))
    except ValueError:
        master_port = DEFAULT_MASTER_PORT
    for key in GROUP_ENV:
        env.pop(key, None)
    spec = JobSpec(
        command=first.spec.command,
        name=first.spec.group_name or first.name,
        cwd=first.spec.cwd,
        env=tuple(env.items()),
    )
    return start_group([manager for manager, _ in ordered], spec, master_addr=master_addr,
                       master_port=master_port)  # fmt: skip


def group_jobs(jobs: Iterable[Job]) -> dict[str | None, list[Job]]:
    """Jobs keyed by group id (None: jobs started alone), each group ordered by node rank."""
    groups: dict[str | None, list[Job]] = {}
    for job in jobs:
        groups.setdefault(job.spec.group, []).append(job)
    for members in groups.values():
        members.sort(key=lambda job: (job.spec.node_rank or 0, job.started))
    return groups


def with_groups(jobs: Iterable[Job]) -> list[Job | JobGroup]:
    """The jobs with each group's members replaced by one JobGroup, at the place of its
    earliest member; jobs started alone stay as they are, in their order."""
    jobs = list(jobs)
    groups = group_jobs(jobs)
    rows: list[Job | JobGroup] = []
    placed: set[str] = set()
    for job in jobs:
        group = job.spec.group
        if group is None:
            rows.append(job)
        elif group not in placed:
            placed.add(group)
            members = groups[group]
            rows.append(
                JobGroup(
                    id=group,
                    members=tuple(members),
                    name=members[0].spec.group_name or members[0].name,
                    size=max(job.spec.group_size or 0 for job in members) or len(members),
                )
            )
    return rows


def list_all(managers: Sequence[JobManager]) -> tuple[list[Job], dict[str, ConsoleError]]:
    """The jobs of several hosts, asked in parallel (one remote command per host).

    Returns the jobs, oldest first, and for each host that failed its error (an unreachable
    instance must not hide the jobs of the others).
    """
    jobs: list[Job] = []
    errors: dict[str, ConsoleError] = {}
    if not managers:
        return jobs, errors
    with ThreadPoolExecutor(max_workers=min(16, len(managers)), thread_name_prefix="jobs") as pool:
        futures = {pool.submit(manager.list_jobs): manager for manager in managers}
        for future, manager in futures.items():
            try:
                jobs.extend(future.result())
            except ConsoleError as exc:
                errors[manager.host.name] = exc
    jobs.sort(key=lambda job: (job.started, job.id))
    return jobs, errors


def _just_started(started: dt.datetime) -> bool:
    """Whether a job started less than SESSION_START_GRACE ago (by this machine's clock,
    which wrote ``started``)."""
    age = dt.datetime.now(dt.UTC) - started
    return age.total_seconds() < SESSION_START_GRACE
