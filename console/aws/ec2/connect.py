"""How to reach an EC2 instance from the user's terminal: ``ssh -i ~/.ssh/KEY.pem -t USER@IP``.

The user name and Jupyter port come from the ``[instances]`` table of the config file
(``ssh_user = "ubuntu"``, ``jupyter_port = 8888``, ``key_dir = "~/.ssh"``): Deep Learning AMIs
on Ubuntu log in as ``ubuntu``, Amazon Linux ones as ``ec2-user``. The key is the instance's
key pair name as ``<key_dir>/<name>.pem`` when that file exists; otherwise ssh's own
configuration (agent, ``IdentityFile``) decides.

With ``--demo`` every instance is this machine rooted in a sandbox folder, so the "shell" is
a local login shell started in that folder (no ssh to an address that does not exist).
Everything here is pure: it builds argument lists, it runs nothing.
"""

from __future__ import annotations

import os

from console.errors import HostConfigError
from console.hosts.interactive import (
    SshOptions,
    local_shell_argv,
    port_forward_argv,
    shell_argv,
)
from console.models import Instance
from console.settings import InstancesSettings

DEFAULT_SSH_USER = "ubuntu"


def key_path(settings: InstancesSettings, key_name: str) -> str:
    """Where the private key of EC2 key pair ``key_name`` is looked for."""
    return os.path.join(os.path.expanduser(settings.key_dir), f"{key_name}.pem")


def _ssh_options(instance: Instance, settings: InstancesSettings) -> tuple[SshOptions, list[str]]:
    if instance.state != "running":
        raise HostConfigError(f"{instance.name or instance.id} is {instance.state}, not running.")
    if not instance.public_ip:
        raise HostConfigError(
            f"{instance.name or instance.id} has no public IP address.",
            hint="Reach it through a bastion with ProxyJump in ~/.ssh/config.",
        )
    identity: list[str] = []
    if instance.key_name:
        path = key_path(settings, instance.key_name)
        if os.path.isfile(path):
            identity = ["-i", path]
    return SshOptions(target=f"{settings.ssh_user}@{instance.public_ip}"), identity


def _with_identity(argv: list[str], identity: list[str]) -> list[str]:
    # ``ssh -i KEY …``: the option goes right after the program, before ``--``
    return [argv[0], *identity, *argv[1:]]


def instance_shell_argv(instance: Instance, settings: InstancesSettings) -> list[str]:
    """``ssh [-i ~/.ssh/KEY.pem] -t -- USER@PUBLIC_IP``. Raises HostConfigError when the
    instance is not running or has no public address."""
    options, identity = _ssh_options(instance, settings)
    return _with_identity(shell_argv(options), identity)


def instance_jupyter_argv(instance: Instance, settings: InstancesSettings) -> list[str]:
    """``ssh [-i KEY] -N -o ExitOnForwardFailure=yes -L 127.0.0.1:PORT:localhost:PORT --
    USER@IP``: the notebook is reachable from this machine only."""
    options, identity = _ssh_options(instance, settings)
    return _with_identity(port_forward_argv(options, settings.jupyter_port), identity)


def sandbox_shell_argv(home: str) -> list[str]:
    """The demo's shell: a login shell on this machine in the instance's sandbox folder."""
    return local_shell_argv(home)
