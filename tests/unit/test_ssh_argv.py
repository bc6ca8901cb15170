"""The ``ssh`` command lines the console starts: transfer streams carry nothing but bytes,
the Jupyter tunnel listens on loopback only, the interactive shell keeps the user's choices.

Each argument list is also handed to OpenSSH's own ``ssh -G`` with a config that asks for
the opposite (agent and X11 forwarding, a LocalForward, GatewayPorts), so what is checked is
what ssh would really do, not only which words are in the list.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from console.aws.ec2.connect import instance_jupyter_argv
from console.files.transfer.ssh_streams import ssh_argv as transfer_argv
from console.hosts.interactive import SshOptions, port_forward_argv, shell_argv
from console.hosts.ssh.host import ConnectionPool, SshHost
from console.models import Instance, InstanceState
from console.settings import InstancesSettings

pytestmark = pytest.mark.skipif(shutil.which("ssh") is None, reason="OpenSSH's client is missing")

#: a user's config that forwards everything it can
GENEROUS = """\
Host box
    HostName 127.0.0.1
    Port 2222
    ForwardAgent yes
    ForwardX11 yes
    RequestTTY force
    GatewayPorts yes
    LocalForward 127.0.0.1:15999 localhost:22
    DynamicForward 15998
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "ssh_config"
    path.write_text(GENEROUS)
    return path


def effective(argv: list[str]) -> dict[str, list[str]]:
    """What ``ssh`` would use for ``argv``: the same options through ``ssh -G``, which
    prints the configuration and connects nowhere. The remote command is left off."""
    assert argv[0] == "ssh"
    destination = argv.index("--") + 1
    probe = ["ssh", "-G", *argv[1 : destination + 1]]
    output = subprocess.run(
        probe, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True
    ).stdout
    found: dict[str, list[str]] = {}
    for line in output.splitlines():
        key, _, value = line.partition(" ")
        found.setdefault(key.lower(), []).append(value)
    return found


def options_before_destination(argv: list[str]) -> list[str]:
    return argv[: argv.index("--")]


def test_transfer_streams_clear_every_forwarding_the_config_asks_for(config: Path):
    host = SshHost("box", config_path=str(config), pool=ConnectionPool())
    argv = transfer_argv(host, ["python3", "-c", "pass"])
    head = options_before_destination(argv)
    for option in (
        "ClearAllForwardings=yes",
        "ForwardAgent=no",
        "ForwardX11=no",
        "RequestTTY=no",
        "BatchMode=yes",
    ):
        assert head[head.index(option) - 1] == "-o", option
    ssh = effective(argv)
    assert ssh["clearallforwardings"] == ["yes"]
    assert ssh["forwardagent"] == ["no"]
    assert ssh["forwardx11"] == ["no"]
    assert ssh["requesttty"] == ["false"]  # ssh -G words "no" this way
    # the config's LocalForward and DynamicForward are gone
    assert "localforward" not in ssh and "dynamicforward" not in ssh
    # the remote command is one quoted word after the destination
    assert argv[-2:] == ["box", "python3 -c pass"]


def test_interactive_shell_keeps_the_users_forwarding_choices(config: Path):
    argv = shell_argv(SshOptions("box", config_path=str(config)))
    assert argv == ["ssh", "-F", str(config), "-t", "--", "box"]
    ssh = effective(argv)
    assert ssh["forwardagent"] == ["yes"]
    assert ssh["forwardx11"] == ["yes"]
    assert ssh["clearallforwardings"] == ["no"]
    assert ssh["localforward"] == ["[127.0.0.1]:15999 [localhost]:22"]
    assert ssh["dynamicforward"] == ["15998"]


def test_jupyter_tunnel_listens_on_loopback_even_with_gateway_ports(config: Path):
    argv = port_forward_argv(SshOptions("box", config_path=str(config)), 8888)
    assert argv[argv.index("-L") + 1] == "127.0.0.1:8888:localhost:8888"
    ssh = effective(argv)
    assert ssh["gatewayports"] == ["yes"]
    # without an address ssh -G prints "[8888] …": bound where GatewayPorts says (everywhere)
    tunnel = [line for line in ssh["localforward"] if line.endswith(":8888")]
    assert tunnel == ["[127.0.0.1]:8888 [localhost]:8888"]


def test_instance_jupyter_tunnel_binds_loopback_by_name():
    instance = Instance(
        "i-0abc", "gpu", "g5.xlarge", InstanceState.RUNNING, public_ip="203.0.113.5"
    )
    argv = instance_jupyter_argv(instance, InstancesSettings(jupyter_port=8890))
    assert argv[argv.index("-L") + 1] == "127.0.0.1:8890:localhost:8890"
    assert "ClearAllForwardings=yes" not in argv  # it would drop the tunnel itself
