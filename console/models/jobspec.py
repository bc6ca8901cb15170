"""A job's spec as people write it: ``NAME=value`` lines, and ``[templates."NAME"]`` tables
of the config file. Pure parsing, shared by the new-job form, ``awsconsole run`` and the
jobs backend."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from console.errors import JobError
from console.models.jobs import JobSpec

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def parse_env(pairs: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``["K=V", ...]`` -> pairs. Raises JobError naming a pair without ``=`` or a bad name."""
    out = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise JobError(f"Environment variable {pair!r} has no '=': write it as NAME=value.")
        out.append((key, value))
    check_env(out)
    return tuple(out)


def check_env(env: Iterable[tuple[str, str]]) -> None:
    """Raises JobError for a name a shell would not take, or a value with a NUL byte."""
    for key, value in env:
        if not _ENV_NAME.match(key):
            raise JobError(f"{key!r} is not a valid environment variable name.")
        if "\0" in value:
            raise JobError(f"The value of {key} contains a NUL byte.")


def template_spec(templates: Mapping[str, Any], name: str) -> JobSpec:
    """The JobSpec of a ``[templates."NAME"]`` table of the config file.

    A template has ``command`` (a list of arguments, or one string split like a shell
    would), and optionally ``cwd``, ``env`` (a table) and ``name``. Raises JobError naming
    the template when it is missing or malformed.
    """
    table = templates.get(name)
    if not isinstance(table, Mapping):
        known = ", ".join(sorted(templates)) or "none"
        raise JobError(f"No job template {name!r} in the config file (known: {known}).")
    command = table.get("command")
    if isinstance(command, str):
        command = shlex.split(command)
    if not isinstance(command, list) or not command or not all(isinstance(a, str) for a in command):
        raise JobError(f"Job template {name!r}: 'command' must be a non-empty list of strings.")
    env = table.get("env", {})
    if not isinstance(env, Mapping):
        raise JobError(f"Job template {name!r}: 'env' must be a table.")
    pairs = tuple((str(k), str(v)) for k, v in env.items())
    check_env(pairs)
    return JobSpec(
        command=tuple(command),
        name=str(table.get("name", name)),
        cwd=str(table.get("cwd", "~")),
        env=pairs,
    )
