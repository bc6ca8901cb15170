"""The nvidia-smi parser against every recording of real machines in tests/data/nvidia-smi/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from console import gpu
from console.gpu.fields import SAMPLE_ATTRS
from console.models import GpuSample, GpuStatus

DATA = Path(__file__).resolve().parents[1] / "data" / "nvidia-smi"
QUERY_FILES = sorted(DATA.glob("query-gpu_*.txt"))
APPS_FILES = sorted(DATA.glob("compute-apps_*.txt"))
TABLE_FILES = sorted(DATA.glob("table_*.txt"))


def recorded_fields(path: Path) -> list[str]:
    """The field list of the recording's ``# cmd:`` line."""
    cmd = path.read_text(encoding="utf-8").splitlines()[0]
    return re.search(r"--query-(?:gpu|compute-apps)=\"?([^\" ]+)", cmd).group(1).split(",")


def data_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


# rows (GPU lines) each recording holds, counted by hand from the files
EXPECTED_ROWS = {
    "query-gpu_2gb-card_noheader_nounits_NA.txt": 1,
    "query-gpu_2gb-card_noheader_nounits_NotSupported.txt": 1,
    "query-gpu_3gpu_440.64_power-draw_noheader_nounits.txt": 3,
    "query-gpu_a100-sxm4-40gb_x8_mig_noheader.txt": 8,
    "query-gpu_gtx1650super_530.41.03_loop.txt": 5,
    "query-gpu_h100-80gb-hbm3_590.48.01_load.txt": 1,
    "query-gpu_h100-80gb-hbm3_580.159.04_fields.txt": 1,
    "query-gpu_h100-80gb-hbm3_580.159.04_header.txt": 1,
    "query-gpu_h100-80gb-hbm3_580.159.04_stream_lms500.txt": 7,
    "query-gpu_l40s_595.80_load.txt": 1,
    "query-gpu_rtx2060_460.91.03.txt": 1,
    "query-gpu_rtx2080super_465.27_linux_wide.txt": 1,
    "query-gpu_rtx2080super_windows_610.62_load.txt": 1,
    "query-gpu_tesla-p100-pcie-16gb_nounits.txt": 1,
    "query-gpu_synthetic_4gpu_unknown-values.txt": 8,
    "query-gpu_synthetic_2gpu_a10g_idle.txt": 6,
    "query-gpu_synthetic_8gpu_a100_training.txt": 16,
}


def test_every_query_recording_is_listed():
    assert {p.name for p in QUERY_FILES} == set(EXPECTED_ROWS)


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.name)
def test_query_recording_parses_into_one_sample_per_row(path):
    samples, other = gpu.parse_query_gpu(path.read_text(encoding="utf-8"), recorded_fields(path))
    assert other == []
    assert len(samples) == EXPECTED_ROWS[path.name]
    assert all(isinstance(s, GpuSample) for s in samples)


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.name)
def test_every_unknown_cell_is_none_and_every_number_is_kept(path):
    """Cell by cell: an unknown marker in a field we read becomes None (never 0); a number
    becomes that number, whatever unit the recording printed."""
    text = path.read_text(encoding="utf-8")
    parsed = gpu.parse_csv(text, recorded_fields(path), free_field="name")
    samples, _ = gpu.parse_query_gpu(text, recorded_fields(path))
    checked = 0
    for row, sample in zip(parsed.rows, samples, strict=True):
        for field, cell in zip(parsed.fields, row, strict=True):
            spec = SAMPLE_ATTRS.get(field)
            if spec is None:
                continue
            attr, kind = spec
            value = getattr(sample, attr)
            checked += 1
            if gpu.is_unknown(cell):
                assert value is None, (field, cell)
            elif kind == "float":
                assert value == float(cell.split()[0]), (field, cell)
            elif kind == "text":
                assert value == cell.strip()
    assert checked > 0


def test_h100_values():
    path = DATA / "query-gpu_h100-80gb-hbm3_590.48.01_load.txt"
    [h100], _ = gpu.parse_query_gpu(path.read_text(), recorded_fields(path))
    assert h100.name == "NVIDIA H100 80GB HBM3"
    assert h100.index == 0
    assert h100.driver_version == "590.48.01"
    assert h100.utilization_gpu == 100.0
    assert (h100.memory_used_mib, h100.memory_total_mib) == (19818.0, 81559.0)
    assert h100.temperature_c == 59.0
    assert h100.power_limit_w == 700.0
    assert h100.clock_sm_mhz == 1980.0
    assert h100.fan_percent is None  # "[N/A]" on a passively cooled card: unknown, not 0 %


def test_h100_recorded_here_in_every_form_agrees():
    """The recordings made with bench/gpu_device_check.py on a real H100 (driver 580.159.04):
    the same GPU read from the monitor's own query, from the query with header and units,
    and from the plain table gives the same values; the fan is unknown, not 0."""
    stem = "h100-80gb-hbm3_580.159.04"
    plain = DATA / f"query-gpu_{stem}_fields.txt"
    with_units = DATA / f"query-gpu_{stem}_header.txt"
    [a], _ = gpu.parse_query_gpu(plain.read_text(), recorded_fields(plain))
    [b], _ = gpu.parse_query_gpu(with_units.read_text(), recorded_fields(with_units))
    assert a.uuid == b.uuid == "GPU-2a561c9e-a440-da81-5d1e-240492aac01f"
    assert a.name == b.name == "NVIDIA H100 80GB HBM3"
    assert a.driver_version == b.driver_version == "580.159.04"
    assert a.memory_total_mib == b.memory_total_mib == 81559.0
    assert a.power_limit_w == b.power_limit_w == 700.0
    assert (a.memory_used_mib, a.temperature_c, a.power_draw_w, a.pstate) == (1161.0, 37.0, 98.58, "P0")
    assert (b.memory_used_mib, b.power_draw_w, b.clock_sm_mhz) == (1171.0, 100.12, 1980.0)
    assert a.fan_percent is None and b.fan_percent is None
    table = gpu.parse_table((DATA / f"table_{stem}.txt").read_text())
    assert table.gpus[0].memory_total_mib == 81559.0
    assert table.gpus[0].fan_percent is None


def test_h100_stream_recorded_here_is_read_frame_by_frame():
    """The -lms 500 stream as the real nvidia-smi printed it (no header with noheader): one
    sample per line, memory rising as the training process loaded its model."""
    path = DATA / "query-gpu_h100-80gb-hbm3_580.159.04_stream_lms500.txt"
    samples, other = gpu.parse_query_gpu(path.read_text(), gpu.STREAM_FIELDS)
    assert other == []
    assert [s.memory_used_mib for s in samples] == [1171.0, 1375.0, 1595.0, 2207.0, 2343.0, 2553.0, 3435.0]
    assert all(s.index == 0 and s.fan_percent is None and s.clock_sm_mhz == 1980.0 for s in samples)


def test_h100_process_recorded_here():
    path = DATA / "compute-apps_h100-80gb-hbm3_580.159.04_header.txt"
    [proc], _ = gpu.parse_compute_apps(path.read_text(), recorded_fields(path))
    assert (proc.pid, proc.process_name, proc.used_memory_mib) == (481, "python3", 1162.0)
    assert proc.gpu_uuid == "GPU-2a561c9e-a440-da81-5d1e-240492aac01f"


@pytest.mark.parametrize(
    "name",
    [
        "query-gpu_2gb-card_noheader_nounits_NA.txt",
        "query-gpu_2gb-card_noheader_nounits_NotSupported.txt",
    ],
)
def test_fan_not_reported_is_unknown_not_zero(name):
    path = DATA / name
    [card], _ = gpu.parse_query_gpu(path.read_text(), recorded_fields(path))
    assert card.fan_percent is None
    assert card.memory_total_mib == 2004.0
    assert card.utilization_gpu == 0.0  # a real 0 stays 0


def test_alias_header_names_map_to_the_same_attribute():
    # asked as gpu_name / clocks.current.graphics, answered in the header as name / …
    path = DATA / "query-gpu_rtx2060_460.91.03.txt"
    [card], _ = gpu.parse_query_gpu(path.read_text(), recorded_fields(path))
    assert card.name == "GeForce RTX 2060"
    assert card.utilization_gpu == 20.0
    assert card.memory_used_mib == 682.0


def test_loop_recording_with_units_gives_five_samples():
    path = DATA / "query-gpu_gtx1650super_530.41.03_loop.txt"
    samples, _ = gpu.parse_query_gpu(path.read_text(), recorded_fields(path))
    assert [s.utilization_gpu for s in samples] == [24.0, 18.0, 42.0, 17.0, 21.0]
    assert [s.clock_sm_mhz for s in samples] == [660.0, 420.0, 720.0, 720.0, 480.0]


def test_synthetic_unknowns_cover_each_marker():
    path = DATA / "query-gpu_synthetic_4gpu_unknown-values.txt"
    samples, _ = gpu.parse_query_gpu(path.read_text(), recorded_fields(path))
    t0 = samples[:4]
    assert t0[1].utilization_gpu is None  # [Not Supported]
    assert t0[1].power_draw_w is None  # [Unknown Error]
    assert t0[2].clock_sm_mhz is None and t0[2].power_limit_w is None  # [Function Not Found]
    assert t0[2].temperature_c is None  # bare N/A
    assert t0[2].fan_percent is None  # empty
    assert t0[3].fan_percent is None  # deprecated
    assert t0[2].utilization_gpu == 0.0


@pytest.mark.parametrize(
    "raw",
    [
        "[N/A]",
        "[Not Supported]",
        "[Function Not Found]",
        "[Unknown Error]",
        "",
        "  ",
        "N/A",
        "[Requested functionality has been deprecated]",
        "[Insufficient Permissions]",
    ],
)
def test_unknown_markers_read_as_none(raw):
    assert gpu.parse_number(raw) is None
    assert gpu.parse_text(raw) is None


@pytest.mark.parametrize(
    "raw,value", [("0", 0.0), (" 42 ", 42.0), ("631.95 W", 631.95), ("100 %", 100.0)]
)
def test_numbers_with_and_without_units(raw, value):
    assert gpu.parse_number(raw) == value


def test_garbage_number_is_unknown_not_a_crash():
    assert gpu.parse_number("0x233010DE") is None
    assert gpu.parse_int("1.5") is None


# --- compute apps ---------------------------------------------------------------------------

EXPECTED_APPS = {
    "compute-apps_h100-80gb-hbm3_590.48.01_idle_empty.txt": 0,
    "compute-apps_h100-80gb-hbm3_590.48.01_load.txt": 3,
    "compute-apps_h100-80gb-hbm3_580.159.04.txt": 1,
    "compute-apps_h100-80gb-hbm3_580.159.04_header.txt": 1,
    "compute-apps_rtx2080super_windows_591.86_load.txt": len(
        data_lines(DATA / "compute-apps_rtx2080super_windows_591.86_load.txt")
    )
    - 1,
    "compute-apps_rtx4080super_595.71.05_load.txt": 3,
    "compute-apps_vgpu_gpu_uuid_name.txt": 3,
}


@pytest.mark.parametrize("path", APPS_FILES, ids=lambda p: p.name)
def test_compute_apps_recordings(path):
    processes, other = gpu.parse_compute_apps(
        path.read_text(encoding="utf-8"), recorded_fields(path)
    )
    assert other == []
    assert len(processes) == EXPECTED_APPS[path.name]


def test_compute_apps_values_and_unknown_memory():
    path = DATA / "compute-apps_h100-80gb-hbm3_590.48.01_load.txt"
    processes, _ = gpu.parse_compute_apps(path.read_text(), recorded_fields(path))
    assert [(p.pid, p.process_name, p.used_memory_mib) for p in processes] == [
        (11327, "/root/tools/memhog", 2566.0),
        (11328, "/root/tools/memhog", 1542.0),
        (11345, "./gpu_burn", 15690.0),
    ]
    windows = DATA / "compute-apps_rtx2080super_windows_591.86_load.txt"
    processes, _ = gpu.parse_compute_apps(windows.read_text(), recorded_fields(windows))
    assert all(p.used_memory_mib is None for p in processes)
    assert any(p.process_name == r"C:\Program Files\NZXT CAM\NZXT CAM.exe" for p in processes)


def test_compute_apps_alias_name_is_process_name():
    path = DATA / "compute-apps_vgpu_gpu_uuid_name.txt"
    processes, _ = gpu.parse_compute_apps(path.read_text(), recorded_fields(path))
    assert {p.process_name for p in processes} == {"vgpu"}
    assert processes[0].gpu_uuid == "GPU-d0180485-9584-433c-6782-c335d5df2cb3"
    assert processes[0].pid is None  # not asked for: unknown


def test_process_name_holding_comma_space_stays_whole():
    line = "GPU-1, 42, 100, C:\\Games\\Hello, World\\run.exe"
    processes, other = gpu.parse_compute_apps(line, gpu.APPS_FIELDS)
    assert other == []
    assert processes[0].process_name == "C:\\Games\\Hello, World\\run.exe"
    assert processes[0].used_memory_mib == 100.0


# --- plain tables -------------------------------------------------------------------------

EXPECTED_TABLES = {
    "table_grid-k520_346.46_no_running_processes.txt": ("346.46", None, 1),
    "table_gtx1080ti_x2_440.82_docker_empty_processes.txt": ("440.82", "10.2", 2),
    "table_gtx1080ti_x8_390.25_processes.txt": ("390.25", None, 8),
    "table_h100-80gb-hbm3_590.48.01_load_processes.txt": ("590.48.01", "13.1", 1),
    "table_h100-80gb-hbm3_580.159.04.txt": ("580.159.04", "13.0", 1),
    "table_h100-mig_590.48.01_load.txt": ("590.48.01", "13.1", 1),
    "table_rtx2080super_windows_610.62_load.txt": ("610.62", "13.3", 1),
}


@pytest.mark.parametrize("path", TABLE_FILES, ids=lambda p: p.name)
def test_tables_are_recognised_with_versions_and_gpus(path):
    text = path.read_text(encoding="utf-8")
    assert gpu.looks_like_table(text)
    summary = gpu.parse_table(text)
    driver, cuda, count = EXPECTED_TABLES[path.name]
    assert (summary.driver_version, summary.cuda_version, len(summary.gpus)) == (
        driver,
        cuda,
        count,
    )
    # and a table is not mistaken for CSV rows
    samples, _ = gpu.parse_query_gpu(text)
    assert samples == []


def test_table_values_and_mig_utilisation_unknown():
    h100 = gpu.parse_table((DATA / "table_h100-80gb-hbm3_590.48.01_load_processes.txt").read_text())
    assert h100.gpus[0].utilization_gpu == 100.0
    assert h100.gpus[0].memory_used_mib == 19818.0
    assert h100.gpus[0].fan_percent is None  # "N/A" in the table
    mig = gpu.parse_table((DATA / "table_h100-mig_590.48.01_load.txt").read_text())
    assert mig.gpus[0].utilization_gpu is None
    k520 = gpu.parse_table((DATA / "table_grid-k520_346.46_no_running_processes.txt").read_text())
    assert k520.gpus[0].name == "GRID K520"


# --- error texts ------------------------------------------------------------------------------


def error_blocks() -> list[tuple[int, str]]:
    """(section number, text) for each report in errors.txt, the user's prompt line removed."""
    blocks: list[tuple[int, str]] = []
    section, current = 0, None
    for line in (DATA / "errors.txt").read_text(encoding="utf-8").splitlines():
        heading = re.match(r"#+ (\d+)\. ", line)
        if heading:
            section = int(heading[1])
            continue
        if line.startswith("# source:"):
            current = [section, []]
            blocks.append(current)  # type: ignore[arg-type]
            continue
        if line.startswith("#") or current is None or not line.strip():
            continue
        if line.strip() in ("$ nvidia-smi", "# nvidia-smi", "nvidia-smi"):
            continue
        current[1].append(line)
    return [(s, "\n".join(lines)) for s, lines in blocks]


SECTION_STATUS = {
    1: GpuStatus.NO_DRIVER,
    2: GpuStatus.NO_NVIDIA_SMI,
    3: GpuStatus.NO_NVIDIA_SMI,
    4: GpuStatus.NO_NVIDIA_SMI,
    5: GpuStatus.NO_NVIDIA_SMI,
    6: GpuStatus.DRIVER_MISMATCH,
    7: GpuStatus.NO_DEVICES,
}


def test_errors_file_has_every_section():
    assert {s for s, _ in error_blocks()} == set(SECTION_STATUS)


@pytest.mark.parametrize("section,text", error_blocks())
def test_error_texts_become_states(section, text):
    # exit 1, not 127: the words alone must say what is wrong
    state = gpu.classify_failure(text, 1, "gpu-box")
    assert state.status is SECTION_STATUS[section]
    assert "gpu-box" in state.message
    assert state.detail == text.strip()


def test_exit_127_is_missing_binary_whatever_the_text():
    assert gpu.classify_failure("", 127).status is GpuStatus.NO_NVIDIA_SMI


def test_unknown_failure_keeps_the_words():
    state = gpu.classify_failure(
        "Unable to determine the device handle for GPU0000:01:00.0: GPU is lost", 15
    )
    assert state.status is GpuStatus.ERROR
    assert "GPU is lost" in state.detail
