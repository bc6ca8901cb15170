"""The Files view's way to its backends: counts and the transfer queue of the services'
files backend (which refuses, while the console is read-only, every copy that changes
something), and the mount clients of a host."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from console.hosts.base import Host

if TYPE_CHECKING:  # the UI reaches backends only through the object it is given
    from console.services import FilesBackend, Services, TransferQueue


def counter_for(services: Services) -> FilesBackend:
    """Counts of local paths, hosts and S3 through ``services`` (the CLI's ``count`` twin):
    ``count(location, options, …)`` and ``compare(locations, options, …)``."""
    return services.files


def transfer_engine_for(services: Services) -> TransferQueue:
    """The transfer queue of ``awsconsole cp`` on these services (blocking on first use:
    the engine's S3 side loads boto3)."""
    return services.files.transfers


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
