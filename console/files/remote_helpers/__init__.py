"""Small self-contained Python scripts the console runs on a host with ``python3 -c``.

Each module here uses the standard library only, so its text can be shipped as one
argument and run by whatever ``python3`` the host has. The console also imports them to do
the same work on this machine without a subprocess.

A helper that needs a shared stdlib-only module of ``console.files`` (the containment rule
in ``paths.py``) imports it on one line of its own::

    from console.files.paths import UnsafeName, name_parts  # shipped ahead on a host

Imported here, that line is an ordinary import. Shipped to a host, the line is dropped and
the module's text is put ahead of the helper's own, so the host runs the very same code and
the rule has one source.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

#: the helpers need nothing but the standard library: ``-S`` skips ``site`` (its
#: site-packages scan costs 40 ms here, more with a conda Python full of ``.pth`` files),
#: ``-I`` keeps the user's folder and PYTHON* variables off ``sys.path`` (a ``json.py`` in
#: the remote home must not be imported instead of the real one)
ISOLATED = ("-I", "-S")

#: the modules of ``console.files`` a helper may take along (stdlib-only, Python 3.6 syntax)
SHIPPABLE = frozenset({"paths"})

#: one whole line ``from console.files.NAME import ...``: the marker of a shipped module
_SHIPPED_IMPORT = re.compile(r"^from console\.files\.(\w+) import [^\n(]*\n", re.MULTILINE)


def _module_text(package: str, name: str) -> str:
    return resources.files(package).joinpath(f"{name}.py").read_text(encoding="utf-8")


def shipped_modules(name: str) -> tuple[str, ...]:
    """The ``console.files`` modules helper ``name`` takes along, in import order."""
    text = _module_text(__package__, name)
    return tuple(_SHIPPED_IMPORT.findall(text))


@cache
def script_source(name: str) -> str:
    """The text of helper ``name`` (``"count_tree"``, ``"unpack_archives"``) as a host runs it.

    The modules it imports from ``console.files`` come first, their import lines removed.
    Raises ValueError for a module that is not meant to travel.
    """
    text = _module_text(__package__, name)
    shipped = _SHIPPED_IMPORT.findall(text)
    unknown = sorted(set(shipped) - SHIPPABLE)
    if unknown:
        raise ValueError(f"helper {name} imports console.files.{unknown[0]}, which is not shipped")
    ahead = [_module_text("console.files", module) for module in dict.fromkeys(shipped)]
    return "\n".join([*ahead, _SHIPPED_IMPORT.sub("", text)])


def python_command(name: str, *args: str, python: str = "python3") -> list[str]:
    """The argument list that runs helper ``name`` with ``args`` on a host.

    Stands for ``python3 -I -S -c "$(cat NAME.py)" ARGS...``: the script travels inside
    the command itself, so nothing has to be installed or copied to the host first.
    """
    return [python, *ISOLATED, "-c", script_source(name), *args]
