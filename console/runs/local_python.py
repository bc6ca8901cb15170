"""Which Python on this machine runs the trainer, and the environment jobs here get for it.

The console never imports torch or the trainer; it starts them as processes. On this machine
the interpreter for that is, in order: ``[runs] python`` when set, else the console's own
interpreter (``sys.executable``) when it can import torch, which is asked with
``importlib.util.find_spec`` (a lookup: nothing is imported).

Jobs that run on this machine for the demo (its instances are this machine) get the
console's environment for the trainer (``console_environment``): ``PATH`` with the console's
interpreter folder first, so ``python -m trainer …`` and ``torchrun`` written in a job find
the torch installed beside the console; and ``PYTHONPATH`` with the folder holding the
``trainer`` package only when it is importable here from that folder on ``sys.path`` and
not as an installed package (a source checkout run in place): an installed or editable
package is found without it.
"""

from __future__ import annotations

import importlib.util
import os
import site
import sys
from collections.abc import Mapping


def has_torch() -> bool:
    """Whether this interpreter can import torch (``find_spec``: without importing it)."""
    return importlib.util.find_spec("torch") is not None


def local_python(configured: str = "") -> str | None:
    """``[runs] python``, else this interpreter when it has torch, else None."""
    if configured.strip():
        return configured.strip()
    return sys.executable if has_torch() and sys.executable else None


def _site_folders() -> set[str]:
    folders = set(getattr(site, "getsitepackages", list)())
    user = getattr(site, "getusersitepackages", lambda: "")()
    if user:
        folders.add(user)
    return {os.path.realpath(folder) for folder in folders}


def trainer_source_root() -> str | None:
    """The folder to put on PYTHONPATH for ``python -m trainer`` to work in another folder:
    the one holding the ``trainer`` package, when this interpreter finds it there through
    ``sys.path`` and it is no site-packages folder. None otherwise (not found, installed, or
    found by an editable install's finder)."""
    spec = importlib.util.find_spec("trainer")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        return None
    root = os.path.realpath(os.path.dirname(os.path.abspath(locations[0])))
    on_path = {os.path.realpath(entry or os.getcwd()) for entry in sys.path}
    if root not in on_path or root in _site_folders():
        return None
    return root


def console_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables a job on this machine needs to run the trainer as the console would
    (see the module's docstring); {} when the console's interpreter has no torch and the
    trainer needs no path."""
    environ = os.environ if environ is None else environ
    env: dict[str, str] = {}
    if has_torch() and sys.executable:
        folder = os.path.dirname(os.path.abspath(sys.executable))
        rest = [p for p in environ.get("PATH", os.defpath).split(os.pathsep) if p and p != folder]
        env["PATH"] = os.pathsep.join([folder, *rest])
    root = trainer_source_root()
    if root is not None:
        rest = [p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != root]
        env["PYTHONPATH"] = os.pathsep.join([root, *rest])
    return env
