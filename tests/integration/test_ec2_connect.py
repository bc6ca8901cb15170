"""Which terminal command the Instances view runs: a sandbox shell with --demo, ssh otherwise."""

from __future__ import annotations

import subprocess

import pytest

from console.demo.services import DemoServices
from console.errors import HostConfigError
from console.hosts import HostPool
from console.hosts.local import LocalHost
from console.models import Instance, InstanceState
from console.services import Services
from console.settings import Settings

INSTANCE = Instance("i-0abc", "train", "g5.xlarge", InstanceState.RUNNING, public_ip="192.0.2.1")


def services_for(tmp_path, *, demo: bool) -> Services:
    sandbox = tmp_path / "sandbox" / "train"
    sandbox.mkdir(parents=True)
    hosts = HostPool(factory=lambda target: LocalHost(name=target, home=sandbox))
    if demo:
        return DemoServices(Settings(), ec2=None, s3=None, hosts=hosts, demo=object())
    return Services(Settings(), ec2=None, s3=None, hosts=hosts)


def test_demo_shell_is_a_local_shell_in_the_instance_sandbox(tmp_path):
    services = services_for(tmp_path, demo=True)
    argv = services.terminal_argv(INSTANCE, "shell")
    assert "ssh" not in argv[0]
    # run it for real, without a terminal: the shell starts in the sandbox folder
    result = subprocess.run(
        argv,
        input="pwd\n",
        capture_output=True,
        text=True,
        timeout=30,
        env={"SHELL": "/bin/sh", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "sandbox" / "train")
    with pytest.raises(HostConfigError, match="localhost"):
        services.terminal_argv(INSTANCE, "jupyter")


def test_real_account_shell_is_ssh_to_the_public_address(tmp_path):
    services = services_for(tmp_path, demo=False)
    argv = services.terminal_argv(INSTANCE, "shell")
    assert argv[0] == "ssh" and argv[-1] == "ubuntu@192.0.2.1"
    forward = services.terminal_argv(INSTANCE, "jupyter")
    assert forward[forward.index("-L") + 1] == "127.0.0.1:8888:localhost:8888"
