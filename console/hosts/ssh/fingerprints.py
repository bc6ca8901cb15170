"""Host key fingerprints as OpenSSH prints them, and the ones an EC2 instance's console
output lists. Pure text work, without paramiko: the EC2 backend reads instance consoles
with it and must not pay for the SSH library."""

from __future__ import annotations

import base64
import hashlib
import re


def fingerprint(key_base64: str) -> str:
    """The SHA256 fingerprint of a public key, the text ``ssh-keygen -lf`` prints.

    ``ssh-keygen -lf key.pub`` shows ``256 SHA256:abc… comment (ED25519)``; this returns the
    ``SHA256:abc…`` part: unpadded base64 of the SHA-256 of the key blob.
    """
    digest = hashlib.sha256(base64.b64decode(key_base64)).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


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
