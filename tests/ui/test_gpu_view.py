"""The GPU view, driven with Pilot: the stand-in nvidia-smi (tests/data/bin) replays real
recordings on this machine, the host sampler reads this machine, EC2 is moto's server."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from console.app import make_app
from console.format.gpu import UNKNOWN
from console.hosts import LocalHost
from console.jobs.manager import DEFAULT_TMUX_SOCKET, JobManager
from console.models import GpuStatus, JobSpec
from console.settings import Settings
from console.ui.common.confirm import ConfirmScreen
from console.ui.gpu.device_list import GpuList
from console.ui.gpu.doctor import DoctorScreen
from console.ui.gpu.host_panel import HostPanel
from console.ui.gpu.processes import GpuProcessTable
from console.ui.gpu.view import GpuView
from console.ui.main_screen import MainScreen
from tests.fixtures.moto_server import instance_state, launch
from tests.fixtures.nvidia_smi import RECORDINGS, make_standin
from tests.fixtures.tmux_server import kill_tmux_server
from tests.ui.conftest import cell_texts, notifications, wait_until

pytestmark = pytest.mark.timeout(120)

H100 = "query-gpu_h100-80gb-hbm3_590.48.01_load.txt"
A100_X8 = "query-gpu_synthetic_8gpu_a100_training.txt"
IDLE_A10G = "query-gpu_synthetic_2gpu_a10g_idle.txt"
NO_APPS = "compute-apps_h100-80gb-hbm3_590.48.01_idle_empty.txt"


def recorded_rows(name: str) -> list[list[str]]:
    """The data rows of a recording, as cells (what the view must show)."""
    lines = (RECORDINGS / name).read_text().splitlines()
    return [line.split(", ") for line in lines if line.strip() and not line.startswith("#")]


def recorded_fields(name: str) -> list[str]:
    cmd = (RECORDINGS / name).read_text().splitlines()[0]
    return cmd.split("--query-gpu=")[1].split()[0].split(",")


@pytest.fixture
def gpu_settings(tmp_path, aws_endpoint, standin_dir):
    """Settings whose ``[gpu] nvidia_smi`` is the stand-in replaying ``recordings``."""

    def build(*, nvidia_smi: str | None = None, idle: str = "", **recordings: str) -> Settings:
        smi = nvidia_smi or str(make_standin(standin_dir, **recordings))
        config = tmp_path / "config.toml"
        config.write_text(
            f'[gpu]\nnvidia_smi = "{smi}"\ninterval_ms = 100\napps_interval_seconds = 0.2\n' + idle
        )
        return Settings.load(config, environ={}).with_overrides(
            endpoint_url=aws_endpoint, region="us-east-1", refresh_interval=0
        )

    return build


def gpu_view(app) -> GpuView:
    return app.screen.query_one(GpuView)


def state_text(app) -> str:
    return str(app.screen.query_one("#gpu-state").render())


def rows(app):
    return app.screen.query_one(GpuList).rows


def shown_rows(app, count: int) -> bool:
    return len(rows(app)) == count and all(row.texts for row in rows(app))


async def open_gpu_view(pilot) -> None:
    await pilot.press("4")
    await wait_until(
        pilot,
        lambda: isinstance(pilot.app.screen, MainScreen) and pilot.app.screen.query_one(GpuView),
    )


async def test_h100_recording_shows_its_numbers_and_processes(gpu_settings, make_services):
    settings = gpu_settings(query_gpu=H100)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_gpu_view(pilot)
        await wait_until(pilot, lambda: shown_rows(app, 1))
        row = rows(app)[0]
        # what the H100 recording says (as `awsconsole gpu --once` reads it)
        assert row.texts["gpu-util"] == "100%"
        assert row.texts["gpu-mem"] == f"{19818 / 1024:.1f}/{81559 / 1024:.1f}G"
        assert row.texts["gpu-power"] == "632/700W"
        assert row.texts["gpu-fan"] == UNKNOWN  # [N/A] in the recording: unknown, not 0
        assert "NVIDIA H100 80GB HBM3" in str(app.screen.query_one("#gpu-models").render())
        table = app.screen.query_one(GpuProcessTable)
        await wait_until(pilot, lambda: table.row_count == 3)
        by_pid = {cells[0]: cells for cells in cell_texts(table)}
        assert by_pid["11345"][1:] == ["0", "15690 MiB", UNKNOWN, "./gpu_burn"]
        assert by_pid["11327"][4] == "/root/tools/memhog"


H100_APPS = "compute-apps_h100-80gb-hbm3_590.48.01_load.txt"


async def test_a_gpu_process_in_a_job_shows_the_job(
    gpu_settings, make_services, local_home, tmp_path, monkeypatch
):
    # the view asks the default jobs socket; a private tmux folder keeps it this test's own
    # (under tmp_path: the monitor's last process query may still run tmux as the app closes)
    tmux_dir = tmp_path / "tmux"
    tmux_dir.mkdir()
    monkeypatch.setenv("TMUX_TMPDIR", str(tmux_dir))
    jobs = JobManager(LocalHost(name="local", home=str(local_home)))
    pidfile = tmp_path / "pidfile"
    try:
        job = jobs.start(
            JobSpec(command=("sh", "-c", f"sleep 60 & echo $! > {pidfile}; wait"), name="burn")
        )
        deadline = time.monotonic() + 30
        while not (pidfile.exists() and pidfile.read_text().strip()):
            assert time.monotonic() < deadline, "the job never started its child"
            time.sleep(0.05)
        child = pidfile.read_text().strip()
        # the H100 recording's processes, its gpu_burn being the job's child on this machine
        recording = (RECORDINGS / H100_APPS).read_text().replace(", 11345, ", f", {child}, ")
        (tmp_path / "apps.txt").write_text(recording)
        settings = gpu_settings(query_gpu=H100, compute_apps=str(tmp_path / "apps.txt"))
        app = make_app(settings, make_services(settings))
        async with app.run_test(size=(100, 30)) as pilot:
            await open_gpu_view(pilot)
            table = app.screen.query_one(GpuProcessTable)

            def by_pid() -> dict[str, list[str]]:
                return {cells[0]: cells for cells in cell_texts(table)}

            await wait_until(pilot, lambda: by_pid().get(child, [""] * 5)[3] == job.id)
            assert by_pid()[child][1:] == ["0", "15690 MiB", job.id, "./gpu_burn"]
            # processes outside every job's pane have no job
            assert by_pid()["11327"][3] == UNKNOWN and by_pid()["11328"][3] == UNKNOWN
    finally:
        kill_tmux_server(DEFAULT_TMUX_SOCKET)


async def test_eight_gpus_fit_80x24_with_growing_history(gpu_settings, make_services):
    settings = gpu_settings(query_gpu=A100_X8)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_gpu_view(pilot)
        await wait_until(pilot, lambda: shown_rows(app, 8))
        recorded = recorded_rows(A100_X8)
        fields = recorded_fields(A100_X8)
        util_at, index_at = fields.index("utilization.gpu"), fields.index("index")
        seen = {row.texts["gpu-index"]: row.texts["gpu-util"] for row in rows(app)}
        assert sorted(seen) == [str(i) for i in range(8)]
        for index, util in seen.items():
            possible = {f"{r[util_at]}%" for r in recorded if r[index_at] == index}
            assert util in possible
        # every row is on screen, one line each, inside the 80 columns
        await wait_until(pilot, lambda: all(row.region.height for row in rows(app)))
        for row in rows(app):
            assert row.region.height == 1
            assert 0 <= row.region.y < 24 and row.region.right <= 80
        # and the host panel still fits above the footer
        panel = app.screen.query_one(HostPanel)
        await wait_until(pilot, lambda: "CPU " in panel.text and panel.region.height >= 3)
        assert panel.region.bottom <= 23
        # the sparkline history grows as frames arrive
        first = len(rows(app)[0].util_points)
        await wait_until(pilot, lambda: len(rows(app)[0].util_points) >= first + 3)
        assert set(rows(app)[0].util_points) <= {90.0, 91.0}
        assert len(rows(app)[0].memory_points) >= first + 3


@pytest.mark.parametrize(
    "recording",
    [
        "query-gpu_2gb-card_noheader_nounits_NA.txt",
        "query-gpu_2gb-card_noheader_nounits_NotSupported.txt",
    ],
)
async def test_unknown_values_read_as_unknown_never_zero(recording, gpu_settings, make_services):
    settings = gpu_settings(query_gpu=recording, compute_apps=NO_APPS)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_gpu_view(pilot)
        await wait_until(pilot, lambda: shown_rows(app, 1))
        texts = rows(app)[0].texts
        assert texts["gpu-fan"] == UNKNOWN  # [N/A] / [Not Supported]
        assert texts["gpu-power"] == UNKNOWN  # not in the recording at all
        assert texts["gpu-clock"] == UNKNOWN
        assert texts["gpu-util"] == "0%"  # a real 0 stays 0
        assert texts["gpu-temp"] == "44°C"


async def test_a_name_only_recording_shows_every_measurement_unknown(gpu_settings, make_services):
    """The A100×8 recording holds only names and MIG modes: nothing else may read as a number."""
    settings = gpu_settings(query_gpu="query-gpu_a100-sxm4-40gb_x8_mig_noheader.txt")
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_gpu_view(pilot)
        await wait_until(pilot, lambda: len(rows(app)) >= 1 and all(r.texts for r in rows(app)))
        await wait_until(pilot, lambda: gpu_view(app).monitor.history.keys())
        # eight GPUs told apart by their place in each frame (the rows carry no index)
        assert [row.texts["gpu-index"] for row in rows(app)] == [str(n) for n in range(8)]
        for row in rows(app):
            measurements = {k: v for k, v in row.texts.items() if k != "gpu-index"}
            assert set(measurements.values()) == {UNKNOWN}
            assert row.util_points == [] and row.memory_points == []  # no made-up history
        assert "NVIDIA A100-SXM4-40GB" in str(app.screen.query_one("#gpu-models").render())


async def test_every_unknown_marker_of_four_gpus(gpu_settings, make_services):
    settings = gpu_settings(query_gpu="query-gpu_synthetic_4gpu_unknown-values.txt")
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_gpu_view(pilot)
        await wait_until(pilot, lambda: shown_rows(app, 4))
        texts = {row.texts["gpu-index"]: row.texts for row in rows(app)}
        assert texts["1"]["gpu-util"] == UNKNOWN  # [Not Supported]
        assert texts["1"]["gpu-power"] == "–/70W"  # [Unknown Error] draw, known limit
        assert texts["2"]["gpu-temp"] == UNKNOWN  # bare N/A
        assert texts["2"]["gpu-clock"] == UNKNOWN  # [Function Not Found]
        assert texts["2"]["gpu-fan"] == UNKNOWN  # empty
        assert texts["3"]["gpu-fan"] == UNKNOWN  # deprecated
        assert "0" not in texts["1"]["gpu-util"]


@pytest.mark.parametrize(
    ("scenario", "words"),
    [
        ("no-driver", "No NVIDIA driver is loaded on local."),
        ("no-devices", "local has no NVIDIA GPU."),
    ],
)
async def test_driver_states_are_shown_as_text(scenario, words, gpu_settings, make_services):
    settings = gpu_settings(scenario=scenario)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_gpu_view(pilot)
        await wait_until(pilot, lambda: words in state_text(app))
        assert not app.screen.query_one(GpuList).display
        assert not rows(app)


async def test_missing_nvidia_smi_is_a_state(gpu_settings, make_services, standin_dir):
    settings = gpu_settings(nvidia_smi=str(standin_dir / "no-such-dir" / "nvidia-smi"))
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_gpu_view(pilot)
        await wait_until(pilot, lambda: "nvidia-smi is not installed on local." in state_text(app))
        assert gpu_view(app).snapshot.state.status is GpuStatus.NO_NVIDIA_SMI


async def test_unreachable_ssh_host_is_a_state(gpu_settings, make_services):
    settings = gpu_settings(query_gpu=H100)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_gpu_view(pilot)
        await wait_until(pilot, lambda: shown_rows(app, 1))
        await pilot.press("a")
        await pilot.press(*"nobody@127.0.0.1:1", "enter")  # nothing listens on port 1
        await wait_until(pilot, lambda: state_text(app).startswith("Host unreachable"))
        assert gpu_view(app).target == "nobody@127.0.0.1:1"
        assert not app.screen.query_one(GpuList).display


async def test_host_panel_shows_cpu_and_memory(gpu_settings, make_services):
    import psutil

    settings = gpu_settings(query_gpu=H100)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_gpu_view(pilot)
        panel = app.screen.query_one(HostPanel)
        await wait_until(pilot, lambda: "CPU " in panel.text)
        assert "CPU " in panel.text and f"×{psutil.cpu_count()} ·" in panel.text
        total = psutil.virtual_memory().total / 1024**3
        assert f"/{total:.1f} GiB" in panel.text
        assert "local (psutil) · disks / " in panel.text


async def test_leaving_the_view_stops_the_monitor(gpu_settings, make_services):
    settings = gpu_settings(query_gpu=H100)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_gpu_view(pilot)
        await wait_until(pilot, lambda: shown_rows(app, 1))
        monitor = gpu_view(app).monitor
        await pilot.press("1")
        await wait_until(pilot, lambda: monitor.cancel.is_set())
        assert gpu_view(app).monitor is None
        await wait_until(
            pilot, lambda: not any(w.group == "gpu-monitor" and w.is_running for w in app.workers)
        )
        await pilot.press("4")  # back: a fresh monitor on the same host
        await wait_until(pilot, lambda: gpu_view(app).monitor not in (None, monitor))
        await wait_until(pilot, lambda: gpu_view(app).snapshot.state.ok)


async def test_quitting_stops_the_streams(gpu_settings, make_services, standin_dir):
    import psutil

    settings = gpu_settings(query_gpu=H100)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_gpu_view(pilot)
        await wait_until(pilot, lambda: shown_rows(app, 1))
        monitor = gpu_view(app).monitor
        sampler = gpu_view(app).sampler
    assert monitor.cancel.is_set() and sampler.cancel.is_set()

    def standins() -> list[psutil.Process]:
        found = []
        for process in psutil.Process().children(recursive=True):
            try:
                if any(str(standin_dir) in arg for arg in process.cmdline()):
                    found.append(process)
            except psutil.NoSuchProcess:
                continue
        return found

    deadline = time.monotonic() + 30
    while standins():  # the long-lived nvidia-smi streams end with the app
        assert time.monotonic() < deadline, f"still running: {standins()}"
        time.sleep(0.05)


# --- idle GPUs ----------------------------------------------------------------------------

IDLE = "[idle]\nperiod_minutes = 0.005\nthreshold_percent = 5\n"  # 0.3 s of idle GPUs


def listed_on_demand_price(region: str, instance_type: str) -> float:
    """The figure of the on-demand table shipped with the console, read from the file."""
    import console.aws.ec2

    table = json.loads((Path(console.aws.ec2.__file__).parent / "price_table.json").read_text())
    return float(table["regions"][region][instance_type])


def spot_price_of(ec2, instance_id: str) -> float:
    """What EC2 (moto) says the instance costs per hour now, in its zone."""
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    history = ec2.describe_spot_price_history(
        InstanceTypes=[instance["InstanceType"]],
        ProductDescriptions=["Linux/UNIX"],
        StartTime=dt.datetime.now(dt.UTC),
    )["SpotPriceHistory"]
    zone = instance["Placement"]["AvailabilityZone"]
    return float(next(p["SpotPrice"] for p in history if p["AvailabilityZone"] == zone))


async def idle_instance_app(
    ec2, gpu_settings, make_services, *, read_only: bool, spot: bool = True
):
    """An app watching a running moto instance that is this machine (as the demo maps it)."""
    instance_id = launch(ec2, "fashion-train", "g5.xlarge", spot=spot)
    settings = gpu_settings(query_gpu=IDLE_A10G, idle=IDLE).with_overrides(read_only=read_only)
    services = make_services(settings)
    services.hosts.register(instance_id, LocalHost(name="fashion-train"))
    return make_app(settings, services), instance_id


def idle_warnings_about(app, host: str) -> list:
    """The idle notifications about ``host`` (the view watches this machine before the
    instance is chosen, and its idle stand-in GPUs may warn about it first)."""
    return [n for n in notifications(app) if n.title == "Idle GPUs" and f" of {host} " in n.message]


async def choose_instance(pilot, instance_id: str) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: instance_id in gpu_view(app).instances)
    gpu_view(app).query_one("GpuHostPicker").choose(instance_id)
    await wait_until(pilot, lambda: gpu_view(app).target == instance_id)


@pytest.mark.slow
async def test_idle_gpus_warn_once_and_stop_asks_first(ec2, gpu_settings, make_services):
    app, instance_id = await idle_instance_app(ec2, gpu_settings, make_services, read_only=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_gpu_view(pilot)
        await choose_instance(pilot, instance_id)
        await wait_until(pilot, lambda: gpu_view(app).idle_warning is not None)
        await wait_until(pilot, lambda: gpu_view(app).idle_warning.idle_seconds > 1.0)
        warning = gpu_view(app).idle_warning
        warnings = idle_warnings_about(app, "fashion-train")
        assert len(warnings) == 1  # once per idle stretch, however long it lasts
        assert "All 2 GPUs of fashion-train under 5 %" in warnings[0].message
        assert "spent idle" in warnings[0].message
        assert "Press s to stop the instance." in warnings[0].message
        # the money: idle time at the price the EC2 backend reports, which for a spot
        # instance is its zone's spot price as EC2 itself says
        reported = app.services.ec2.hourly_prices([gpu_view(app).instances[instance_id]])
        price = reported[instance_id]
        assert price.market == "spot" and price.price_per_hour > 0
        assert price.price_per_hour == spot_price_of(ec2, instance_id)
        assert gpu_view(app).prices[instance_id] == price.price_per_hour
        assert warning.cost_usd == pytest.approx(warning.idle_seconds / 3600 * price.price_per_hour)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Stop instance fashion-train" in app.screen.what
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert instance_state(ec2, instance_id) == "running"
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: instance_state(ec2, instance_id) in ("stopping", "stopped"))


async def test_an_idle_on_demand_instance_costs_its_listed_price(ec2, gpu_settings, make_services):
    app, instance_id = await idle_instance_app(
        ec2, gpu_settings, make_services, read_only=True, spot=False
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await open_gpu_view(pilot)
        await choose_instance(pilot, instance_id)
        await wait_until(pilot, lambda: gpu_view(app).idle_warning is not None)
        await wait_until(pilot, lambda: gpu_view(app).idle_warning.idle_seconds > 1.0)
        warning = gpu_view(app).idle_warning
        warnings = idle_warnings_about(app, "fashion-train")
        assert len(warnings) == 1
        assert "spent idle" in warnings[0].message  # a cost is only shown when one is known
        # on-demand: the shipped table's figure for the type (moto has no Pricing API)
        reported = app.services.ec2.hourly_prices([gpu_view(app).instances[instance_id]])
        price = reported[instance_id]
        assert price.market == "on-demand" and price.source.startswith("table ")
        assert price.price_per_hour == listed_on_demand_price("us-east-1", "g5.xlarge")
        assert gpu_view(app).prices[instance_id] == price.price_per_hour
        assert warning.cost_usd is not None
        assert warning.cost_usd == pytest.approx(warning.idle_seconds / 3600 * price.price_per_hour)


async def test_stopping_an_idle_instance_is_refused_read_only(ec2, gpu_settings, make_services):
    app, instance_id = await idle_instance_app(ec2, gpu_settings, make_services, read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_gpu_view(pilot)
        await choose_instance(pilot, instance_id)
        await wait_until(pilot, lambda: gpu_view(app).idle_warning is not None)
        await pilot.press("s")
        await wait_until(pilot, lambda: any(n.title == "Read-only" for n in notifications(app)))
        assert isinstance(app.screen, MainScreen)  # not even asked
        refusal = next(n for n in notifications(app) if n.title == "Read-only")
        assert "Stop instance fashion-train" in refusal.message and "refused" in refusal.message


async def test_busy_gpus_never_warn(gpu_settings, make_services):
    settings = gpu_settings(query_gpu=A100_X8, idle=IDLE)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_gpu_view(pilot)
        await wait_until(pilot, lambda: len(rows(app)[0].util_points) >= 10 if rows(app) else False)
        assert gpu_view(app).idle_warning is None
        assert not [n for n in notifications(app) if n.title == "Idle GPUs"]


# --- doctor -------------------------------------------------------------------------------


async def test_doctor_screen_shows_checks(gpu_settings, make_services):
    settings = gpu_settings(table="table_h100-80gb-hbm3_590.48.01_load_processes.txt")
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_gpu_view(pilot)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, DoctorScreen))
        doctor = app.screen
        await wait_until(pilot, lambda: doctor.checks is not None, within=90)
        table = doctor.query_one("#doctor-table")
        shown = {cells[1]: cells for cells in cell_texts(table)}
        assert shown["NVIDIA driver"][0] == "✓ pass"
        assert shown["NVIDIA driver"][2].startswith("590.48.01")
        assert shown["CUDA"][2] == "13.1"
        assert shown["tmux"][0] == "✓ pass"  # tmux is installed here
        assert len(shown) == len(doctor.checks)
        for check in doctor.checks:
            assert shown[check.name][0] == ("✓ pass" if check.ok else "✗ FAIL")
            assert shown[check.name][3] == check.hint
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))


# --- an ssh host ----------------------------------------------------------------------------


async def test_typed_ssh_alias_streams_through_real_sshd(gpu_settings, make_services, ssh_env):
    """``testhost`` from the user's ssh config: a real sshd on loopback, the stand-in on it."""
    from console.hosts import HostPool

    settings = gpu_settings(query_gpu=A100_X8)
    services = make_services(settings)
    services.hosts = HostPool(
        config_path=str(ssh_env.config_path), known_hosts_path=str(ssh_env.known_hosts_path)
    )
    services.on_close.append(services.hosts.close_all)
    app = make_app(settings, services)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_gpu_view(pilot)
        await wait_until(pilot, lambda: shown_rows(app, 8))
        await pilot.press("a")
        await pilot.press(*"testhost", "enter")
        await wait_until(pilot, lambda: gpu_view(app).target == "testhost")
        await wait_until(
            pilot, lambda: shown_rows(app, 8) and "testhost: 8 GPUs" in state_text(app)
        )
        # the remote sampler: the test user's python3 has no psutil, so /proc
        panel = app.screen.query_one(HostPanel)
        await wait_until(pilot, lambda: "testhost (proc)" in panel.text, within=60)
        assert "CPU " in panel.text
