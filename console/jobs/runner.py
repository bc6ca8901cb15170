"""The tiny program that runs inside a job's tmux pane, on the host.

``console.jobs.manager`` copies it into the job's folder (``console/jobs/folder.py``) and starts
it as ``tmux new-session -d -s ID python3 -I -S JOB_DIR/runner.py JOB_DIR``.
It reads the user's command from ``JOB_DIR/job.json`` (an argv list, written as JSON bytes
through the host's file API), so no user text ever passes through a shell or through tmux's
command parser: quotes, ``$(...)``, ``;``, newlines and unicode reach ``execvpe`` unchanged.

The command runs on its own pseudo-terminal (so it sees a tty: line-buffered output, tqdm
bars, colours), with the environment of ``JOB_DIR/env.json`` (values are never printed nor
logged). Everything it prints is appended to ``JOB_DIR/output.log`` and copied to the
tmux pane; keys typed in the pane (``tmux send-keys C-c``, an attached user) are passed on
to it. When it ends, its status goes to ``JOB_DIR/exit_code`` (128 + N for signal N),
written atomically, before the pane closes. ``JOB_DIR/runner.pid`` says the runner is ready:
a kill or a Ctrl-C from then on is recorded or passed on, and ``JobManager`` waits for it.
What the runner creates is 0600 (umask 077); the command itself runs with the umask the
runner was started with.

Runs on whatever ``python3`` the host has: standard library only, Python 3.6 syntax.
"""

import errno
import fcntl
import json
import os
import pty
import select
import signal
import sys
import termios

#: the signals that end a job (tmux kill-session hangs the pane up). They are held from the
#: runner's first statement until its handlers are in: a kill in those first milliseconds
#: used to end the runner by the default action, and the job, with no exit code, read "lost".
_ENDING = {signal.SIGHUP, signal.SIGTERM}
signal.pthread_sigmask(signal.SIG_BLOCK, _ENDING)
#: the job's own files (exit_code, its temporary name) are the user's alone
_COMMAND_UMASK = os.umask(0o077)

#: seconds a job gets to end after the tmux session was killed, before SIGKILL
KILL_GRACE_SECONDS = 10


def _write_all(fd, data):
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _resolve_cwd(cwd, home):
    if cwd == "~":
        return home
    if cwd.startswith("~/"):
        return os.path.join(home, cwd[2:])
    return cwd


def _child(spec, cwd, env):
    """In the forked child: the pty is our stdin/stdout/stderr and controlling terminal."""
    os.umask(_COMMAND_UMASK)
    try:
        attrs = termios.tcgetattr(1)
        attrs[1] &= ~termios.ONLCR  # keep "\n" in output.log, not the terminal's "\r\n"
        termios.tcsetattr(1, termios.TCSANOW, attrs)
        os.chdir(cwd)
        argv = spec["command"]
        os.execvpe(argv[0], argv, env)
    except BaseException as exc:  # noqa: B036 - nothing may escape a forked child
        message = f"awsconsole: cannot run {spec['command'][0]!r} in {cwd!r}: {exc}\n"
        os.write(2, message.encode("utf-8", "replace"))
    os._exit(127)


def _copy_window_size(master):
    try:
        size = fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(master, termios.TIOCSWINSZ, size)
    except OSError:
        pass


def _pass_keys_through(fd):
    """Let Ctrl-C and every other key reach the job's own terminal as a byte."""
    try:
        attrs = termios.tcgetattr(fd)
    except termios.error:
        return
    attrs[0] &= ~(termios.ICRNL | termios.IXON)
    attrs[3] &= ~(termios.ICANON | termios.ECHO | termios.ISIG | termios.IEXTEN)
    attrs[6][termios.VMIN] = 1
    attrs[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


def _status_code(status):
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _write_exit_code(job_dir, code):
    tmp = os.path.join(job_dir, ".exit_code.tmp")
    with open(tmp, "w") as out:
        out.write(f"{code}\n")
        out.flush()
        os.fsync(out.fileno())
    os.rename(tmp, os.path.join(job_dir, "exit_code"))


def _host_env(job_dir):
    """host_env.json's values: what the host gives every command it starts (a demo
    instance's PATH and endpoint), whichever client started the tmux server."""
    try:
        with open(os.path.join(job_dir, "host_env.json"), encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def _job_env(job_dir, spec):
    """env.json's values; a job.json written before env.json existed held them itself."""
    try:
        with open(os.path.join(job_dir, "env.json"), encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return spec.get("env") or {}


def _say_ready(job_dir):
    """Write ``runner.pid``: from here on a hang-up is handled (a kill is recorded) and a
    Ctrl-C in the pane is a byte for the command. Before, the interpreter may still be
    starting (behind a wrapper such as pyenv's shim, a shell), and either would end it
    before it could record anything."""
    tmp = os.path.join(job_dir, ".runner.pid.tmp")
    with open(tmp, "w") as out:
        out.write(f"{os.getpid()}\n")
    os.rename(tmp, os.path.join(job_dir, "runner.pid"))


def main(job_dir):
    with open(os.path.join(job_dir, "job.json"), encoding="utf-8") as f:
        spec = json.load(f)
    home = spec["home"]
    env = dict(os.environ)
    env.update(_host_env(job_dir))
    env.update(_job_env(job_dir, spec))
    env["HOME"] = home
    # Where the job may leave more state (the trainer writes metrics.jsonl there).
    env["AWSCONSOLE_JOB_DIR"] = job_dir
    env["AWSCONSOLE_JOB_ID"] = spec["id"]
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.pop("TMUX", None)  # the job is not a tmux client
    env.pop("TMUX_PANE", None)
    cwd = _resolve_cwd(spec.get("cwd") or "~", home)
    log = os.open(os.path.join(job_dir, "output.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    pid, master = pty.fork()
    if pid == 0:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _ENDING)  # the command gets them as usual
        _child(spec, cwd, env)

    pane_gone = [False]

    def on_hangup(signum, frame):
        # tmux kill-session (or the server dying) hangs up the pane: end the job, then
        # still record how it ended.
        pane_gone[0] = True
        for sig in (signal.SIGHUP, signal.SIGCONT):
            try:
                os.killpg(pid, sig)
            except OSError:
                pass
        signal.alarm(KILL_GRACE_SECONDS)

    def on_alarm(signum, frame):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass

    signal.signal(signal.SIGHUP, on_hangup)
    signal.signal(signal.SIGTERM, on_hangup)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGWINCH, lambda signum, frame: _copy_window_size(master))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _ENDING)  # one held meanwhile is handled now
    _copy_window_size(master)
    stdin_open = os.isatty(0)
    if stdin_open:
        _pass_keys_through(0)
    _say_ready(job_dir)

    status = None
    while True:
        watched = [master, 0] if stdin_open and not pane_gone[0] else [master]
        try:
            ready = select.select(watched, [], [], 0.5)[0]
        except OSError as exc:
            if exc.errno != errno.EINTR:
                raise
            continue
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every process holding the job's terminal has ended
                data = b""
            if not data:
                break
            _write_all(log, data)
            if not pane_gone[0]:
                try:
                    _write_all(1, data)
                except OSError:
                    pane_gone[0] = True
        if 0 in ready:
            try:
                keys = os.read(0, 4096)
            except OSError:
                keys = b""
            if keys:
                _write_all(master, keys)
            else:
                stdin_open = False
        if not ready:
            # The command may have ended while something it started in the background
            # still holds the terminal open: do not wait for that one.
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            status = None
    if status is None:
        status = os.waitpid(pid, 0)[1]
    os.close(log)
    _write_exit_code(job_dir, _status_code(status))


if __name__ == "__main__":
    main(sys.argv[1])
