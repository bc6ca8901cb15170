"""Argument lists for the user's own terminal: ssh shell, tmux attach, Jupyter port-forward."""

from __future__ import annotations

import shlex

import pytest

from console.errors import HostConfigError
from console.hosts.interactive import (
    SshOptions,
    local_shell_argv,
    port_forward_argv,
    remote_command_argv,
    shell_argv,
    tmux_attach_argv,
)

DEFAULTS = SshOptions("gpu")
CUSTOM = SshOptions("gpu", config_path="/cfg/ssh_config", known_hosts_path="/cfg/known_hosts")


def test_shell_with_default_files_is_plain_ssh_t():
    assert shell_argv(DEFAULTS) == ["ssh", "-t", "--", "gpu"]


def test_non_default_config_and_known_hosts_are_passed_on():
    assert shell_argv(CUSTOM) == [
        "ssh",
        "-F",
        "/cfg/ssh_config",
        "-o",
        "UserKnownHostsFile=/cfg/known_hosts",
        "-t",
        "--",
        "gpu",
    ]


def test_user_and_port_of_a_direct_target_become_ssh_options():
    assert shell_argv(SshOptions("ubuntu@10.0.0.7:2222")) == [
        "ssh",
        "-t",
        "-p",
        "2222",
        "--",
        "ubuntu@10.0.0.7",
    ]


def test_tmux_attach_quotes_the_session_as_one_remote_word():
    argv = tmux_attach_argv(DEFAULTS, "train; rm -rf ~", socket_name="awsconsole")
    assert argv[:4] == ["ssh", "-t", "--", "gpu"]
    assert len(argv) == 5
    assert shlex.split(argv[4]) == [
        "tmux",
        "-L",
        "awsconsole",
        "attach-session",
        "-t",
        "=train; rm -rf ~",
    ]


def test_tmux_attach_on_this_machine_needs_no_ssh():
    assert tmux_attach_argv(None, "job-1") == ["tmux", "attach-session", "-t", "=job-1"]


def test_port_forward_defaults_to_jupyter_8888():
    assert port_forward_argv(DEFAULTS) == [
        "ssh",
        "-N",
        "-o",
        "ExitOnForwardFailure=yes",
        "-L",
        "127.0.0.1:8888:localhost:8888",
        "--",
        "gpu",
    ]


def test_port_forward_with_other_ports_keeps_the_destination_last():
    argv = port_forward_argv(SshOptions("u@h:2200", config_path="/c"), 9999, 8888)
    assert argv[-4:] == ["-p", "2200", "--", "u@h"]
    assert "127.0.0.1:9999:localhost:8888" in argv
    assert argv[1:3] == ["-F", "/c"]


@pytest.mark.parametrize("port", [0, 70000])
def test_port_forward_rejects_bad_ports(port: int):
    with pytest.raises(ValueError):
        port_forward_argv(DEFAULTS, port)


@pytest.mark.parametrize("target", ["-oProxyCommand=touch /tmp/x", "two words", ""])
def test_a_target_can_never_become_an_ssh_option(target: str):
    with pytest.raises(HostConfigError):
        shell_argv(SshOptions(target))


def test_remote_command_is_one_quoted_word():
    argv = remote_command_argv(DEFAULTS, ["tail", "-F", "my log.txt"])
    assert argv[-1] == "tail -F 'my log.txt'"


def test_options_for_a_host_read_its_settings():
    class FakeSshHost:  # the attributes an SshHost has
        target_spec = "gpu"
        config_path = "/c"
        known_hosts_path = "/home/u/.ssh/known_hosts"
        known_hosts_explicit = False

    options = SshOptions.for_host(FakeSshHost())
    assert options == SshOptions("gpu", config_path="/c", known_hosts_path=None)
    with pytest.raises(HostConfigError):
        SshOptions.for_host(object())


def test_local_shell_passes_the_folder_as_an_argument():
    argv = local_shell_argv("/sandbox/$(touch x)")
    assert argv[-1] == "/sandbox/$(touch x)"
    assert "/sandbox" not in argv[2]
