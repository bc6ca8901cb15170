"""One error tree for everything the UI may have to show.

Backends translate botocore, paramiko and OS errors into these at their boundary, so the UI
only ever catches ``ConsoleError`` and shows ``title`` and ``message`` (and ``hint`` when the
user can do something about it).
"""

from __future__ import annotations

import shlex


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
    type and its SHA256 fingerprint (the same text ``ssh-keygen -lf`` prints), and where an
    accepted key goes: ``known_hosts_path`` (hashed as ``HashKnownHosts`` says). ``acceptable``
    is False when the config says ``StrictHostKeyChecking yes`` (ssh itself never asks then).
    ``ssh_command`` is the ``ssh`` line that asks the same question in a terminal.
    """

    title = "Unknown SSH host key"

    def __init__(
        self,
        hostname: str,
        key_type: str,
        fingerprint: str,
        key_base64: str,
        *,
        known_hosts_path: str | None = None,
        hashed: bool = False,
        acceptable: bool = True,
        ssh_command: str | None = None,
    ):
        super().__init__(
            f"The host {hostname} presented an unknown {key_type} key {fingerprint}; "
            "it is not trusted yet."
        )
        self.hostname = hostname
        self.key_type = key_type
        self.fingerprint = fingerprint
        self.key_base64 = key_base64
        self.known_hosts_path = known_hosts_path
        self.hashed = hashed
        self.acceptable = acceptable
        self.ssh_command = ssh_command

    @property
    def hint(self) -> str:  # type: ignore[override]
        where = f" to {self.known_hosts_path}" if self.known_hosts_path else ""
        if not self.acceptable:
            return (
                "The ssh config says StrictHostKeyChecking yes: compare the fingerprint with "
                f"the one the host printed, then add its key{where} yourself."
            )
        how = (
            f"run `{self.ssh_command}` and answer yes"
            if self.ssh_command
            else "accept it in the console"
        )
        return (
            "Compare it with the fingerprint the instance printed in its console output; "
            f"if they match, {how} (the key is added{where})."
        )

    @hint.setter
    def hint(self, value: str | None) -> None:
        # ConsoleError.__init__ assigns one; this error words its hint from its own fields
        pass


class ChangedHostKeyError(HostKeyError):
    """The host presented a key different from the one in known_hosts: refused."""

    title = "SSH host key changed"

    def __init__(
        self,
        hostname: str,
        key_type: str,
        fingerprint: str,
        known_fingerprint: str,
        *,
        known_hosts_path: str | None = None,
    ):
        remove = shlex.join(
            ["ssh-keygen", "-R", hostname, *(["-f", known_hosts_path] if known_hosts_path else [])]
        )
        super().__init__(
            f"The {key_type} key of {hostname} has changed: it is now {fingerprint}, "
            f"known_hosts has {known_fingerprint}. The connection was refused.",
            hint=f"If the instance was replaced, remove the old key with `{remove}`; "
            "otherwise someone may be intercepting the connection.",
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


# --- features -------------------------------------------------------------------------------


class CountError(ConsoleError):
    """A count could not be made: the path is missing, unreadable, or not a location."""

    title = "Count"


class UnpackError(ConsoleError):
    """The unpack could not start (no such folder, destination not writable) or died."""

    title = "Unpack"


class LogError(ConsoleError):
    title = "Log"


class MountError(ConsoleError):
    """A mount, listing or unmount failed."""

    title = "Mount"


class MountToolMissingError(MountError):
    """Neither s3fs nor mount-s3 is installed on the host."""

    title = "s3fs missing"


class FuseUnavailableError(MountError):
    """The host has no /dev/fuse (a container without it, a kernel without FUSE)."""

    title = "FUSE unavailable"


class MountpointError(MountError):
    """The mountpoint is missing, not a folder, not empty, or (for unmount) not a mount."""

    title = "Mountpoint"


class JobError(ConsoleError):
    title = "Job"


class JobNotFoundError(JobError):
    title = "No such job"
