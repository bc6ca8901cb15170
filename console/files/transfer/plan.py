"""Which files a copy writes, and where: a file, or every file below a folder, each under
a name the destination admits (the rest are refused, with their reasons)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from console.files.paths import UnsafeName, name_parts
from console.files.transfer.endpoints import Endpoint, EntryKind
from console.files.transfer.endpoints.base import Refuse
from console.files.transfer.errors import TransferError


@dataclass(frozen=True)
class FilePlan:
    """One file to copy: where it is read, where it goes, and what it is."""

    source: str
    destination: str
    size: int
    mode: int = 0o644
    #: the source's modification time (part of the resume key: a changed source never
    #: resumes into an old partial file)
    mtime: float = 0.0
    #: for a file inside a copied folder: the destination folder and the file's name below
    #: it, which came from outside and is checked where it is written (None: a file the
    #: user named)
    root: str | None = None
    rel: str | None = None


def basename(path: str) -> str:
    """The last name of ``path`` (a trailing ``/`` ignored)."""
    return posixpath.basename(path.rstrip("/")) or path


def check_own_name(source: Endpoint, name: str) -> None:
    """A file or folder copied *into* a folder keeps its name: that name must be one plain
    name (``s3://b/x/..`` would land above the destination). Raises TransferError."""
    try:
        parts = name_parts(name)
    except UnsafeName as exc:
        raise TransferError(
            f"{source.label()} cannot be copied into a folder under its name: {exc.reason}."
        ) from exc
    if len(parts) != 1:
        raise TransferError(f"{source.label()} has no name of its own to copy it under.")


def plan_copy(
    source: Endpoint,
    destination: Endpoint,
    *,
    recursive: bool,
    into: bool,
    refuse: Refuse,
) -> list[FilePlan]:
    """The files to copy from ``source.path`` to ``destination.path``. ``into``: the
    destination was written with a trailing ``/`` (copy into that folder). Names that
    ``refuse`` receives are skipped.

    Raises TransferError: a missing source, a folder without ``recursive``, a source that is
    neither file nor folder, a destination folder that does not exist, a file where a
    folder is needed, a source with no name of its own to copy into a folder.
    """
    found = source.stat(source.path)
    if found is None:
        raise TransferError(f"{source.label()} does not exist.")
    target = destination.stat(destination.path)
    into_folder = (target is not None and target.kind is EntryKind.FOLDER) or into
    if found.kind is EntryKind.FOLDER:
        if not recursive:
            raise TransferError(f"{source.label()} is a folder: use -r to copy it whole.")
        return _plan_folder(source, destination, target, into_folder, refuse)
    if found.kind is not EntryKind.FILE:
        raise TransferError(f"{source.label()} is not a regular file.")
    name = basename(source.path)
    if into_folder:
        check_own_name(source, name)
    final = destination.join(name) if into_folder else destination.path
    if into_folder and target is None and destination.has_folders:
        raise TransferError(f"The destination folder {destination.label()} does not exist.")
    return [FilePlan(source.path, final, found.size, found.mode, found.mtime)]


def _plan_folder(
    source: Endpoint, destination: Endpoint, target, into_folder: bool, refuse: Refuse
) -> list[FilePlan]:
    # a bucket's root (s3://BUCKET/) is named by its bucket, as a folder by its own name
    name = basename(source.path) if source.path.strip("/") else getattr(source, "bucket", "")
    # a side without folders (S3) takes a trailing "/" alone as "into"
    inside = into_folder and (target is not None or not destination.has_folders)
    if inside:
        check_own_name(source, name)
    root = destination.join(name) if inside else destination.path
    if target is not None and target.kind is not EntryKind.FOLDER:
        raise TransferError(f"{destination.label()} exists and is not a folder.")
    plans = []
    for listed in source.walk(source.path, refuse):
        try:
            parts = name_parts(listed.name)
        except UnsafeName as exc:
            refuse(listed.name, exc.reason)
            continue
        # the source is read under its own name; the copy is written under the checked
        # one ("./" segments dropped)
        clean = "/".join(parts)
        plans.append(
            FilePlan(
                source.join(*listed.name.split("/")), destination.child(root, clean),
                listed.size, listed.mode, listed.mtime, root=root, rel=clean,
            )
        )  # fmt: skip
    refused = destination.admit(root, [plan.rel for plan in plans])
    for index, reason in refused.items():
        refuse(plans[index].rel, reason)
    return [plan for index, plan in enumerate(plans) if index not in refused]
