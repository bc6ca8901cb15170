"""The demo's GPUs: each instance replays what a real GPU of its type printed.

A demo instance is this machine rooted in a sandbox folder (``DemoInstanceHost``). For an
instance type with a recording (A10G for g5, T4 for g4dn, 8×A100 for p4d.24xlarge; each
recording names its source in its ``source`` field), the host's commands find ``nvidia-smi`` first on their PATH: the
replaying stand-in ``nvidia_smi_replay.py``, copied once into the demo folder's ``.bin`` and
told which recording to play through ``AWSCONSOLE_GPU_RECORDING``. The host says so
(``gpu_recording``), and the GPU view shows that its numbers are a recording. An instance
type without a recording has no ``nvidia-smi``, as a CPU instance has none.

A demo instance answers only while it runs, as a real one does: once stopped (or stopping,
or terminated) every command, file operation and stream on it fails with
HostUnreachableError, and a stream already open (the GPU view's nvidia-smi) ends within
about a second of the stop, so the GPU view does not replay a stopped instance.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from console.demo.nvidia_smi_replay import RECORDING_VAR
from console.demo.state import write_private
from console.errors import HostUnreachableError
from console.hosts.base import CommandStream
from console.hosts.local import LocalHost

RECORDINGS = Path(__file__).with_name("recordings")
REPLAY_SCRIPT = Path(__file__).with_name("nvidia_smi_replay.py")
#: the folder, in the demo folder, that holds the stand-in (first on a demo host's PATH)
BIN_DIR = ".bin"
RECORDING_FILES = ("a10g.json", "t4.json", "a100x8.json")


@dataclass(frozen=True)
class Recording:
    """A recorded nvidia-smi of one machine: its file, GPU model and GPU count."""

    path: Path
    gpu: str
    gpu_count: int

    @property
    def label(self) -> str:
        """What the GPU view says about its numbers."""
        if self.gpu_count == 1:
            return f"recording of a real {self.gpu}, replayed"
        return f"recording of {self.gpu_count} real {self.gpu} GPUs, replayed"


@cache
def recordings_by_type() -> dict[str, Recording]:
    """Instance type -> the recording its GPUs replay."""
    found: dict[str, Recording] = {}
    for name in RECORDING_FILES:
        path = RECORDINGS / name
        document = json.loads(path.read_text(encoding="utf-8"))
        recording = Recording(path, document["gpu"], len(document["frames"][0]["gpus"]))
        for instance_type in document["instance_types"]:
            found[instance_type] = recording
    return found


def recording_for(instance_type: str | None) -> Recording | None:
    return recordings_by_type().get(instance_type or "")


def install_standin(demo_dir: Path) -> Path:
    """``DEMO_DIR/.bin/nvidia-smi`` (0700), the replaying stand-in, written when missing or
    changed; returns the folder to put first on PATH."""
    folder = demo_dir / BIN_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    target = folder / "nvidia-smi"
    source = REPLAY_SCRIPT.read_bytes()
    try:
        current = target.read_bytes() if not target.is_symlink() else None
    except OSError:
        current = None
    if current != source:
        write_private(target, source)
    os.chmod(target, 0o700)
    return folder


#: how long a looked-up instance state is trusted (a stop reaches a stream within this)
STATE_TTL_S = 1.0


def _while_running(method):
    """A file operation of DemoInstanceHost that first checks the instance runs."""

    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        self.check_running()
        return method(self, *args, **kwargs)

    return guarded


class DemoInstanceHost(LocalHost):
    """A demo instance: this machine in the instance's sandbox folder, whose ``nvidia-smi``
    (when its type has a recording) replays a real GPU of that type. ``state`` (when given)
    returns the instance's state on the demo endpoint ("running", "stopped", …, None when
    it is gone); anything but running makes the host unreachable."""

    def __init__(
        self,
        name: str,
        home: str | os.PathLike[str],
        *,
        bin_dir: Path | None = None,
        recording: Recording | None = None,
        state: Callable[[], str | None] | None = None,
    ):
        super().__init__(name=name, home=home)
        self._bin_dir = bin_dir if recording is not None else None
        self._recording = recording
        self._state = state
        self._state_lock = threading.Lock()
        self._known: tuple[float, str | None] | None = None

    @property
    def gpu_recording(self) -> str | None:
        """What this host's GPUs are: a recording of a real GPU, replayed (None: no GPU)."""
        return self._recording.label if self._recording is not None else None

    def check_running(self) -> None:
        """Raises HostUnreachableError unless the instance runs (state looked up at most
        once every STATE_TTL_S)."""
        if self._state is None:
            return
        with self._state_lock:
            now = time.monotonic()
            if self._known is None or now - self._known[0] >= STATE_TTL_S:
                self._known = (now, self._state())
            state = self._known[1]
        if state != "running":
            said = "gone" if state is None else state
            raise HostUnreachableError(
                f"{self.name} is {said}: a demo instance answers only while it runs.",
                hint="Start it in the Instances view (key s) and try again.",
            )

    def _prepare(
        self, argv: Sequence[str], cwd: str | None, env: Mapping[str, str] | None
    ) -> tuple[list[str], str, dict[str, str]]:
        self.check_running()
        argv, directory, full_env = super()._prepare(argv, cwd, env)
        if self._recording is not None and self._bin_dir is not None:
            path = full_env.get("PATH") or os.defpath
            full_env["PATH"] = f"{self._bin_dir}{os.pathsep}{path}"
            full_env[RECORDING_VAR] = str(self._recording.path)
        return argv, directory, full_env

    def stream(self, argv, *, cancel=None, cwd=None, env=None) -> CommandStream:
        """LocalHost's stream, ended with HostUnreachableError once the instance stops."""
        inner = super().stream(argv, cancel=cancel, cwd=cwd, env=env)
        return _EndsWithInstance(inner, self.check_running) if self._state else inner

    stat = _while_running(LocalHost.stat)
    listdir = _while_running(LocalHost.listdir)
    read_range = _while_running(LocalHost.read_range)
    write = _while_running(LocalHost.write)
    put = _while_running(LocalHost.put)
    get = _while_running(LocalHost.get)
    makedirs = _while_running(LocalHost.makedirs)
    realpath = _while_running(LocalHost.realpath)
    remove = _while_running(LocalHost.remove)


class _EndsWithInstance(CommandStream):
    """A stream that checks its instance still runs between chunks (the replaying
    nvidia-smi writes one a second), and stops the command when it does not."""

    def __init__(self, inner: CommandStream, check_running: Callable[[], None]):
        self._inner = inner
        self._check_running = check_running

    @property
    def exit_code(self) -> int | None:  # type: ignore[override]
        return self._inner.exit_code

    @property
    def stderr(self) -> bytes:
        return getattr(self._inner, "stderr", b"")

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                self._check_running()
                yield chunk
        except HostUnreachableError:
            self._inner.close()
            raise

    def close(self) -> None:
        self._inner.close()
