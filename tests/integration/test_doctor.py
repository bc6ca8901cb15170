"""The doctor on this machine (LocalHost) and through a real sshd, and ``awsconsole doctor``."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from console.commands import doctor as doctor_command
from console.doctor import Doctor, DoctorOptions, run_doctor
from console.errors import ConfigError
from console.hosts import HostPool
from console.hosts.local import LocalHost
from console.services import Services
from console.settings import Settings
from tests.fixtures.nvidia_smi import make_standin

VENV_PYTHON = sys.executable  # has torch (CPU-usable)
SYSTEM_PYTHON = "/usr/bin/python3"  # has no torch


def by_name(checks):
    return {c.name: c for c in checks}


def test_driver_and_cuda_from_nvidia_smi(standin_dir):
    smi = make_standin(standin_dir, table="table_gtx1080ti_x2_440.82_docker_empty_processes.txt")
    checks = by_name(Doctor(LocalHost(), DoctorOptions(nvidia_smi=str(smi))).nvidia())
    assert checks["NVIDIA driver"].ok and checks["NVIDIA driver"].found == "440.82 (2 GPUs)"
    assert checks["CUDA"].ok and checks["CUDA"].found == "10.2"


def test_old_driver_without_cuda_version_fails_cuda(standin_dir):
    smi = make_standin(standin_dir, table="table_gtx1080ti_x8_390.25_processes.txt")
    checks = by_name(Doctor(LocalHost(), DoctorOptions(nvidia_smi=str(smi))).nvidia())
    assert checks["NVIDIA driver"].ok
    assert not checks["CUDA"].ok and checks["CUDA"].hint


@pytest.mark.parametrize(
    "scenario,words",
    [
        ("no-driver", "reboot"),
        ("driver-mismatch", "reboot the instance"),
        ("no-devices", "no NVIDIA GPU"),
    ],
)
def test_driver_failures_have_hints(standin_dir, scenario, words):
    smi = make_standin(standin_dir, scenario=scenario)
    driver = by_name(Doctor(LocalHost(), DoctorOptions(nvidia_smi=str(smi))).nvidia())[
        "NVIDIA driver"
    ]
    assert not driver.ok
    assert words in driver.hint + driver.found


def test_missing_nvidia_smi(standin_dir):
    driver = Doctor(LocalHost(), DoctorOptions(nvidia_smi="nvidia-smi")).nvidia()[0]
    assert shutil.which("nvidia-smi") is None, "this check needs a machine without nvidia-smi"
    assert not driver.ok and "not installed" in driver.found and "nvidia_smi" in driver.hint


def test_torch_found_and_cuda_not_available_here():
    expected = subprocess.run(
        [VENV_PYTHON, "-c", "import torch; print(torch.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    checks = by_name(Doctor(LocalHost(), DoctorOptions(python=VENV_PYTHON)).torch())
    assert checks["PyTorch"].ok and checks["PyTorch"].found == expected
    cuda = checks["torch.cuda.is_available()"]
    assert not cuda.ok  # no GPU on this machine
    assert cuda.found.startswith("False") and cuda.hint


def test_torch_missing_has_an_install_hint():
    checks = by_name(Doctor(LocalHost(), DoctorOptions(python=SYSTEM_PYTHON)).torch())
    assert not checks["PyTorch"].ok
    assert "No module named 'torch'" in checks["PyTorch"].found
    assert "pip install torch" in checks["PyTorch"].hint


def test_python_version_and_missing_python():
    doctor = Doctor(LocalHost(), DoctorOptions(python=SYSTEM_PYTHON))
    [python] = doctor.python()
    expected = subprocess.run([SYSTEM_PYTHON, "--version"], capture_output=True, text=True).stdout
    assert python.ok and python.found == expected.strip()
    [missing] = Doctor(LocalHost(), DoctorOptions(python="no-such-python3")).python()
    assert not missing.ok and "not found" in missing.found


def test_free_disk_against_statvfs(tmp_path):
    host = LocalHost("sandbox", home=tmp_path)
    [disk] = Doctor(host, DoctorOptions(min_free_gb=0.001)).disk()
    st = os.statvfs(tmp_path)
    free_gib = st.f_bavail * st.f_frsize / 1024**3
    assert disk.ok
    found = float(re.match(r"([\d.]+) GiB free", disk.found)[1])
    assert abs(found - free_gib) < 0.2  # df and statvfs a moment apart
    [full] = Doctor(host, DoctorOptions(min_free_gb=10**9)).disk()
    assert not full.ok and "EBS" in full.hint


def test_tools_match_what_is_installed(monkeypatch):
    monkeypatch.setenv("PATH", f"{Path(VENV_PYTHON).parent}:{os.environ['PATH']}")
    checks = by_name(run_doctor(LocalHost(), DoctorOptions(python=SYSTEM_PYTHON)))
    assert list(checks) == [
        "NVIDIA driver",
        "CUDA",
        "Python",
        "PyTorch",
        "torch.cuda.is_available()",
        "Free disk",
        "tmux",
        "s3fs or mount-s3",
        "AWS CLI",
    ]
    tmux_version = subprocess.run(["tmux", "-V"], capture_output=True, text=True).stdout.strip()
    assert checks["tmux"].ok and checks["tmux"].found == tmux_version
    has_s3_tool = bool(shutil.which("s3fs") or shutil.which("mount-s3"))
    assert checks["s3fs or mount-s3"].ok is has_s3_tool
    assert checks["AWS CLI"].ok is bool(shutil.which("aws"))
    assert checks["AWS CLI"].ok is False or checks["AWS CLI"].found.startswith("aws-cli/")


def test_missing_tools_fail_with_hints(monkeypatch, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    checks = by_name(run_doctor(LocalHost(), DoctorOptions(python=SYSTEM_PYTHON)))
    for name in ("tmux", "s3fs or mount-s3", "AWS CLI", "NVIDIA driver"):
        assert not checks[name].ok and checks[name].hint, name


def test_through_sshd(ssh_env, standin_dir):
    smi = make_standin(standin_dir)
    checks = by_name(run_doctor(ssh_env.host("testhost"), DoctorOptions(nvidia_smi=str(smi))))
    assert checks["NVIDIA driver"].ok and checks["NVIDIA driver"].found.startswith("590.48.01")
    assert checks["CUDA"].found == "13.1"
    assert checks["Python"].ok
    assert checks["tmux"].ok


# --- the command ------------------------------------------------------------------------------


def doctor(argv: list[str], config: str, tmp_path: Path) -> int:
    path = tmp_path / "config.toml"
    path.write_text(config)
    pool = HostPool()
    services = Services(Settings.load(path, environ={}), None, None, pool)  # type: ignore[arg-type]
    parser = argparse.ArgumentParser(prog="awsconsole")
    doctor_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["doctor", *argv])
    try:
        return args.func(args, services)
    finally:
        pool.close_all()


def test_command_json_and_exit_status(tmp_path, standin_dir, capsys):
    smi = make_standin(standin_dir)
    config = f'[gpu]\nnvidia_smi = "{smi}"\n[doctor]\npython = "{VENV_PYTHON}"\n'
    code = doctor(["local", "--json"], config, tmp_path)
    checks = json.loads(capsys.readouterr().out)
    assert {c["name"]: c["ok"] for c in checks}["NVIDIA driver"] is True
    assert {c["name"]: c["ok"] for c in checks}["torch.cuda.is_available()"] is False
    assert code == 1  # a failed check (no CUDA here) fails the command
    assert set(checks[0]) == {"name", "ok", "found", "hint"}


def test_command_table(tmp_path, standin_dir, capsys):
    smi = make_standin(standin_dir, scenario="no-driver")
    code = doctor(["local", "--python", SYSTEM_PYTHON], f'[gpu]\nnvidia_smi = "{smi}"\n', tmp_path)
    out = capsys.readouterr().out
    assert code == 1
    driver_line = next(line for line in out.splitlines() if "NVIDIA driver" in line)
    assert driver_line.startswith("FAIL") and "No NVIDIA driver" in driver_line
    assert re.search(r"^PASS\s+tmux", out, re.MULTILINE)


def test_command_bad_setting(tmp_path):
    with pytest.raises(ConfigError, match="min_free_gb"):
        doctor(["local"], '[doctor]\nmin_free_gb = "lots"\n', tmp_path)


def test_unreachable_host_raises_a_host_error(ssh_env):
    from console.errors import HostError

    with pytest.raises(HostError):
        run_doctor(ssh_env.host("nokey"))
