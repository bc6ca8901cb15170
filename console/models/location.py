"""Where a file operation points: a path on this machine, ``HOST:path`` or ``s3://bucket/key``.

One reading for every command and view that takes a location (``cp``, ``count``, ``unpack``,
the Files view), so the same text always means the same place. The rules, in order:

1. ``s3://bucket/key`` (the scheme in any case) is S3; ``s3://bucket`` is the whole bucket.
2. ``[addr]:path`` is an IPv6 host, as scp writes it.
3. ``NAME:path`` is a host when NAME stands before the first ``/`` — scp's rule, so
   ``./a:b`` and ``/x/a:b`` are local paths. ``HOST:`` alone means the host's home.
4. Anything else is a local path, taken verbatim (spaces, quotes and ``$(…)`` are just
   characters: every command that carries a path quotes it).

Two texts that scp would read as a host are refused instead, because no host can be meant:
a NAME with characters no ssh alias has (``my file: v2.txt``), and a Windows drive path
(``C:\\data``). Each error says how to write the local file of that name (``./…``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from console.errors import ConsoleError, MountError

__all__ = [
    "Location",
    "LocationError",
    "LocationKind",
    "parse_location",
    "parse_s3_url",
    "path_on_host",
]

S3_SCHEME = "s3://"
#: what an ssh alias, a DNS name, an IPv4 address, an instance id or ``user@host`` is made of
_HOST_NAME = re.compile(r"[A-Za-z0-9_.@+-]+")
#: S3 bucket names (the legacy rules allow capitals and underscores)
_BUCKET_NAME = re.compile(r"[A-Za-z0-9._-]+")
#: ``C:\…`` — one drive letter, a colon, a backslash
_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:\\")


class LocationError(ConsoleError):
    """A text that names no location: empty, a bucket-less ``s3://``, a host name that
    cannot be one."""

    title = "Location"


class LocationKind(StrEnum):
    LOCAL = "local"
    HOST = "host"
    S3 = "s3"


@dataclass(frozen=True)
class Location:
    """One place: ``kind`` says which of ``path`` (always), ``host`` or ``bucket`` apply.

    For S3 ``path`` is the key or prefix (no leading ``/``); for a host it is the path on
    the host (``~`` when the text gave none); for this machine it is the text as typed.
    """

    kind: str
    path: str
    host: str | None = None
    bucket: str | None = None

    def __str__(self) -> str:
        if self.kind == LocationKind.S3:
            return f"{S3_SCHEME}{self.bucket}/{self.path}"
        if self.kind == LocationKind.HOST:
            host = f"[{self.host}]" if self.host and ":" in self.host else self.host
            return f"{host}:{self.path}"
        return self.path


def parse_location(text: str, *, error: type[ConsoleError] = LocationError) -> Location:
    """Read a location (rules in the module docstring).

    Raises ``error`` (LocationError unless the caller names its own ConsoleError subclass,
    as ``count`` and ``cp`` do) for an empty text, an S3 URL without a valid bucket, a
    Windows drive path or a host part that no host name can be.
    """
    if not text or not text.strip():
        raise error("No location given: write a path, HOST:path or s3://bucket/key.")
    if text[: len(S3_SCHEME)].lower() == S3_SCHEME:
        return _parse_s3(text, error)
    if text.startswith("["):
        address, bracket, rest = text[1:].partition("]")
        if bracket and rest.startswith(":") and address:
            return Location(LocationKind.HOST, rest[1:] or "~", host=address)
    if _WINDOWS_DRIVE.match(text):
        raise error(
            f"{text!r} looks like a Windows drive path; this machine has none. "
            f"For a local file of that name write ./{text}, for a host HOST:path."
        )
    head, colon, tail = text.partition(":")
    if not colon or "/" in head:
        return Location(LocationKind.LOCAL, text)
    if not head:
        raise error(f"{text!r} names no host before its ':'. For a local file write ./{text}.")
    if not _HOST_NAME.fullmatch(head):
        raise error(
            f"{head!r} cannot be a host name (in {text!r}). "
            f"For a local file of that name write ./{text}."
        )
    return Location(LocationKind.HOST, tail or "~", host=head)


def path_on_host(
    text: str, host: str, *, field: str, error: type[ConsoleError] = LocationError
) -> str:
    """The path ``text`` names on ``host``, for a field whose path must lie on the host the
    work runs on (an unpack's destination): a plain path, or ``HOST:path`` naming that same
    host. Another host or an S3 location is refused with ``error``, never taken as a local
    folder of that literal name (``fashion-train:~`` would otherwise become one).
    """
    where = parse_location(text, error=error)
    if where.kind == LocationKind.LOCAL or (where.kind == LocationKind.HOST and where.host == host):
        return where.path
    other = f"the S3 location {where}" if where.kind == LocationKind.S3 else f"host {where.host!r}"
    raise error(
        f"{field} {text!r} is on {other}, but this runs on {host!r}: write a path there "
        f"(DIR or {host}:DIR)."
    )


def _parse_s3(text: str, error: type[ConsoleError]) -> Location:
    bucket, _, key = text[len(S3_SCHEME) :].partition("/")
    if not bucket:
        raise error(f"{text!r} names no bucket (expected s3://bucket/key).")
    if not _BUCKET_NAME.fullmatch(bucket):
        raise error(f"{bucket!r} is not a valid S3 bucket name (in {text!r}).")
    return Location(LocationKind.S3, key, bucket=bucket)


#: a bucket name as S3 allows it for a mount (older regions also allowed capitals and underscores): it
#: starts with a letter or digit, so s3fs and mount-s3 can never read it as an option
MOUNTABLE_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket[/prefix]`` → (bucket, prefix without slashes at either end).

    Raises MountError for another scheme, a missing or impossible bucket name, or a NUL."""
    if not url.startswith("s3://"):
        raise MountError(f"{url!r} is not an S3 location: write s3://bucket[/prefix].")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not bucket:
        raise MountError(f"{url!r} names no bucket: write s3://bucket[/prefix].")
    if not MOUNTABLE_BUCKET.fullmatch(bucket):
        raise MountError(
            f"{bucket!r} is not a bucket name: letters, digits, '.', '-' and '_', starting "
            "with a letter or a digit."
        )
    if "\0" in prefix:
        raise MountError(f"{url!r} holds a NUL byte.")
    return bucket, prefix.strip("/")
