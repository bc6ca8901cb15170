"""Small self-contained Python scripts the console runs on a host with ``python3 -c``.

Each module here uses the standard library only and never imports ``console``, so its text
can be shipped as one argument and run by whatever ``python3`` the host has. The console
also imports them to do the same work on this machine without a subprocess.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def script_source(name: str) -> str:
    """The text of helper ``name`` (``"count_tree"``, ``"unpack_archives"``)."""
    return resources.files(__package__).joinpath(f"{name}.py").read_text(encoding="utf-8")


def python_command(name: str, *args: str, python: str = "python3") -> list[str]:
    """The argument list that runs helper ``name`` with ``args`` on a host.

    Stands for ``python3 -c "$(cat NAME.py)" ARGS...``: the script travels inside the
    command itself, so nothing has to be installed or copied to the host first.
    """
    return [python, "-c", script_source(name), *args]
