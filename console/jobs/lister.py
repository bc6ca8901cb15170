"""Reads every job of a host in one command: ``python3 -I -S -c <this file> JOBS_ROOT [ID...]``.

One round trip per host, however many jobs it holds: for each ``JOBS_ROOT/<id>/`` it
reports job.json (with the environment of env.json, which a re-run needs: the console
shows its names only), exit_code (and when it was written), the size of output.log and its
last line, plus the tmux sessions alive on every tmux socket those jobs were started on
(``tmux -L SOCKET list-sessions -F '#{session_name}'``). Prints one JSON document.

Runs on whatever ``python3`` the host has: standard library only, Python 3.6 syntax.
"""

import json
import os
import subprocess
import sys

TAIL_BYTES = 4096


def _read(path, limit=None):
    try:
        with open(path, "rb") as f:
            return f.read() if limit is None else f.read(limit)
    except OSError:
        return None


def _last_line(path):
    try:
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            f.seek(max(0, size - TAIL_BYTES))
            tail = f.read()
    except OSError:
        return 0, ""
    lines = [line for line in tail.replace(b"\r", b"\n").split(b"\n") if line.strip()]
    return size, lines[-1].decode("utf-8", "replace") if lines else ""


def _sessions(socket):
    env = dict(os.environ, LC_ALL="C.UTF-8")
    env.pop("TMUX", None)
    argv = ["tmux", "-L", socket, "list-sessions", "-F", "#{session_name}"]
    try:
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    except OSError:
        return []
    return out.stdout.decode("utf-8", "replace").splitlines()


def main(root, wanted):
    specs = []
    try:
        names = sorted(os.listdir(root))
    except OSError:
        names = []
    for name in names:
        if wanted and name not in wanted:
            continue
        job_dir = os.path.join(root, name)
        raw = _read(os.path.join(job_dir, "job.json"))
        if raw is None:
            continue
        try:
            spec = json.loads(raw.decode("utf-8"))
        except ValueError:
            continue
        env = _read(os.path.join(job_dir, "env.json"))
        if env is not None and isinstance(spec, dict):
            try:
                spec["env"] = json.loads(env.decode("utf-8"))
            except ValueError:
                pass
        specs.append((job_dir, spec))
    # The sessions are listed BEFORE the exit codes are read. A job writes its exit code
    # before its session ends, so a job ending in between is seen either way as running
    # or exited; the other order could miss both and call a job that just ended "lost".
    sockets = sorted({spec.get("tmux_socket", "") for _, spec in specs} - {""})
    alive = {socket: _sessions(socket) for socket in sockets}
    jobs = []
    for job_dir, spec in specs:
        exit_path = os.path.join(job_dir, "exit_code")
        exit_text = _read(exit_path, 64)
        ended = None
        if exit_text is not None:
            try:
                ended = os.stat(exit_path).st_mtime
            except OSError:
                pass
        size, last = _last_line(os.path.join(job_dir, "output.log"))
        jobs.append(
            {
                "dir": job_dir,
                "spec": spec,
                "exit_code": None if exit_text is None else exit_text.decode("ascii", "replace"),
                "ended": ended,
                "runner_ready": os.path.exists(os.path.join(job_dir, "runner.pid")),
                "log_size": size,
                "last_line": last,
            }
        )
    sys.stdout.write(json.dumps({"jobs": jobs, "sessions": alive}))


if __name__ == "__main__":
    main(sys.argv[1], set(sys.argv[2:]))
