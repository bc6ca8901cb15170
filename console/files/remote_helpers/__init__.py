"""Small self-contained Python scripts the console runs on a host with ``python3 -c``.

Each module here uses the standard library only and never imports ``console``, so its text
can be shipped as one argument and run by whatever ``python3`` the host has. The console
also imports them to do the same work on this machine without a subprocess.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

#: the helpers need nothing but the standard library: ``-S`` skips ``site`` (its
#: site-packages scan costs 40 ms here, more with a conda Python full of ``.pth`` files),
#: ``-I`` keeps the user's folder and PYTHON* variables off ``sys.path`` (a ``json.py`` in
#: the remote home must not be imported instead of the real one)
ISOLATED = ("-I", "-S")


@cache
def script_source(name: str) -> str:
    """The text of helper ``name`` (``"count_tree"``, ``"unpack_archives"``)."""
    return resources.files(__package__).joinpath(f"{name}.py").read_text(encoding="utf-8")


def python_command(name: str, *args: str, python: str = "python3") -> list[str]:
    """The argument list that runs helper ``name`` with ``args`` on a host.

    Stands for ``python3 -I -S -c "$(cat NAME.py)" ARGS...``: the script travels inside
    the command itself, so nothing has to be installed or copied to the host first.
    """
    return [python, *ISOLATED, "-c", script_source(name), *args]
