"""Which job a GPU process belongs to: its ancestors on the host against the jobs' panes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from console.hosts.base import Host

#: pids -> job name, e.g. from the jobs' tmux process trees
PidToJob = Callable[[Iterable[int]], Mapping[int, str]]


def jobs_by_process_tree(host: Host, roots: Callable[[], Mapping[int, str]]) -> PidToJob:
    """A ``pid_to_job`` for GpuMonitor: a GPU process belongs to the job whose root process
    (its tmux pane's pid, ``tmux list-panes -F '#{pane_pid}'``) is among its ancestors.

    ``roots()`` gives {root pid: job name} at the moment of the call. Runs
    ``ps -e -o pid=,ppid=`` on the host (only when there are roots and GPU processes).
    Raises the host's HostError subclasses; GpuMonitor then shows no job names.
    """

    def mapping(pids: Iterable[int]) -> Mapping[int, str]:
        root_jobs = dict(roots())
        wanted = list(pids)
        if not root_jobs or not wanted:
            return {}
        result = host.run(["ps", "-e", "-o", "pid=,ppid="], timeout=30)
        parents: dict[int, int] = {}
        for line in result.text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
                parents[int(parts[0])] = int(parts[1])
        found: dict[int, str] = {}
        for pid in wanted:
            current: int | None = pid
            seen: set[int] = set()
            while current is not None and current not in seen:
                if current in root_jobs:
                    found[pid] = root_jobs[current]
                    break
                seen.add(current)
                current = parents.get(current)
        return found

    return mapping
