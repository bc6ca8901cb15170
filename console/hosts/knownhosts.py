"""known_hosts: the fingerprints a person compares, and adding a key they accepted.

Checking a presented key against the file is paramiko's job (``SSHClient`` with the file
loaded as system host keys and a policy that refuses unknown keys, see ``ssh.py``); this
module holds what paramiko does not offer: OpenSSH's fingerprint text and the append that
runs after the user said yes.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import threading

from paramiko.hostkeys import HostKeys

from console.errors import HostConfigError

# Appends from several threads (two hosts accepted at once) must not interleave lines.
_append_lock = threading.Lock()


def known_hosts_name(hostname: str, port: int) -> str:
    """The name OpenSSH files a host under: ``host`` on port 22, ``[host]:port`` otherwise."""
    return hostname if port == 22 else f"[{hostname}]:{port}"


def fingerprint(key_base64: str) -> str:
    """The SHA256 fingerprint of a public key, the text ``ssh-keygen -lf`` prints.

    ``ssh-keygen -lf key.pub`` shows ``256 SHA256:abc… comment (ED25519)``; this returns the
    ``SHA256:abc…`` part: unpadded base64 of the SHA-256 of the key blob.
    """
    digest = hashlib.sha256(base64.b64decode(key_base64)).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


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
    The parent directory is created with mode 0700 when missing (as ssh does for ~/.ssh).

    Raises HostConfigError when the file cannot be written.
    """
    if any(ch.isspace() for ch in hostname + key_type + key_base64):
        raise HostConfigError(f"Refusing to add a known_hosts entry with whitespace: {hostname!r}")
    name = HostKeys.hash_host(hostname) if hashed else hostname
    line = f"{name} {key_type} {key_base64}\n"
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
        with _append_lock, open(path, "a+b") as handle:
            # A file whose last line lacks a newline would glue our entry onto it.
            handle.seek(0, os.SEEK_END)
            if handle.tell() > 0:
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    handle.write(b"\n")
            handle.write(line.encode("ascii"))
    except OSError as exc:
        raise HostConfigError(f"Cannot add {hostname} to {path}: {exc.strerror}") from exc


# --- an EC2 instance's console output ----------------------------------------------------

_FINGERPRINT = re.compile(r"\b(SHA256:[A-Za-z0-9+/]{43})\b")
_PUBLIC_KEY = re.compile(
    r"\b(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)) (AAAA[A-Za-z0-9+/]+={0,2})"
)


def _block(text: str, name: str) -> list[str]:
    """The lines between ``-----BEGIN NAME-----`` and ``-----END NAME-----``."""
    lines: list[str] = []
    inside = False
    for line in text.splitlines():
        if f"-----BEGIN {name}-----" in line:
            inside, lines = True, []
        elif f"-----END {name}-----" in line:
            return lines
        elif inside:
            lines.append(line)
    return []


def console_fingerprints(console_output: str) -> set[str]:
    """The SHA256 host key fingerprints cloud-init printed to the instance console
    (``aws ec2 get-console-output``, the ``SSH HOST KEY FINGERPRINTS`` block), so a first
    connection's ``UnknownHostKeyError.fingerprint`` can be checked against them."""
    block = _block(console_output, "SSH HOST KEY FINGERPRINTS")
    return {match.group(1) for line in block for match in _FINGERPRINT.finditer(line)}


def console_host_keys(console_output: str) -> list[tuple[str, str]]:
    """(key type, base64) of each key in the console's ``SSH HOST KEY KEYS`` block."""
    block = _block(console_output, "SSH HOST KEY KEYS")
    return [match.groups() for line in block for match in _PUBLIC_KEY.finditer(line)]
