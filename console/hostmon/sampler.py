"""HostSampler: one host's CPU, load, memory, disks and network, sampled until cancelled."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence

import psutil

from console.errors import HostError
from console.hostmon.python_sampler import sample_from_json
from console.hostmon.sh_sampler import ShRecordReader, sampler_argv
from console.hostmon.this_machine import local_net, local_sample
from console.hosts.base import Host
from console.hosts.lines import iter_lines
from console.hosts.local import LocalHost
from console.models import HostSample


class HostSampler:
    """Samples one host every ``interval_s`` until ``cancel`` is set.

    ``run()`` blocks (call it from a thread worker); ``latest()``, ``samples()`` and ``error``
    may be read from any thread; ``on_sample(sample)`` is called for each sample. Errors
    (host unreachable, the sampler stopped) are kept in ``error`` and retried after
    ``retry_s``; ``run()`` itself does not raise.

    This machine (a ``LocalHost``) is read in-process with psutil. Any other host runs ONE
    long-lived command, ``sh -c <launcher> awsconsole-hostmon python3 <code> INTERVAL …``
    (see ``console.hostmon.sh_sampler``): the Python sampler when ``python`` is found on the
    host (with psutil if it has it, else /proc; ``force_proc`` skips psutil), the sh sampler
    over /proc when it is not (``force_sh`` or ``python=None`` choose it outright). ``env``
    is added to the command's environment (``PATH`` where the host keeps its tools).
    """

    def __init__(
        self,
        host: Host,
        *,
        interval_s: float = 2.0,
        cancel: threading.Event | None = None,
        python: str | None = "python3",
        mounts: Sequence[str] = (),
        history_len: int = 300,
        on_sample: Callable[[HostSample], None] | None = None,
        force_remote: bool = False,
        force_proc: bool = False,
        force_sh: bool = False,
        env: Mapping[str, str] | None = None,
        retry_s: float = 10.0,
    ):
        if interval_s <= 0:
            raise ValueError(f"host sampling interval must be positive, got {interval_s}")
        self.host = host
        self.interval_s = interval_s
        self.cancel = cancel or threading.Event()
        self.python = None if force_sh else python
        self.mounts = tuple(mounts)
        self.on_sample = on_sample
        self.history: deque[HostSample] = deque(maxlen=history_len)
        self.error: str | None = None
        self.retry_s = retry_s
        self.force_proc = force_proc
        self.env = dict(env) if env else None
        # a LocalHost is this machine: psutil in-process, no command at all
        self.remote = force_remote or not isinstance(host, LocalHost)
        self._stream = None
        self._lock = threading.Lock()

    def latest(self) -> HostSample | None:
        with self._lock:
            return self.history[-1] if self.history else None

    def samples(self) -> tuple[HostSample, ...]:
        """The history, oldest first (safe while the sampler adds to it)."""
        with self._lock:
            return tuple(self.history)

    def close(self) -> None:
        self.cancel.set()
        stream = self._stream
        if stream is not None:
            stream.close()

    def run(self) -> None:
        if self.remote:
            self._run_remote()
        else:
            self._run_local()

    def _emit(self, sample: HostSample) -> None:
        with self._lock:
            self.history.append(sample)
            self.error = None
        if self.on_sample is not None:
            self.on_sample(sample)

    # --- this machine ---

    def _run_local(self) -> None:
        psutil.cpu_percent(None)
        before, t0 = local_net(), time.time()
        while not self.cancel.wait(self.interval_s):
            now, t1 = local_net(), time.time()
            elapsed = max(t1 - t0, 1e-6)
            self._emit(
                local_sample(
                    self.host.name,
                    self.mounts,
                    rx=(now[0] - before[0]) / elapsed,
                    tx=(now[1] - before[1]) / elapsed,
                    at=t1,
                )
            )
            before, t0 = now, t1

    # --- a remote host ---

    def _run_remote(self) -> None:
        argv = sampler_argv(
            self.interval_s, python=self.python, force_proc=self.force_proc, mounts=self.mounts
        )
        while not self.cancel.is_set():
            records = ShRecordReader(self.host.name)
            try:
                with self.host.stream(argv, cancel=self.cancel, env=self.env) as stream:
                    self._stream = stream
                    if self.cancel.is_set():
                        break
                    for line in iter_lines(stream):
                        sample = self._read_line(line, records)
                        if sample is not None:
                            self._emit(sample)
                    code = stream.exit_code
                    if code is not None and not self.cancel.is_set():
                        reason = getattr(stream, "stderr", b"").decode("utf-8", "replace").strip()
                        self.error = _sampler_failure(self.host.name, code, reason)
            except HostError as exc:
                self.error = f"{self.host.name}: {exc.message}"
            finally:
                self._stream = None
            if self.cancel.wait(self.retry_s):
                return

    def _read_line(self, line: str, records: ShRecordReader) -> HostSample | None:
        """A JSON line of the Python sampler or a line of an sh record; noise gives None."""
        if line.startswith("{"):
            try:
                return sample_from_json(self.host.name, line)
            except ValueError:
                return None  # a partial line: skip it
        return records.feed(line)


def _sampler_failure(host: str, code: int, reason: str) -> str:
    if code == 127:
        return f"{host} cannot start the host sampler (exit 127, no sh?): {reason[-300:]}"
    return f"The host sampler on {host} stopped (exit {code}): {reason[-300:]}"
