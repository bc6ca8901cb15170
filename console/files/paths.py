"""The one containment rule for every path built from a name that came from outside.

An S3 key, a line of a remote ``find`` listing, an archive entry: each may hold ``..``, a
leading ``/``, an empty segment or a NUL, written by someone who wants a file to land
outside the folder the user chose. Every writer asks ``contained_path(ROOT, NAME)`` for
the path to create and skips (and reports) the name when it raises ``UnsafeName``.

Standard library only, in the Python 3.6 subset: the remote helpers (``python3 -c`` on a
host) ship this file's text ahead of their own, so a host applies the very same rule.
"""

import os
import posixpath


class UnsafeName(ValueError):
    """A name refused by the containment rule; ``reason`` says why in a few words."""

    def __init__(self, name, reason):
        ValueError.__init__(self, f"{name!r}: {reason}")
        self.name = name
        self.reason = reason


def name_parts(name):
    """The segments of a relative ``/``-separated name, or UnsafeName.

    Refused: a NUL byte, an absolute path (``/x``, ``C:/x``, ``\\\\server``; ``C:x`` on
    Windows), an empty segment (``a//b``, a trailing ``/``), a ``..`` segment, and a name
    that names nothing.
    ``.`` segments are dropped: they cannot lead anywhere (``./img/a.jpg`` is how many tar
    files spell ``img/a.jpg``). Bytes are decoded with surrogateescape (any byte is kept).
    """
    if isinstance(name, bytes):
        name = name.decode("utf-8", "surrogateescape")
    if "\0" in name:
        raise UnsafeName(name, "a NUL byte in the name")
    if name.startswith("/") or name.startswith("\\"):
        raise UnsafeName(name, "an absolute path")
    if len(name) > 1 and name[1] == ":" and name[0].isalpha():
        # ``C:/x`` and ``C:`` name a drive anywhere; ``C:x`` only where drives exist (on
        # Linux ``a:b.txt`` is an ordinary file name, and tars of real data hold them)
        if name[2:3] in ("", "/", "\\") or os.name == "nt":
            raise UnsafeName(name, "an absolute path (a drive letter)")
    parts = []
    for part in name.split("/"):
        if part == "":
            raise UnsafeName(name, "an empty path segment")
        if part == "..":
            raise UnsafeName(name, "a '..' segment leads outside the destination")
        if part != ".":
            parts.append(part)
    if not parts:
        raise UnsafeName(name, "the name is empty")
    return parts


def link_parts(target):
    """``(ups, names)`` of a symlink's target text from outside, or UnsafeName.

    A link may climb from the folder it sits in (``ups`` leading ``..``) and then only
    descend (``names``). Refused: a NUL byte, an empty target, an absolute target, and a
    ``..`` after a name (``b/../x``): where that lands depends on what ``b`` is when the
    link is read, and a later link named ``b`` (``b -> .``) would carry it one level higher
    than it looked when it was written. Empty and ``.`` segments are dropped, as the file
    system drops them. The caller checks that ``ups`` does not climb above its root and
    that the descent, as it resolves on disk, stays inside.
    """
    if isinstance(target, bytes):
        target = target.decode("utf-8", "surrogateescape")
    if "\0" in target:
        raise UnsafeName(target, "a NUL byte in the link's target")
    if target == "":
        raise UnsafeName(target, "an empty link target")
    if target.startswith("/"):
        raise UnsafeName(target, "a link to an absolute path")
    parts = [part for part in target.split("/") if part not in ("", ".")]
    ups = 0
    while ups < len(parts) and parts[ups] == "..":
        ups += 1
    if ".." in parts[ups:]:
        raise UnsafeName(target, "a '..' after a name in the link's target")
    return ups, parts[ups:]


def is_inside(root, path, pathmod=os.path):
    """Whether ``path`` is ``root`` or below it (both already resolved)."""
    root = root.rstrip(pathmod.sep) or pathmod.sep
    if path == root:
        return True
    prefix = root if root.endswith(pathmod.sep) else root + pathmod.sep
    return path.startswith(prefix)


def contained_path(root, name, realpath=None, pathmod=os.path):
    """The path under ``root`` for the outside name ``name``; raises UnsafeName.

    Beyond ``name_parts``' rules, the folder the entry lands in is resolved the way the
    file system will resolve it (symlinks already on disk count, however the name is
    spelled) and must be ``root`` or below it. ``realpath`` resolves a path where the
    entry is written: ``os.path.realpath`` here, a host's own resolver for a remote folder
    (with ``pathmod=posixpath``). The final component is not followed: writers create a
    temporary name and rename it over the final one, which replaces a link instead of
    writing through it.
    """
    if realpath is None:
        realpath = os.path.realpath
    parts = name_parts(name)
    target = pathmod.join(root, *parts)
    parent = pathmod.dirname(target)
    real_root = realpath(root)
    if parent != root and not is_inside(real_root, realpath(parent), pathmod):
        raise UnsafeName(name, "a link on its path leads outside the destination")
    return target


def contained_remote_path(root, name, realpath):
    """``contained_path`` for a POSIX folder on a host (``realpath`` asks the host)."""
    return contained_path(root, name, realpath=realpath, pathmod=posixpath)
