"""One error tree for everything the UI may have to show.

Backends translate botocore, paramiko and OS errors into these at their boundary, so the UI
only ever catches ``ConsoleError`` and shows ``title`` and ``message`` (and ``hint`` when the
user can do something about it).
"""

from __future__ import annotations


class ConsoleError(Exception):
    """Base of every error the console shows to a person."""

    title = "Error"

    def __init__(self, message: str, *, title: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class ConfigError(ConsoleError):
    title = "Configuration"


class ReadOnlyError(ConsoleError):
    """A destructive action was asked for while the console runs with --read-only."""

    title = "Read-only"


# --- AWS -------------------------------------------------------------------------------


class AwsError(ConsoleError):
    title = "AWS"


class CredentialsError(AwsError):
    """No credentials, expired token, or credentials the endpoint rejects."""

    title = "AWS credentials"


class AccessDeniedError(AwsError):
    title = "Access denied"


class ThrottledError(AwsError):
    title = "AWS throttling"


class EndpointError(AwsError):
    """The endpoint cannot be reached (network, wrong URL, wrong region)."""

    title = "AWS endpoint"


class NotFoundError(AwsError):
    title = "Not found"


# --- Hosts -----------------------------------------------------------------------------


class HostError(ConsoleError):
    title = "Host"


class HostConfigError(HostError):
    """An ssh alias that does not resolve, a missing key file, a bad ProxyJump."""

    title = "SSH configuration"


class HostUnreachableError(HostError):
    title = "Host unreachable"


class AuthenticationError(HostError):
    title = "SSH authentication"


class HostKeyError(HostError):
    title = "SSH host key"


class UnknownHostKeyError(HostKeyError):
    """The host presented a key that is not in known_hosts.

    Carries what the UI needs to ask the user: the host as known_hosts names it, the key
    type and its SHA256 fingerprint (the same text ``ssh-keygen -lf`` prints).
    """

    title = "Unknown SSH host key"

    def __init__(self, hostname: str, key_type: str, fingerprint: str, key_base64: str):
        super().__init__(
            f"The host {hostname} presented an unknown {key_type} key {fingerprint}.",
            hint="Compare it with the fingerprint the instance printed in its console output, "
            "then accept it to add it to known_hosts.",
        )
        self.hostname = hostname
        self.key_type = key_type
        self.fingerprint = fingerprint
        self.key_base64 = key_base64


class ChangedHostKeyError(HostKeyError):
    """The host presented a key different from the one in known_hosts: refused."""

    title = "SSH host key changed"

    def __init__(self, hostname: str, key_type: str, fingerprint: str, known_fingerprint: str):
        super().__init__(
            f"The {key_type} key of {hostname} has changed: it is now {fingerprint}, "
            f"known_hosts has {known_fingerprint}. The connection was refused.",
            hint="If the instance was replaced, remove the old key with "
            f"`ssh-keygen -R {hostname}`; otherwise someone may be intercepting the connection.",
        )
        self.hostname = hostname
        self.key_type = key_type
        self.fingerprint = fingerprint
        self.known_fingerprint = known_fingerprint


class CommandTimeoutError(HostError):
    title = "Command timed out"


class RemoteFileError(HostError):
    """A file operation on a host failed (no such file, permission, disk full).

    ``errno`` is the OS error number when one is known (ENOENT: missing, ENOSPC: full).
    """

    title = "File"
    errno: int | None = None
