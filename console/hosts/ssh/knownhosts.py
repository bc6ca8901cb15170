"""known_hosts: the fingerprints a person compares, and adding a key they accepted.

Checking a presented key against the file is paramiko's job (``SSHClient`` with the file
loaded as system host keys and a policy that refuses unknown keys, see ``ssh.py``); this
module holds what paramiko does not offer: OpenSSH's fingerprint text and the append that
runs after the user said yes.
"""

from __future__ import annotations

import os
import threading

from paramiko.hostkeys import HostKeys

from console.errors import HostConfigError, UnknownHostKeyError
from console.hosts.ssh.fingerprints import (  # noqa: F401 - offered here too
    console_fingerprints,
    console_host_keys,
    fingerprint,
)

# Appends from several threads (two hosts accepted at once) must not interleave lines.
_append_lock = threading.Lock()


def known_hosts_name(hostname: str, port: int) -> str:
    """The name OpenSSH files a host under: ``host`` on port 22, ``[host]:port`` otherwise."""
    return hostname if port == 22 else f"[{hostname}]:{port}"


def add_known_host(
    path: str,
    hostname: str,
    key_type: str,
    key_base64: str,
    *,
    hashed: bool = False,
) -> None:
    """Append ``hostname key_type key_base64`` to the known_hosts file at ``path``.

    The shell equivalent is ``echo "HOST TYPE KEY" >> ~/.ssh/known_hosts``. With ``hashed``
    the host name is stored the way ``HashKnownHosts yes`` does (``|1|salt|hash``), so the
    file does not list where the user connects; plain is the default because it lets a
    person read which host a line belongs to, and ``ssh-keygen -R`` handles both.
    A missing parent directory is created with mode 0700 and a missing file with 0600, as
    ssh does for ~/.ssh; the same key already on file is not added twice.

    Raises HostConfigError when the file cannot be written.
    """
    if any(ch.isspace() for ch in hostname + key_type + key_base64):
        raise HostConfigError(f"Refusing to add a known_hosts entry with whitespace: {hostname!r}")
    name = HostKeys.hash_host(hostname) if hashed else hostname
    line = f"{name} {key_type} {key_base64}\n"
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
        with _append_lock:
            if _already_there(path, hostname, key_type, key_base64):
                return  # accepted twice (two views asked at once): one line is enough
            # 0600 for a new file, as ssh creates it; an existing file keeps its mode
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            with open(descriptor, "a+b") as handle:
                # A file whose last line lacks a newline would glue our entry onto it.
                handle.seek(0, os.SEEK_END)
                if handle.tell() > 0:
                    handle.seek(-1, os.SEEK_END)
                    if handle.read(1) != b"\n":
                        handle.write(b"\n")
                handle.write(line.encode("ascii"))
    except OSError as exc:
        raise HostConfigError(f"Cannot add {hostname} to {path}: {exc.strerror}") from exc


def _already_there(path: str, hostname: str, key_type: str, key_base64: str) -> bool:
    if not os.path.exists(path):
        return False
    try:
        known = HostKeys(path).lookup(hostname)
    except Exception:  # noqa: BLE001 - a line paramiko cannot parse: append all the same
        return False
    return known is not None and key_type in known and known[key_type].get_base64() == key_base64


def trust_host_key(
    error: UnknownHostKeyError, path: str | None = None, hashed: bool = False
) -> None:
    """Add the key of ``error`` to known_hosts once the user compared its fingerprint and
    said yes: to the file that was checked (``error.known_hosts_path``, hashed as that
    host's config says), else to ``path``. Raises HostConfigError when the config forbids it
    (``StrictHostKeyChecking yes``) or the file cannot be written."""
    if not error.acceptable:
        raise HostConfigError(error.message, hint=error.hint)
    target = error.known_hosts_path or path
    if target is None:
        raise HostConfigError(f"No known_hosts file to add {error.hostname} to.")
    hashed = error.hashed if error.known_hosts_path else hashed
    add_known_host(target, error.hostname, error.key_type, error.key_base64, hashed=hashed)


# --- an EC2 instance's console output ----------------------------------------------------
