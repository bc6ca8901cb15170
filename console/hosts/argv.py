"""Checks every host applies to an argument list and an environment before running it, and
the one way a path is handed to a host tool (``tool_path``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def check_argv(argv: Sequence[str]) -> list[str]:
    """An argument list as a list of str; raises ValueError for a string or an empty list."""
    if isinstance(argv, str | bytes):
        raise ValueError("argv must be a list of arguments, not one string")
    argv = [str(arg) for arg in argv]
    if not argv:
        raise ValueError("argv is empty")
    if any("\0" in arg for arg in argv):
        raise ValueError("an argument contains a NUL byte")
    return argv


def check_env(env: Mapping[str, str] | None) -> dict[str, str]:
    """Variables to set; names must be shell identifiers (``env`` would misread others)."""
    result = {}
    for key, value in (env or {}).items():
        if (
            not key
            or not (key[0].isalpha() or key[0] == "_")
            or not all(ch.isalnum() or ch == "_" for ch in key)
            or not key.isascii()
        ):
            raise ValueError(f"invalid environment variable name {key!r}")
        if "\0" in value:
            raise ValueError(f"the value of {key} contains a NUL byte")
        result[key] = value
    return result


def tool_path(path: str) -> str:
    """``path`` as an argument that no tool can read as an option or an expression.

    An absolute path is returned as it is; a relative one gets ``./`` in front, so a folder
    named ``-delete`` reaches ``find`` as ``./-delete`` (a start point, not an action) and
    a file named ``-rf`` reaches ``rm`` as a file. Use it for every path given to ``find``,
    ``ls``, ``tar``, ``du``, ``stat``, ``rm``, ``test``, ``tail``…, and put it after ``--``
    where the tool takes one (``find`` takes none before its start points: the prefix is
    what keeps it a path there). A leading ``~`` is not expanded here: callers resolve it
    against the host's home first. Raises ValueError for an empty path or a NUL byte.
    """
    if not isinstance(path, str):
        raise ValueError(f"a path must be text, not {type(path).__name__}")
    if not path:
        raise ValueError("an empty path names nothing")
    if "\0" in path:
        raise ValueError(f"the path {path!r} contains a NUL byte")
    return path if path.startswith("/") else f"./{path}"
