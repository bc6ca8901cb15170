"""The ``Host`` names of the user's ssh config, for a host field to complete.

Only names a person could type as a target: a ``Host`` line's patterns with ``*``, ``?`` or a
leading ``!`` are skipped (``Host *``, ``Host gpu-*``, ``Host !bastion``), as are names with
characters no target has (blanks, controls). ``Match`` blocks name no host and give nothing.

``Include`` is followed as ssh follows it: every argument a file or a glob, ``~`` expanded,
a relative one taken from ``~/.ssh`` (ssh's rule for the user's config, whichever file that
is), up to 16 levels deep, each file once. The system-wide ``/etc/ssh/ssh_config`` is not
read: it is the machine's, not the user's list of hosts. A file that cannot be read gives no
names; nothing here raises and nothing connects. Pure Python, no paramiko: a host field
completes without loading the SSH layer.
"""

from __future__ import annotations

import glob
import os
import shlex
import unicodedata

DEFAULT_CONFIG_PATH = "~/.ssh/config"
#: how deep Includes nest before ssh gives up (its READCONF_MAX_DEPTH)
MAX_INCLUDE_DEPTH = 16
#: a config bigger than this is not a config
MAX_FILE_BYTES = 4 * 1024 * 1024
#: characters that make a Host pattern a pattern
PATTERN_MARKS = frozenset("*?!")


def ssh_aliases(config_path: str | None = None, *, ssh_dir: str = "~/.ssh") -> list[str]:
    """The aliases of ``config_path`` (default ``~/.ssh/config``) and the files it includes,
    in the order they are written, without repeats."""
    names: list[str] = []
    seen_files: set[str] = set()
    _read(os.path.expanduser(config_path or DEFAULT_CONFIG_PATH), os.path.expanduser(ssh_dir),
          names, seen_files, depth=0)  # fmt: skip
    return list(dict.fromkeys(names))


def usable_name(name: str) -> bool:
    """Whether ``name`` can be typed as a target: no blanks, no control or format
    characters, no leading ``-`` (ssh would read an option), no pattern characters."""
    if not name or name.startswith("-") or PATTERN_MARKS & set(name) or "," in name:
        return False
    return not any(
        char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in name
    )


def _read(path: str, ssh_dir: str, names: list[str], seen: set[str], *, depth: int) -> None:
    if depth > MAX_INCLUDE_DEPTH:
        return
    real = os.path.realpath(path)
    if real in seen:
        return
    seen.add(real)
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError:
        return
    if len(data) > MAX_FILE_BYTES:
        return
    for line in data.decode("utf-8", errors="replace").splitlines():
        keyword, arguments = _split(line)
        if keyword == "host":
            names.extend(name for name in arguments if usable_name(name))
        elif keyword == "include":
            for argument in arguments:
                for included in _expand_include(argument, ssh_dir):
                    _read(included, ssh_dir, names, seen, depth=depth + 1)


def _split(line: str) -> tuple[str, list[str]]:
    """``Keyword args…`` or ``Keyword=args…`` as ssh reads it: the keyword lower-cased, the
    arguments split like words with quotes; ("", []) for a comment, a blank or a line that
    cannot be split."""
    text = line.strip()
    if not text or text.startswith("#"):
        return "", []
    head = 0
    while head < len(text) and not (text[head].isspace() or text[head] == "="):
        head += 1
    keyword, rest = text[:head], text[head:].lstrip()
    if rest.startswith("="):
        rest = rest[1:]
    try:
        arguments = shlex.split(rest, comments=True)
    except ValueError:
        return "", []
    return keyword.lower(), arguments


def _expand_include(argument: str, ssh_dir: str) -> list[str]:
    """The files an ``Include`` argument names, sorted as ssh's glob sorts them."""
    path = os.path.expanduser(argument)
    if not os.path.isabs(path):
        path = os.path.join(ssh_dir, path)
    return sorted(glob.glob(path))
