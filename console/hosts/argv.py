"""Checks every host applies to an argument list and an environment before running it."""

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
