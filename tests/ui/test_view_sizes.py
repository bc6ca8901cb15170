"""Every view and the main dialogs at 80×24, 100×30 and 160×50: nothing wide is hidden.

Each test opens one screen in a Pilot app at the sizes of SIZES (a fresh app per size), with
data: a moto fleet of GPU instances (g5.xlarge, g4dn.xlarge spot, p4d.24xlarge stopped, a
terminated one), buckets with objects (a long key, a key that looks like markup), a finished
job in tmux on a local host whose last line is long, a ledger with a finished and an
interrupted run, and a Doctor whose fixes are the doctor's own long hints. Screens: the six
views (1-6), the objects of a bucket, the Doctor, the launch wizard and its review, the
terminate question, the help, the new-job and train forms; and the Instances view resized
160 → 80 → 100 → 160 in one app. Each test checks:

- the behaviour, by name: the key columns of each list lie wholly inside the visible width
  and every visible row's cell of them is on screen whole (Instances: Name, State, GPUs,
  $/hour; Buckets: Name; objects: name and size; Jobs: Name, Host, Status; Runs: Name, State,
  Epoch, Top-1); no widget reaches past the screen's right edge (the footer, which scrolls
  sideways, aside: its keys are all in the help and the palette); the buttons of a dialog are
  wholly on screen; the Doctor's Found and Fix texts are shown whole, wrapped, never cut;
- the picture: the screen as plain text (``tests/ui/screen_text.py``) equals the stored
  ``__snapshots__/test_view_sizes/<screen>[<size>].txt``, once what differs from run to run
  is masked, keeping its width: instance ids, addresses, ports, dates and times (whole, or
  what a dialog leaves of them), durations, tiny costs (a running instance's cost, moto's
  spot price), spinners, temporary folders. moto's random generator is seeded, so ids and
  addresses are the same in every run anyway, and local time is UTC (the runs' start times).

Rewrite the text snapshots after an intended change of the screen with
``pytest tests/ui/test_view_sizes.py --snapshot-update`` (the option of the SVG snapshots;
or ``AWSCONSOLE_SNAPSHOT_UPDATE=1 pytest tests/ui/test_view_sizes.py``), then read the diff:
it is plain text.

Not snapshotted: the GPU view. Its figures and sparklines change with every frame of the
replayed nvidia-smi stream and its host panel reads this machine (CPU, memory, disks,
network): it is checked by its behaviour only (the GPUs' utilisation and memory on screen,
nothing past the edge).
"""

from __future__ import annotations

import datetime as dt
import os
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from console.app import make_app
from console.demo.seeding import only_moto_default_amis
from console.models import DoctorCheck, JobSpec, RunNode, RunRecord, RunState
from console.runs.ledger import Ledger
from console.settings import GpuSettings, JobsSettings, RunsSettings, Settings
from console.ui.buckets.browser import S3Browser
from console.ui.common.confirm import ConfirmScreen
from console.ui.common.help import HelpScreen
from console.ui.gpu.device_list import GpuList
from console.ui.gpu.doctor import DoctorScreen
from console.ui.instances.launch_review import LaunchReviewScreen
from console.ui.instances.launch_wizard import NEW_KEY, LaunchWizardScreen
from console.ui.jobs.form import JobFormScreen
from console.ui.main_screen import MainScreen
from console.ui.runs.train_form import TrainFormScreen
from tests.fixtures.nvidia_smi import make_standin
from tests.ui.conftest import wait_until
from tests.ui.screen_text import assert_text_snapshot, normalise, screen_lines

pytestmark = pytest.mark.timeout(120)

SIZES = [(80, 24), (100, 30), (160, 50)]
SIZE_IDS = [f"{w}x{h}" for w, h in SIZES]
SNAPSHOTS = Path(__file__).parent / "__snapshots__" / "test_view_sizes"

FLEET = (
    ("fashion-train", "g5.xlarge", "running", "on-demand"),
    ("fashion-spot", "g4dn.xlarge", "running", "spot"),
    ("fashion-p4d", "p4d.24xlarge", "stopped", "on-demand"),
    ("fashion-first-try", "g4dn.xlarge", "terminated", "on-demand"),
)

OBJECTS = {
    "Anno/list_category_img.txt": 1_234_567,
    "Anno/list_landmarks_inshop_consumer_to_shop.txt": 8_812,
    "img/Sheer_Pleated-Front_Blouse/img_00000001.jpg": 23_456,
    "[red]not markup.txt": 12,
    "deepfashion_category_and_attribute_prediction_benchmark_v2.txt": 4_567,
    "README.md": 2_048,
}

STARTED = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)

#: what the job printed last: longer than the Jobs view's last column at 80 and 100 columns
LAST_LINE = ("epoch 3/3 done: loss 0.4123 top-1 71.2% top-5 93.0% landmark error 0.0512 "
             "lr 0.0001 images/s 812.4")  # fmt: skip

#: what the Doctor finds on a fresh CPU-only box: the hints are the doctor's own, long ones
DOCTOR_CHECKS = [
    DoctorCheck("NVIDIA driver", False, "nvidia-smi: not found",
                "Install the NVIDIA driver (on AWS, a Deep Learning AMI has it), "
                "or set [gpu] nvidia_smi to its path."),
    DoctorCheck("CUDA", False, "unknown without a working driver"),
    DoctorCheck("Python", True, "Python 3.11.2"),
    DoctorCheck("PyTorch", True, "2.5.1+cpu"),
    DoctorCheck("torch.cuda.is_available()", False, "False (CPU-only build)",
                "This torch is a CPU-only build: install a CUDA build (pip install torch "
                "--index-url https://download.pytorch.org/whl/cu124)."),
    DoctorCheck("Free disk", False, "3.2 GiB free on /",
                "Less than 20 GiB free: delete old checkpoints, or grow the EBS volume "
                "(aws ec2 modify-volume) and the filesystem."),
    DoctorCheck("tmux", True, "tmux 3.3a"),
    DoctorCheck("s3fs or mount-s3", False, "neither found",
                "sudo apt-get install s3fs, or install Mountpoint for Amazon S3 (mount-s3)"),
]  # fmt: skip


# -- the world every screen shows ---------------------------------------------------------


def seed_fleet(ec2, aws_endpoint: str) -> dict[str, str]:
    """The FLEET in moto, its random generator seeded first: {name: instance id}."""
    seed = urllib.request.Request(f"{aws_endpoint}/moto-api/seed?a=42", method="POST")
    urllib.request.urlopen(seed, timeout=30).read()
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ids = {}
    for name, instance_type, _state, market in FLEET:
        spot = {"InstanceMarketOptions": {"MarketType": "spot"}} if market == "spot" else {}
        reply = ec2.run_instances(
            ImageId=image, InstanceType=instance_type, MinCount=1, MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance",
                                "Tags": [{"Key": "Name", "Value": name}]}],
            **spot,
        )  # fmt: skip
        ids[name] = reply["Instances"][0]["InstanceId"]
    for name, _type, state, _market in FLEET:
        if state == "stopped":
            ec2.stop_instances(InstanceIds=[ids[name]])
        elif state == "terminated":
            ec2.terminate_instances(InstanceIds=[ids[name]])
    return ids


@pytest.fixture
def utc() -> Iterator[None]:
    """Local time is UTC: the runs' start times (shown in local time) read the same on
    every machine."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture(scope="session")
def amis_file(tmp_path_factory) -> Path:
    return tmp_path_factory.getbasetemp() / "moto-default-amis.json"


def seed_buckets(s3) -> None:
    s3.create_bucket(Bucket="deepfashion-data")
    s3.create_bucket(Bucket="checkpoints")
    for key, size in OBJECTS.items():
        s3.put_object(Bucket="deepfashion-data", Key=key, Body=b"x" * size)


def run_record(name: str, number: int, **fields) -> RunRecord:
    started = STARTED + dt.timedelta(hours=number)
    record = RunRecord(
        id=f"run-2026120{number}-120000-{name}-000{number}", name=name, started=started,
        command=("python", "-m", "trainer", "train"), trainer_args=(), gpus="1", cwd="~",
        run_dir=f"~/runs/{name}",
        nodes=(RunNode("fashion-train", f"job-000{number}", price_per_hour=1.006,
                       price_source="table"),),
        state=RunState.FINISHED, exit_code=0, ended=started + dt.timedelta(hours=2),
    )  # fmt: skip
    return replace(record, **fields)


def seed_runs(ledger: Ledger) -> None:
    ledger.add(run_record(
        "deepfashion-vgg16", 1, epochs_done=12, epochs_total=12,
        best_metrics={"category_top1": 71.24, "category_top5": 93.02, "landmark_mean": 0.0512},
    ))  # fmt: skip
    ledger.add(run_record(
        "deepfashion-spot-resume", 2, state=RunState.INTERRUPTED, exit_code=None,
        epochs_done=3, epochs_total=12, checkpoint_step=1200,
        best_metrics={"category_top1": 58.9, "category_top5": 85.4, "landmark_mean": 0.0733},
    ))  # fmt: skip


@pytest.fixture
def world(ec2, s3, aws_endpoint, tmp_path, tmux_socket, local_host, local_jobs, standin_dir,
          make_services, monkeypatch, amis_file, utc):  # fmt: skip
    """``build()`` -> the app over the seeded world (``local`` = a sandboxed local host)."""
    with only_moto_default_amis(amis_file):  # moto's ~40 AMIs, not its ~1,300: seconds less
        yield _world(ec2, s3, aws_endpoint, tmp_path, tmux_socket, local_host, local_jobs,
                     standin_dir, make_services, monkeypatch)  # fmt: skip


def _world(ec2, s3, aws_endpoint, tmp_path, tmux_socket, local_host, local_jobs, standin_dir,
           make_services, monkeypatch):  # fmt: skip
    monkeypatch.setenv("HOME", str(tmp_path))  # the launch wizard looks for keys in ~/.ssh
    seed_fleet(ec2, aws_endpoint)
    seed_buckets(s3)
    ledger = Ledger(tmp_path / "ledger" / "runs.jsonl")
    seed_runs(ledger)
    job = local_jobs.start(JobSpec(command=("sh", "-c", f"echo {LAST_LINE}"), name="train"))
    deadline = time.monotonic() + 30
    while not local_jobs.get(job.id).status.finished and time.monotonic() < deadline:
        time.sleep(0.05)
    smi = make_standin(standin_dir, query_gpu="query-gpu_synthetic_8gpu_a100_training.txt")
    settings = Settings(
        endpoint_url=aws_endpoint,
        region="us-east-1",
        refresh_interval=0,
        jobs=JobsSettings(tmux_socket=tmux_socket),
        runs=RunsSettings(ledger=str(ledger.path), cache_dir=str(tmp_path / "cache")),
        gpu=GpuSettings(nvidia_smi=str(smi), interval_ms=100, apps_interval_seconds=0.2),
    )

    def build():
        services = make_services(settings)
        services.hosts.register("local", local_host)
        # the header names the endpoint, whose port changes per run: show a fixed target
        services.settings = replace(services.settings, endpoint_url=None)
        services.monitors.doctor = lambda target: list(DOCTOR_CHECKS)
        return make_app(settings, services)

    return build


# -- what every screen must hold to ------------------------------------------------------------


def snapshot(request, app, name: str, size) -> None:
    lines = normalise(screen_lines(app))
    assert_text_snapshot(request, SNAPSHOTS / f"{name}[{size[0]}x{size[1]}].txt", lines)


def column_span(table, key: str) -> tuple[int, int] | None:
    """The screen columns (first, after last) of a table's column; None when not shown."""
    if key not in table.columns:
        return None
    x = table.content_region.x - round(table.scroll_x)
    for column in table.ordered_columns:
        width = column.get_render_width(table)
        if column.key.value == key:
            return x, x + width
        x += width
    return None


def assert_columns_inside(app, table, keys) -> None:
    """The columns ``keys`` are shown and lie wholly inside the table's visible width and
    the screen; every visible row's cell of them is in its column on the screen, whole (on
    one line, or wrapped onto more)."""
    visible = table.scrollable_content_region
    right = min(visible.right, app.size.width)
    for key in keys:
        span = column_span(table, key)
        assert span is not None, f"column {key!r} gave way at {app.size.width} columns"
        assert visible.x <= span[0] and span[1] <= right, (
            f"column {key!r} spans {span}, the table shows {visible.x}..{right}"
        )
    for key in keys:
        shown = column_text(app, table, key)
        for row_key in rows_on_screen(table):
            plain = str(table.cells(row_key)[key])
            assert "".join(plain.split()) in shown, f"{key!r} cell {plain!r} is cut"


def rows_on_screen(table) -> list[str]:
    """The keys of the rows wholly inside the table's visible height (rows may wrap)."""
    top = round(table.scroll_y)
    bottom = top + table.scrollable_content_region.height - table.header_height
    keys, y = [], 0
    for row in table.ordered_rows:
        if top <= y and y + row.height <= bottom:
            keys.append(row.key.value)
        y += row.height
    return keys


def scrolls_sideways(widget) -> bool:
    """Whether ``widget`` lies in a container that scrolls sideways to show it (the footer's
    keys: every one is in the help, ?, and the palette, ctrl+p, too)."""
    return any(getattr(a, "allow_horizontal_scroll", False) for a in widget.ancestors)


def assert_nothing_past_the_edge(app) -> None:
    """No widget on the screen (a dialog, a field, a button) reaches past its right edge."""
    width = app.size.width
    for widget in app.screen.walk_children():
        if not widget.display or not widget.region.width or scrolls_sideways(widget):
            continue
        assert widget.region.right <= width, (
            f"{widget!r} spans {widget.region.x}..{widget.region.right} of {width} columns"
        )


def assert_buttons_shown(app) -> None:
    """Every button of a dialog is wholly on the screen (none clipped by a short screen)."""
    from textual.widgets import Button

    visible = app.screen._compositor.visible_widgets
    for button in app.screen.query(Button):
        assert button in visible, f"{button!r} is not on the screen"
        region, clip = visible[button]
        assert clip.contains_region(region), f"{button!r} is cut: {region} in {clip}"


async def main_view(pilot, key: str, view_id: str):
    """Show view ``key`` and wait until it has loaded (its widget when it loads nothing)."""
    app = pilot.app
    await pilot.press(key)
    await wait_until(
        pilot,
        lambda: (
            isinstance(app.screen, MainScreen)
            and app.screen.query_one("#views").active == view_id
            and app.screen.query(f"#view-{view_id}")
        ),
    )
    view = app.screen.query_one(f"#view-{view_id}")
    if hasattr(view, "loaded_once"):
        await wait_until(pilot, lambda: view.loaded_once and not view.loading_now)
    return view


async def settled(pilot) -> None:
    """Let the last layout and redraw land (a table widens its columns on an idle pass)."""
    await pilot.pause(0.2)
    await pilot.pause()


# -- the views ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_instances(world, request, size):
    app = world()
    async with app.run_test(size=size) as pilot:
        view = await main_view(pilot, "1", "instances")
        await wait_until(pilot, lambda: view.table.row_count == len(FLEET))
        await settled(pilot)
        assert_columns_inside(app, view.table, ["name", "state", "gpus", "price"])
        assert_nothing_past_the_edge(app)
        snapshot(request, app, "instances", size)


async def test_instances_follow_a_resize(world):
    """Narrower, then wider again: the columns give way and come back, the cursor stays."""
    app = world()
    async with app.run_test(size=(160, 50)) as pilot:
        view = await main_view(pilot, "1", "instances")
        await wait_until(pilot, lambda: view.table.row_count == len(FLEET))
        view.table.move_cursor(row=2)
        wide = view.table.shown_columns
        for size in ((80, 24), (100, 30), (160, 50)):
            await pilot.resize_terminal(*size)
            await settled(pilot)
            assert_columns_inside(app, view.table, ["name", "state", "gpus", "price"])
            assert view.table.cursor_row == 2
        assert view.table.shown_columns == wide and "id" in wide


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_buckets_and_objects(world, request, size):
    app = world()
    async with app.run_test(size=size) as pilot:
        view = await main_view(pilot, "2", "buckets")
        await wait_until(pilot, lambda: view.table.row_count == 2)
        await settled(pilot)
        assert_columns_inside(app, view.table, ["name"])
        assert_nothing_past_the_edge(app)
        snapshot(request, app, "buckets", size)

        view.table.move_cursor(row=[b.name for b in view.table.items].index("deepfashion-data"))
        await pilot.press("enter")
        browser = app.screen.query_one(S3Browser)
        await wait_until(pilot, lambda: browser.complete and browser.store.total > 0)
        await settled(pilot)
        assert_objects_inside(app, browser)
        assert_nothing_past_the_edge(app)
        snapshot(request, app, "objects", size)


def assert_objects_inside(app, browser) -> None:
    """Each listed object's whole name and its size are on its line of the screen."""
    from console.format.files import human_bytes

    lines = screen_lines(app)
    listing = browser.object_list
    top = listing.content_region.y
    for n in range(min(browser.store.total, listing.content_region.height)):
        row = browser.store.row(n)
        line = lines[top + n]
        assert row.name in line, f"{row.name!r} is cut: {line!r}"
        if not row.is_folder:
            assert human_bytes(row.size) in line.split(row.name, 1)[1], f"no size: {line!r}"


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_jobs(world, request, size):
    app = world()
    async with app.run_test(size=size) as pilot:
        view = await main_view(pilot, "3", "jobs")
        await wait_until(pilot, lambda: view.table.row_count >= 1)
        await settled(pilot)
        assert_columns_inside(app, view.table, ["name", "host", "status"])
        assert_nothing_past_the_edge(app)
        snapshot(request, app, "jobs", size)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_gpu(world, request, size):
    """Checked by behaviour only: its figures and sparklines move with every frame."""
    app = world()
    async with app.run_test(size=size) as pilot:
        await main_view(pilot, "4", "gpu")
        gpus = app.screen.query_one(GpuList)
        await wait_until(pilot, lambda: len(gpus.rows) == 8 and all(r.texts for r in gpus.rows))
        await settled(pilot)
        assert_nothing_past_the_edge(app)
        text = "\n".join(screen_lines(app))
        row = gpus.rows[0]
        for key in ("gpu-util", "gpu-mem"):
            assert row.texts[key] in text, f"{key} {row.texts[key]!r} is not on the screen"


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_files(world, request, size):
    app = world()
    async with app.run_test(size=size) as pilot:
        await main_view(pilot, "5", "files")
        await settled(pilot)
        assert_nothing_past_the_edge(app)
        snapshot(request, app, "files", size)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_runs(world, request, size):
    app = world()
    async with app.run_test(size=size) as pilot:
        view = await main_view(pilot, "6", "runs")
        await wait_until(pilot, lambda: view.table.row_count == 2)
        await settled(pilot)
        assert_columns_inside(app, view.table, ["name", "state", "epoch", "top1"])
        assert_nothing_past_the_edge(app)
        snapshot(request, app, "runs", size)


# -- dialogs --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_doctor(world, request, size):
    app = world()
    async with app.run_test(size=size) as pilot:
        await main_view(pilot, "1", "instances")
        app.push_screen(DoctorScreen(app.services, "fashion-train"))
        await wait_until(pilot, lambda: isinstance(app.screen, DoctorScreen))
        doctor = app.screen
        await wait_until(pilot, lambda: doctor.checks is not None)
        await settled(pilot)
        assert_nothing_past_the_edge(app)
        snapshot(request, app, "doctor", size)
        table = doctor.query_one("#doctor-table")
        assert_columns_inside(app, table, ["mark", "check"])
        for row, check in enumerate(DOCTOR_CHECKS):
            table.move_cursor(row=row)
            await settled(pilot)
            for key, words in (("fix", check.hint), ("found", check.found)):
                shown = column_text(app, table, key)
                assert "".join(words.split()) in shown, f"{key} of {check.name!r} is cut"


def column_text(app, table, key: str) -> str:
    """What the screen shows in a table column's rows, top to bottom, without blanks."""
    span = column_span(table, key)
    assert span is not None, f"column {key!r} gave way"
    region = table.scrollable_content_region
    lines = screen_lines(app)[region.y + table.header_height : region.bottom]
    return "".join("".join(line[span[0] : span[1]].split()) for line in lines)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_launch_wizard_and_review(world, request, size):
    app = world()
    async with app.run_test(size=size) as pilot:
        await main_view(pilot, "1", "instances")
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, LaunchWizardScreen))
        wizard = app.screen
        await wait_until(pilot, lambda: wizard.choices is not None)
        await settled(pilot)
        assert_nothing_past_the_edge(app)
        snapshot(request, app, "launch_wizard", size)

        values = {"type": "g5.xlarge", "key": NEW_KEY, "key-name": "fashion-key",
                  "cidr": "203.0.113.50", "name": "fashion-train-2"}  # fmt: skip
        for field, value in values.items():
            wizard.query_one(f"#launch-{field}").value = value
        await pilot.pause()
        wizard.action_launch()
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, LaunchReviewScreen)
                and app.screen.query("#launch-review-back")
            ),
        )
        await settled(pilot)
        assert_nothing_past_the_edge(app)
        assert_buttons_shown(app)
        snapshot(request, app, "launch_review", size)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_confirm_terminate(world, request, size):
    app = world()
    async with app.run_test(size=size) as pilot:
        view = await main_view(pilot, "1", "instances")
        await wait_until(pilot, lambda: view.table.row_count == len(FLEET))
        names = [row.instance.name for row in view.table.items]
        view.table.move_cursor(row=names.index("fashion-train"))
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await settled(pilot)
        assert_nothing_past_the_edge(app)
        assert_buttons_shown(app)
        snapshot(request, app, "confirm_terminate", size)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_help(world, request, size):
    app = world()
    async with app.run_test(size=size) as pilot:
        await main_view(pilot, "1", "instances")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await settled(pilot)
        assert_nothing_past_the_edge(app)
        snapshot(request, app, "help", size)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_job_and_train_forms(world, request, size):
    app = world()
    async with app.run_test(size=size) as pilot:
        await main_view(pilot, "3", "jobs")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, JobFormScreen))
        await settled(pilot)
        assert_nothing_past_the_edge(app)
        assert_buttons_shown(app)
        snapshot(request, app, "job_form", size)
        app.pop_screen()
        await main_view(pilot, "6", "runs")
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TrainFormScreen))
        await settled(pilot)
        assert_nothing_past_the_edge(app)
        assert_buttons_shown(app)
        snapshot(request, app, "train_form", size)
