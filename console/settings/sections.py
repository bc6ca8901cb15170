"""The tables of the config file, each a typed, documented section of ``Settings``.

Every field says what it does (``doc``), what it takes (its annotation) and, where a value
can be out of range, what is refused (``check``). ``Settings.load`` reads each table into
its class, so a mistake is named when the console starts, not when a view first reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console.settings.schema import (
    between,
    not_blank,
    not_negative,
    percent,
    port,
    positive,
    setting,
)

#: the most SSH streams one big file is split over
MAX_STREAMS = 16


def _streams(raw: Any) -> int | None:
    """``"auto"`` (None: chosen per file from its size and the round trip) or 1-16."""
    if raw == "auto" or raw is None:
        return None
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError(f'must be "auto" or a whole number from 1 to {MAX_STREAMS}, not {raw!r}')
    return raw


@dataclass(frozen=True)
class JobsSettings:
    """``[jobs]``: where jobs run and which hosts are always searched for them."""

    tmux_socket: str = setting(
        "awsconsole", "tmux socket name jobs run on (`tmux -L NAME`).", check=not_blank
    )
    hosts: tuple[str, ...] = setting((), "ssh aliases always searched for jobs.")


@dataclass(frozen=True)
class GpuSettings:
    """``[gpu]``: the long-lived nvidia-smi streams of the GPU view and ``awsconsole gpu``."""

    nvidia_smi: str = setting(
        "nvidia-smi", "nvidia-smi command or absolute path on the hosts.", check=not_blank
    )
    interval_ms: int = setting(
        1000, "refresh of the long-lived GPU stream, milliseconds.", check=positive
    )
    history_minutes: float = setting(
        10.0, "sparkline history kept per GPU, minutes.", check=positive
    )
    apps_interval_seconds: float = setting(
        5.0, "refresh of the GPU process list, seconds.", check=positive
    )


@dataclass(frozen=True)
class IdleSettings:
    """``[idle]``: when GPUs count as idle, when the console warns about it and, with
    ``autostop_minutes``, when it stops the instance (``console.gpu.autostop``)."""

    threshold_percent: float = setting(
        5.0, "a GPU under this utilisation counts as idle.", check=percent
    )
    period_minutes: float = setting(
        15.0, "warn when every GPU stayed idle this long.", check=positive
    )
    max_gap_seconds: float = setting(
        120.0, "samples further apart restart the idle stretch.", check=positive
    )
    autostop_minutes: float = setting(
        0.0,
        "stop a running GPU instance once every GPU stayed idle this long, minutes, while "
        "the console runs (0: off, the default; fractions allowed; never read-only).",
        check=not_negative,
    )

    @property
    def period_s(self) -> float:
        return self.period_minutes * 60.0

    @property
    def max_gap_s(self) -> float:
        return self.max_gap_seconds

    @property
    def autostop_s(self) -> float:
        """The autostop period in seconds; 0 when autostop is off."""
        return self.autostop_minutes * 60.0


@dataclass(frozen=True)
class TransferSettings:
    """``[transfer]``: how big files travel over SSH."""

    streams: int | None = setting(
        None,
        f'SSH streams per big file: "auto" (from its size and the round trip) or 1-{MAX_STREAMS}.',
        check=lambda v: None if v is None else between(1, MAX_STREAMS)(v),
        parse=_streams,
    )


@dataclass(frozen=True)
class InstancesSettings:
    """``[instances]``: how the console reaches an instance from your terminal."""

    ssh_user: str = setting(
        "ubuntu", "user name on the instances (ubuntu, ec2-user).", check=not_blank
    )
    jupyter_port: int = setting(8888, "Jupyter's port on the instance and here.", check=port)
    key_dir: str = setting("~/.ssh", "where <key pair name>.pem files are looked for.")


@dataclass(frozen=True)
class DoctorSettings:
    """``[doctor]``: what a host needs to be ready to train."""

    python: str = setting("python3", "the Python that trains on the host.", check=not_blank)
    min_free_gb: float = setting(10.0, "free disk space a host needs, GB.", check=positive)


@dataclass(frozen=True)
class RunsSettings:
    """``[runs]``: the training workflow on this machine (ledger, checkpoints, predict)."""

    python: str = setting(
        "",
        "the Python with torch that runs the trainer on this machine (predict, training on "
        "`local`); empty: this console's own interpreter when it can import torch.",
    )
    ledger: str = setting(
        "", "the run ledger file (empty: runs.jsonl in the platform's user data folder)."
    )
    cache_dir: str = setting(
        "",
        "where fetched checkpoints and drawn predictions go (empty: the platform's user "
        "cache folder, awsconsole/runs).",
    )
    over_confident_epochs: int = setting(
        3,
        "epochs of rising validation loss with rising accuracy before a run is flagged "
        "over-confident.",
        check=lambda v: None if v >= 2 else f"must be at least 2, not {v!r}",
    )
    predict_timeout_seconds: float = setting(
        600.0, "how long a prediction on this machine may take, seconds.", check=positive
    )


#: what one ``[templates."NAME"]`` table may hold, with its meaning; a template is read when
#: the new-job form or ``run --template`` uses it (console.jobs.manager.template_spec)
TEMPLATE_KEYS: dict[str, str] = {
    "command": "the command: a list of arguments, or one line split like a shell would.",
    "cwd": "working directory on the host (default ~).",
    "env": "environment variables, NAME = value.",
    "name": "the job's name (default: the template's).",
}
