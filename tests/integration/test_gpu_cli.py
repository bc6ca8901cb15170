"""``awsconsole gpu HOST [--once] [--json]`` on this machine and through a real sshd."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from console.commands import gpu as gpu_command
from console.errors import ConfigError
from console.hosts import HostPool
from console.services import Services
from console.settings import Settings
from tests.fixtures.nvidia_smi import make_standin


def services_with(tmp_path: Path, config: str, ssh_env=None) -> Services:
    path = tmp_path / "config.toml"
    path.write_text(config)
    settings = Settings.load(path, environ={})
    pool = (
        HostPool(
            config_path=str(ssh_env.config_path), known_hosts_path=str(ssh_env.known_hosts_path)
        )
        if ssh_env
        else HostPool()
    )
    services = Services(settings=settings, ec2=None, s3=None, hosts=pool)  # type: ignore[arg-type]
    services.on_close.append(pool.close_all)
    return services


def gpu(argv: list[str], services: Services) -> int:
    parser = argparse.ArgumentParser(prog="awsconsole")
    gpu_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["gpu", *argv])
    try:
        return args.func(args, services)
    finally:
        services.close()


def config_for(smi: Path) -> str:
    return f'[gpu]\nnvidia_smi = "{smi}"\napps_interval_seconds = 0.1\n'


def test_once_prints_gpus_and_processes(tmp_path, standin_dir, capsys):
    smi = make_standin(standin_dir)
    code = gpu(["local", "--once"], services_with(tmp_path, config_for(smi)))
    out = capsys.readouterr().out
    assert code == 0
    assert "NVIDIA H100 80GB HBM3" in out
    assert "100 %" in out and "19818 / 81559 MiB" in out and "632 / 700 W" in out
    gpu_line = next(line for line in out.splitlines() if "H100" in line)
    assert gpu_line.rstrip().endswith("?")  # the fan: unknown, not 0 %
    assert "./gpu_burn" in out and "15690 MiB" in out


def test_once_json(tmp_path, standin_dir, capsys):
    smi = make_standin(standin_dir, query_gpu="query-gpu_synthetic_8gpu_a100_training.txt")
    code = gpu(["local", "--once", "--json"], services_with(tmp_path, config_for(smi)))
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["state"]["status"] == "ok"
    assert [g["index"] for g in data["gpus"]] == list(range(8))
    assert all(g["fan_percent"] is None for g in data["gpus"])
    assert len(data["processes"]) == 3


def test_no_driver_is_shown_plainly_with_exit_1(tmp_path, standin_dir, capsys):
    smi = make_standin(standin_dir, scenario="no-driver")
    code = gpu(["local", "--once"], services_with(tmp_path, config_for(smi)))
    out = capsys.readouterr().out
    assert code == 1
    assert "No NVIDIA driver is loaded on local." in out
    assert "couldn't communicate with the NVIDIA driver" in out


def test_streaming_json_over_ssh(tmp_path, standin_dir, capsys, ssh_env):
    smi = make_standin(standin_dir, query_gpu="query-gpu_gtx1650super_530.41.03_loop.txt")
    services = services_with(tmp_path, config_for(smi), ssh_env)
    code = gpu(["testhost", "--json", "--interval", "50", "--count", "4"], services)
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    frames = [json.loads(line) for line in lines]
    assert [f["host"] for f in frames] == ["testhost"] * 4
    # the probe's answer (the first recorded tick), then the stream's ticks in order
    assert [f["gpus"][0]["utilization_gpu"] for f in frames] == [24.0, 24.0, 18.0, 42.0]
    assert len(frames[0]["processes"]) == 3  # the first frame shown already has them


def test_streaming_text(tmp_path, standin_dir, capsys):
    smi = make_standin(standin_dir, query_gpu="query-gpu_synthetic_4gpu_unknown-values.txt")
    code = gpu(
        ["local", "--interval", "50", "--count", "2"], services_with(tmp_path, config_for(smi))
    )
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert len(lines) == 8  # 2 refreshes × 4 GPUs
    assert "gpu1  util ?" in lines[1]


def test_streaming_stops_on_a_state(tmp_path, standin_dir, capsys):
    smi = make_standin(standin_dir, scenario="no-devices")
    code = gpu(["local", "--count", "3"], services_with(tmp_path, config_for(smi)))
    assert code == 1
    assert "local has no NVIDIA GPU." in capsys.readouterr().out


@pytest.mark.parametrize(
    "config,word",
    [
        ('[gpu]\ninterval_ms = "fast"\n', "interval_ms"),
        ("[gpu]\ninterval_ms = 0\n", "interval_ms"),
        ("[gpu]\nnvidia_smi = 5\n", "nvidia_smi"),
        ("[gpu]\nrefresh = 5\n", "refresh"),
    ],
)
def test_bad_gpu_settings_name_the_key(tmp_path, config, word):
    with pytest.raises(ConfigError, match=word):
        gpu(["local", "--once"], services_with(tmp_path, config))


def test_bad_interval_flag(tmp_path):
    with pytest.raises(ConfigError, match="--interval"):
        gpu(["local", "--interval", "0"], services_with(tmp_path, ""))


def test_unreachable_host_is_a_state_with_exit_1(tmp_path, capsys, ssh_env):
    services = services_with(tmp_path, "", ssh_env)
    code = gpu(["awsc-test@127.0.0.1:1", "--once"], services)  # nothing listens on port 1
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("awsc-test@127.0.0.1:1: ")


def test_bad_alias_is_a_console_error(tmp_path, ssh_env):
    from console.errors import HostConfigError

    with pytest.raises(HostConfigError, match="nokey"):
        gpu(["nokey", "--once"], services_with(tmp_path, "", ssh_env))
