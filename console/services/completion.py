"""What a typed field completes with: the hosts one can name, and the names in a folder.

``HostCompletion`` is the ``CompletionBackend`` of the services bundle. Both calls block
(EC2, the ssh config, a folder on a host): the UI calls them from its own threads
(``console.ui.common.completion``), caches the answers for a few seconds and never waits on
them while typing. Nothing here changes anything.
"""

from __future__ import annotations

import os
import posixpath
from typing import TYPE_CHECKING, Any

from console.errors import ConsoleError
from console.hosts.aliases import ssh_aliases, usable_name
from console.models import FileKind, FolderEntry, InstanceState
from console.services.bundle import unguarded

if TYPE_CHECKING:
    from console.services import Services

LOCAL = "local"
#: symbolic links of one folder looked through to tell a link to a folder (two round trips
#: each over SFTP); the others complete as files
MAX_LINKS_RESOLVED = 32


class HostCompletion:
    """``CompletionBackend``: host names from EC2, the ssh config and the settings; folder
    listings through the bundle's hosts (SFTP for an SSH host) or, for this machine as the
    console sees it, ``os.scandir``."""

    def __init__(self, services: Services):
        self._services = services

    def host_names(self) -> list[str]:
        names = [LOCAL]
        for instance in self._running_instances():
            names += [instance.name, instance.id]
        hosts = self._services.hosts
        names += ssh_aliases(getattr(hosts, "config_path", None))
        names += list(self._services.settings.jobs.hosts)
        return [name for name in dict.fromkeys(names) if name and usable_name(name)]

    def _running_instances(self) -> list[Any]:
        services = self._services
        if unguarded(services, "ec2") is None:  # assembled without AWS
            return []
        try:
            instances = services.ec2.list_instances()
        except ConsoleError:  # no credentials, no endpoint: the other names still come
            return []
        return [i for i in instances if i.state is InstanceState.RUNNING]

    def list_folder(self, host: str | None, folder: str) -> list[FolderEntry]:
        if host is None:
            return _scan_here(folder)
        target = self._services.hosts.host_for(host)
        entries = target.listdir(folder or ".")
        found: list[FolderEntry] = []
        links = 0
        for entry in entries:
            is_dir = entry.kind is FileKind.DIRECTORY
            if entry.kind is FileKind.SYMLINK and links < MAX_LINKS_RESOLVED:
                links += 1
                try:
                    is_dir = target.stat(target.realpath(entry.path)).kind is FileKind.DIRECTORY
                except ConsoleError:
                    is_dir = False  # a dangling link completes as a name
            found.append(FolderEntry(entry.name, is_dir))
        return found


def _scan_here(folder: str) -> list[FolderEntry]:
    """The folder on this machine as the console's own process sees it: relative to its
    working folder, ``~`` expanded. Raises ConsoleError when it cannot be read."""
    path = os.path.expanduser(folder or ".")
    try:
        with os.scandir(path) as entries:
            return sorted(
                (FolderEntry(entry.name, _is_dir(entry)) for entry in entries),
                key=lambda entry: entry.name,
            )
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConsoleError(f"Cannot list {posixpath.normpath(path)}: {reason}") from exc


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows a link, as a shell's completion does
    except OSError:
        return False
