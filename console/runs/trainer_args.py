"""The trainer's command line as the console reads and writes it, without importing the trainer.

``awsconsole train`` passes the trainer's options through as given; the console only reads a
few of them (where the run folder is, how many epochs, the S3 prefix, the spot watcher) to
record the run, and replaces ``--resume`` to continue one. Options are read as argparse
writes them: ``--run-dir X`` or ``--run-dir=X``, the last one given wins. Abbreviations
(``--run X``) are not read: write options in full.

How a run starts (``launch_argv``):
- one process: ``PYTHON -m trainer train ARGS…``;
- ``--gpus all`` / ``--gpus N``, or several nodes: ``PYTHON -m torch.distributed.run
  --nproc_per_node gpu|N -m trainer train ARGS…`` (``torch.distributed.run`` is what the
  ``torchrun`` command runs; through the chosen interpreter it needs no ``torchrun`` on
  PATH). A multi-node group's rendezvous comes from the PET_* variables its jobs get.
"""

from __future__ import annotations

import ipaddress
import posixpath
import urllib.parse
from collections.abc import Sequence

from console.runs.errors import RunError

#: what the trainer uses when an option is not given (trainer/config.py)
DEFAULT_RUN_DIR = "runs/default"
DEFAULT_EPOCHS = 20
DEFAULT_METADATA_ENDPOINT = "http://169.254.169.254"
#: the trainer's options that take no value
FLAG_OPTIONS = frozenset({"--augment", "--no-augment"})
TRAINER_MODULE = ("-m", "trainer", "train")
TORCHRUN_MODULE = ("-m", "torch.distributed.run")


def option_value(args: Sequence[str], name: str) -> str | None:
    """The value of the last ``name VALUE`` or ``name=VALUE`` in ``args`` (None: not given)."""
    found = None
    words = list(args)
    for i, word in enumerate(words):
        if word == "--":
            break
        if word == name and name not in FLAG_OPTIONS and i + 1 < len(words):
            found = words[i + 1]
        elif word.startswith(name + "="):
            found = word[len(name) + 1 :]
    return found


def without_option(args: Sequence[str], name: str) -> tuple[str, ...]:
    """``args`` with every ``name [VALUE]`` / ``name=VALUE`` taken out."""
    out: list[str] = []
    words = list(args)
    i = 0
    while i < len(words):
        word = words[i]
        if word == name:
            i += 1 if name in FLAG_OPTIONS else 2
            continue
        if word.startswith(name + "="):
            i += 1
            continue
        out.append(word)
        i += 1
    return tuple(out)


def with_option(args: Sequence[str], name: str, value: str) -> tuple[str, ...]:
    """``args`` with ``name VALUE`` as the one value of that option (appended last)."""
    return (*without_option(args, name), name, value)


def run_dir_of(args: Sequence[str], cwd: str) -> str:
    """The run folder on the host, absolute: ``--run-dir`` (default ``runs/default``) against
    the job's working folder ``cwd`` (absolute)."""
    given = option_value(args, "--run-dir") or DEFAULT_RUN_DIR
    return posixpath.normpath(posixpath.join(cwd, given))


def epochs_of(args: Sequence[str]) -> int | None:
    """``--epochs`` (the trainer's default when not given); None when it is not a number."""
    text = option_value(args, "--epochs")
    if text is None:
        return DEFAULT_EPOCHS
    try:
        return int(text)
    except ValueError:
        return None


def s3_uri_of(args: Sequence[str]) -> str | None:
    """``--s3-uri``, where every checkpoint is uploaded; None when not given."""
    return option_value(args, "--s3-uri") or None


def probes_link_local_metadata(args: Sequence[str]) -> bool:
    """Whether the trainer's spot watcher would ask the link-local metadata address (an EC2
    instance's own): ``--spot-watch`` is not ``off`` and ``--imds-endpoint`` (default
    ``http://169.254.169.254``) is a link-local address."""
    if (option_value(args, "--spot-watch") or "auto") == "off":
        return False
    endpoint = option_value(args, "--imds-endpoint") or DEFAULT_METADATA_ENDPOINT
    host = urllib.parse.urlsplit(endpoint).hostname or ""
    try:
        return ipaddress.ip_address(host).is_link_local
    except ValueError:
        return False


def check_gpus(gpus: str) -> str:
    """``"1"``, ``"all"`` or a positive count, as given. Raises RunError otherwise."""
    text = str(gpus).strip().lower()
    if text == "all" or (text.isdigit() and int(text) >= 1):
        return text
    raise RunError(f"--gpus {gpus!r}: give all, or a number of GPUs (1, 2, …).")


def launch_argv(python: str, trainer_args: Sequence[str], gpus: str = "1", nodes: int = 1) -> list[str]:
    """The argv of a training job (see the module's docstring). Raises RunError for bad gpus."""
    gpus = check_gpus(gpus)
    if gpus == "1" and nodes == 1:
        return [python, *TRAINER_MODULE, *trainer_args]
    per_node = "gpu" if gpus == "all" else gpus
    return [python, *TORCHRUN_MODULE, "--nproc_per_node", per_node, *TRAINER_MODULE, *trainer_args]


def trainer_args_of(command: Sequence[str]) -> tuple[str, ...]:
    """The trainer's own options of a launch argv (what follows ``-m trainer train``)."""
    words = list(command)
    for i in range(len(words) - 2):
        if tuple(words[i : i + 3]) == TRAINER_MODULE:
            return tuple(words[i + 3 :])
    return ()
