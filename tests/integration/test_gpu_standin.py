"""The stand-in nvidia-smi (tests/data/bin/nvidia-smi) answers like the real one (configured
with ``make_standin`` from tests/fixtures/nvidia_smi.py)."""

from __future__ import annotations

import os
import subprocess

from tests.fixtures.nvidia_smi import invocations, make_standin


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, **kwargs)


def test_answers_exactly_the_fields_asked_in_order(standin_dir):
    smi = make_standin(standin_dir)
    out = run(
        [
            str(smi),
            "--query-gpu=memory.total,index,fan.speed,clocks.sm",
            "--format=csv,noheader,nounits",
        ]
    )
    assert out.returncode == 0
    assert out.stdout == "81559, 0, [N/A], 1980\n"


def test_header_keeps_units_and_units_follow_the_format(standin_dir):
    smi = make_standin(standin_dir)
    with_units = run([str(smi), "--query-gpu=utilization.gpu,memory.used", "--format=csv"]).stdout
    assert with_units.splitlines() == ["utilization.gpu [%], memory.used [MiB]", "100 %, 19818 MiB"]
    no_units = run(
        [str(smi), "--query-gpu=utilization.gpu,memory.used", "--format=csv,nounits"]
    ).stdout
    assert no_units.splitlines() == ["utilization.gpu [%], memory.used [MiB]", "100, 19818"]


def test_loop_keeps_printing_recorded_ticks_until_killed(standin_dir):
    smi = make_standin(standin_dir, query_gpu="query-gpu_gtx1650super_530.41.03_loop.txt")
    process = subprocess.Popen(
        [str(smi), "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits", "-lms", "10"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [process.stdout.readline().strip() for _ in range(12)]
        assert process.poll() is None  # still running
    finally:
        process.kill()
        process.wait()
    assert lines == ["24", "18", "42", "17", "21"] * 2 + ["24", "18"]


def test_scenarios_print_the_real_texts(standin_dir):
    smi = make_standin(standin_dir, scenario="no-devices")
    out = run([str(smi), "--query-gpu=index", "--format=csv"])
    assert (out.returncode, out.stdout) == (6, "No devices were found\n")


def test_environment_overrides_the_json_and_log_counts_runs(standin_dir):
    log = standin_dir / "calls.log"
    smi = make_standin(standin_dir, log=str(log))
    env = dict(os.environ, NVIDIA_SMI_SCENARIO="no-driver")
    out = run([str(smi)], env=env)
    assert out.returncode == 9 and "couldn't communicate" in out.stdout
    assert invocations(log) == [[]]


def test_plain_table(standin_dir):
    smi = make_standin(standin_dir, table="table_gtx1080ti_x8_390.25_processes.txt")
    out = run([str(smi)])
    assert "Driver Version: 390.25" in out.stdout
    assert "# cmd" not in out.stdout
