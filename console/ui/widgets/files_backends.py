"""The Files view's way to its backends: counts, unpacking, the transfer engine and the mount
clients of a host, built on what ``services`` exposes (hosts by name, the shared S3 client)
and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from console.files.count import CountError, FileCounter
from console.hosts.base import Host

if TYPE_CHECKING:  # the UI reaches backends only through the object it is given
    from console.services import Services


def s3_client_of(services: Services) -> Any:
    """The services' shared S3 client (blocking: creating it reads the service model).

    Raises CountError when the S3 backend offers no client (S3 locations cannot be used).
    """
    client = getattr(services.s3, "client", None)
    if not callable(client):
        raise CountError("This console's S3 backend offers no client: S3 prefixes cannot be used.")
    return client()


def counter_for(services: Services) -> FileCounter:
    """A FileCounter reaching hosts and S3 through ``services`` (the CLI's ``count`` twin)."""
    return FileCounter(host_for=services.hosts.host_for, s3_client=lambda: s3_client_of(services))


def transfer_engine_for(services: Services) -> Any:
    """The transfer queue engine of ``awsconsole cp`` on these services.

    Imported here, on first use: the engine's S3 side loads boto3, which the UI must not
    load merely by being imported.
    """
    from console.files.transfer import engine_for

    return engine_for(services)


@dataclass(frozen=True, slots=True)
class MountTools:
    """What a host offers for S3 mounts: the two FUSE clients and the FUSE device."""

    s3fs: bool
    mount_s3: bool
    fuse: bool
    #: the device looked for (``/dev/fuse``)
    fuse_device: str = "/dev/fuse"

    @property
    def client(self) -> bool:
        return self.s3fs or self.mount_s3


def mount_tools_of(
    host: Host, *, s3fs_binary: str, mount_s3_binary: str, fuse_device: str = "/dev/fuse"
) -> MountTools:
    """Which mount clients ``host`` has (``s3fs --version``, ``mount-s3 --version``: exit 127
    means not installed) and whether it has FUSE (``test -c /dev/fuse``).

    Raises HostError subclasses when the host cannot be reached.
    """

    def installed(binary: str) -> bool:
        return host.run([binary, "--version"], timeout=30).exit_code != 127

    return MountTools(
        s3fs=installed(s3fs_binary),
        mount_s3=installed(mount_s3_binary),
        fuse=host.run(["test", "-c", fuse_device], timeout=30).ok,
        fuse_device=fuse_device,
    )
