"""Is this host ready to train? Checks run on the host, each a pass/fail mark and a fix hint.

Each check is one command on the host (the shell command it stands for is in its docstring);
a missing program is a failed check with a hint, never an exception. Only an unreachable
host raises (HostError and its subclasses), because then nothing can be checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from console.errors import CommandTimeoutError, HostUnreachableError
from console.gpu import classify_failure, looks_like_table, parse_table
from console.hosts.argv import tool_path
from console.hosts.base import Host
from console.models import CommandResult, DoctorCheck, GpuStatus

#: ``python3 -c`` code that reports torch without failing when it is missing
_TORCH_PROBE = (
    "import json\n"
    "try:\n"
    "    import torch\n"
    "except Exception as exc:\n"
    "    print(json.dumps({'error': type(exc).__name__ + ': ' + str(exc)}))\n"
    "else:\n"
    "    print(json.dumps({'version': torch.__version__, 'cuda': torch.version.cuda,\n"
    "                      'available': torch.cuda.is_available()}))\n"
)


@dataclass(frozen=True)
class DoctorOptions:
    #: the Python that trains (a conda env's python on a Deep Learning AMI, say)
    python: str = "python3"
    nvidia_smi: str = "nvidia-smi"
    #: the home directory's filesystem needs at least this much free space
    min_free_gb: float = 10.0


def _text(result: CommandResult) -> str:
    return (result.stdout + result.stderr).decode("utf-8", "replace").strip()


def _missing(result: CommandResult) -> bool:
    return result.exit_code in (126, 127)


def _first_line(text: str) -> str:
    return text.splitlines()[0].strip() if text else ""


class Doctor:
    """The checks of ``awsconsole doctor HOST`` over one host."""

    def __init__(self, host: Host, options: DoctorOptions | None = None):
        self.host = host
        self.options = options or DoctorOptions()

    def run(self) -> list[DoctorCheck]:
        """Every check, in a fixed order; they run side by side (a torch import is slow).

        Raises HostUnreachableError (and the other connection errors of the host) when the
        host cannot be reached.
        """
        groups: list[Callable[[], list[DoctorCheck]]] = [
            self.nvidia,
            self.python,
            self.torch,
            self.disk,
            self.tmux,
            self.s3_mount,
            self.aws_cli,
        ]
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="doctor") as pool:
            futures = [pool.submit(group) for group in groups]
            return [check for future in futures for check in future.result()]

    def _run(self, argv: list[str], timeout: float = 60.0) -> CommandResult | None:
        """None when the command timed out (a failed check, not a crash)."""
        try:
            return self.host.run(argv, timeout=timeout)
        except CommandTimeoutError:
            return None
        except HostUnreachableError:
            raise

    def nvidia(self) -> list[DoctorCheck]:
        """``nvidia-smi`` (the plain table: its header has the driver and CUDA versions)."""
        result = self._run([self.options.nvidia_smi], timeout=60)
        if result is None:
            fail = "nvidia-smi did not answer within 60 s"
            hint = "The driver may be hung; reboot the instance."
            return [
                DoctorCheck("NVIDIA driver", False, fail, hint),
                DoctorCheck("CUDA", False, fail),
            ]
        text = _text(result)
        if result.exit_code == 0 and looks_like_table(text):
            table = parse_table(text)
            gpus = (
                f" ({len(table.gpus)} GPU{'s' if len(table.gpus) != 1 else ''})"
                if table.gpus
                else ""
            )
            return [
                DoctorCheck(
                    "NVIDIA driver",
                    table.driver_version is not None,
                    f"{table.driver_version}{gpus}",
                ),
                DoctorCheck(
                    "CUDA",
                    table.cuda_version is not None,
                    table.cuda_version or "not shown by this driver",
                    ""
                    if table.cuda_version
                    else "Drivers before 410 do not report CUDA; upgrade the driver.",
                ),
            ]
        state = classify_failure(text, result.exit_code, self.host.name)
        hints = {
            GpuStatus.NO_NVIDIA_SMI: "Install the NVIDIA driver (on AWS, a Deep Learning AMI has it), "
            "or set [gpu] nvidia_smi to its path.",
            GpuStatus.NO_DRIVER: "Load the driver: reboot, or reinstall it for the running kernel "
            "(sudo apt-get install nvidia-driver-<version>); on AWS pick a GPU instance type.",
            GpuStatus.DRIVER_MISMATCH: "The driver was upgraded without a reboot: reboot the instance.",
            GpuStatus.NO_DEVICES: "This instance type has no NVIDIA GPU (choose g5, g6, p4d, p5…).",
        }
        hint = hints.get(state.status, "Run nvidia-smi on the host to see the full error.")
        found = state.message + (f" ({_first_line(state.detail)})" if state.detail else "")
        return [
            DoctorCheck("NVIDIA driver", False, found, hint),
            DoctorCheck("CUDA", False, "unknown without a working driver"),
        ]

    def python(self) -> list[DoctorCheck]:
        """``python3 --version``."""
        result = self._run([self.options.python, "--version"])
        if result is None or result.exit_code != 0:
            found = "not found" if result is not None and _missing(result) else "does not run"
            return [
                DoctorCheck(
                    "Python",
                    False,
                    f"{self.options.python}: {found}",
                    "sudo apt-get install python3",
                )
            ]
        version = _first_line(_text(result))
        match = re.search(r"Python (\d+)\.(\d+)", version)
        ok = bool(match) and (int(match[1]), int(match[2])) >= (3, 9)
        return [DoctorCheck("Python", ok, version, "" if ok else "Use Python 3.9 or newer.")]

    def torch(self) -> list[DoctorCheck]:
        """``python3 -c 'import torch; print(torch.__version__, torch.cuda.is_available())'``."""
        result = self._run([self.options.python, "-c", _TORCH_PROBE], timeout=180)
        name, cuda_name = "PyTorch", "torch.cuda.is_available()"
        if result is None:
            return [
                DoctorCheck(name, False, "importing torch took over 180 s"),
                DoctorCheck(cuda_name, False, "unknown"),
            ]
        try:
            info = json.loads(result.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
        except (ValueError, IndexError):
            info = {"error": _first_line(_text(result)) or f"exit {result.exit_code}"}
        if "error" in info:
            return [
                DoctorCheck(
                    name, False, info["error"], f"{self.options.python} -m pip install torch"
                ),
                DoctorCheck(cuda_name, False, "unknown without torch"),
            ]
        cuda_build = info.get("cuda")
        available = bool(info.get("available"))
        if available:
            hint = ""
        elif not cuda_build:
            hint = "This torch is a CPU-only build: install a CUDA build (pip install torch --index-url https://download.pytorch.org/whl/cu124)."
        else:
            hint = "torch has CUDA but sees no GPU: check the driver (nvidia-smi) and CUDA_VISIBLE_DEVICES."
        found = (
            f"{available} (torch built for CUDA {cuda_build})"
            if cuda_build
            else f"{available} (CPU-only build)"
        )
        return [
            DoctorCheck(name, True, str(info.get("version"))),
            DoctorCheck(cuda_name, available, found, hint),
        ]

    def disk(self) -> list[DoctorCheck]:
        """``df -Pk ~`` (free space of the home directory's filesystem)."""
        result = self._run(["df", "-Pk", "--", tool_path(self.host.home())])
        if result is None or result.exit_code != 0:
            return [
                DoctorCheck(
                    "Free disk", False, _first_line(_text(result)) if result else "df timed out"
                )
            ]
        lines = result.text().strip().splitlines()
        try:
            fields = lines[-1].split()
            free = int(fields[3]) * 1024
            mount = fields[5]
        except (IndexError, ValueError):
            return [
                DoctorCheck("Free disk", False, f"cannot read df: {lines[-1] if lines else ''}")
            ]
        ok = free >= self.options.min_free_gb * 1024**3
        hint = (
            ""
            if ok
            else (
                f"Less than {self.options.min_free_gb:g} GiB free: delete old checkpoints, or grow the "
                "EBS volume (aws ec2 modify-volume) and the filesystem."
            )
        )
        return [DoctorCheck("Free disk", ok, f"{free / 1024**3:.1f} GiB free on {mount}", hint)]

    def tmux(self) -> list[DoctorCheck]:
        """``tmux -V``."""
        result = self._run(["tmux", "-V"])
        if result is not None and result.exit_code == 0:
            return [DoctorCheck("tmux", True, _first_line(_text(result)))]
        return [
            DoctorCheck(
                "tmux", False, "not found", "sudo apt-get install tmux (jobs run inside tmux)"
            )
        ]

    def s3_mount(self) -> list[DoctorCheck]:
        """``mount-s3 --version`` or ``s3fs --version``."""
        for program in ("mount-s3", "s3fs"):
            result = self._run([program, "--version"])
            if result is not None and not _missing(result):
                return [
                    DoctorCheck("s3fs or mount-s3", True, _first_line(_text(result)) or program)
                ]
        return [
            DoctorCheck(
                "s3fs or mount-s3",
                False,
                "neither found",
                "sudo apt-get install s3fs, or install Mountpoint for Amazon S3 (mount-s3)",
            )
        ]

    def aws_cli(self) -> list[DoctorCheck]:
        """``aws --version`` (version 1 prints it on stderr)."""
        result = self._run(["aws", "--version"])
        if result is not None and result.exit_code == 0:
            return [DoctorCheck("AWS CLI", True, _first_line(_text(result)))]
        return [
            DoctorCheck("AWS CLI", False, "not found", "pip install awscli, or install AWS CLI v2")
        ]


def run_doctor(host: Host, options: DoctorOptions | None = None) -> list[DoctorCheck]:
    """``Doctor(host, options).run()``."""
    return Doctor(host, options).run()


def doctor_options(settings: Any, python: str | None = None) -> DoctorOptions:
    """DoctorOptions from the ``[doctor]`` and ``[gpu]`` settings (``python`` wins)."""
    return DoctorOptions(
        python=python or settings.doctor.python,
        nvidia_smi=settings.gpu.nvidia_smi,
        min_free_gb=settings.doctor.min_free_gb,
    )
