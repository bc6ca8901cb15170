"""The cloud views against the ``aws`` CLI, on one moto server seeded with many instances and
objects: time to the first rows and to a complete listing/count, side by side.

    .venv/bin/python bench/aws_bench.py [--instances 5000] [--objects 100000]
                                        [--folders 50] [--per-launch 1] [--skip-ui]
                                        [--endpoint URL]

moto's server runs as its own process (``moto_server``), so neither side shares an
interpreter with it. The objects lie under one prefix, ``img/``, spread over ``--folders``
sub-folders as the DeepFashion images are (``img/<category folder>/<n>.jpg``). Instances are
launched ``--per-launch`` at a time, one by default as the launch wizard does: moto counts
describe_instances' MaxResults in launches (reservations) where EC2 counts instances, so with
launches of ten a first page of 50 would hold 500 instances, ten times what EC2 answers.
Seeding is timed apart and not part of any comparison; ``--endpoint`` reuses a server this
script seeded before (seeding 100,000 objects takes minutes). Rows:

  instances: first rows       ours: the first page (FIRST_PAGE_SIZE instances) the view asks
                              for; aws: the first byte ``aws ec2 describe-instances`` prints
  instances: first rows (ui)  console start (services built, first page asked for ahead as
                              `awsconsole` does) → first rows in the Instances view (headless)
  instances: all              ours: Ec2Service.list_instances(); aws: the whole command
  instances: all (ui)         app start → every instance listed with GPUs and prices
  s3 prefix: first rows       ours: the browser's first page (one list_objects_v2 call);
                              aws: the first line of ``aws s3 ls --recursive s3://b/img/``
  s3 prefix: first rows (ui)  opening a folder of the S3 browser → its first rows
  s3 prefix: full count       ours: S3Files.count_prefix (sub-prefixes listed in parallel)
                              aws: ``aws s3 ls --recursive s3://b/img/ | wc -l``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from console.aws.ec2.service import FIRST_PAGE_SIZE, Ec2Service  # noqa: E402
from console.aws.s3.service import S3Service  # noqa: E402
from console.aws.session import AwsSession  # noqa: E402
from console.services.s3_files import S3Files  # noqa: E402
from console.settings import Settings  # noqa: E402
from console.ui.buckets.browser import FIRST_PAGE_SIZE as FIRST_S3_PAGE  # noqa: E402

BUCKET = "bench-data"
PREFIX = "img/"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ)
    # as the test fixtures: instance types and AMIs are validated like the real API
    env.setdefault("MOTO_ENABLE_AMI_VALIDATION", "true")
    env.setdefault("MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION", "true")
    server_bin = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(server_bin), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).read()
            return process, url
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit("moto_server did not start") from None
            time.sleep(0.1)


def seed(url: str, instances: int, objects: int, folders: int, per_launch: int = 1) -> None:
    config = Config(max_pool_connections=32, retries={"mode": "adaptive", "max_attempts": 10})
    ec2 = boto3.client("ec2", endpoint_url=url, region_name=REGION, config=config)
    s3 = boto3.client("s3", endpoint_url=url, region_name=REGION, config=config)
    started = time.monotonic()
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]

    def launch(count: int) -> None:
        ec2.run_instances(ImageId=image, InstanceType="g5.xlarge", MinCount=count, MaxCount=count)

    batches = [per_launch] * (instances // per_launch)
    if instances % per_launch:
        batches.append(instances % per_launch)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(launch, batches))
    seeded_ec2 = time.monotonic() - started
    s3.create_bucket(Bucket=BUCKET)
    keys = [f"{PREFIX}folder_{i % folders:03d}/{i:07d}.jpg" for i in range(objects)]

    def put(key: str) -> None:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"jpg")

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(put, keys, chunksize=64))
    print(
        f"seeding: {instances:,} instances in {seeded_ec2:.1f} s, {objects:,} objects in "
        f"{time.monotonic() - started - seeded_ec2:.1f} s (not part of the comparison)"
    )


def timed(call) -> tuple[float, object]:
    started = time.monotonic()
    result = call()
    return time.monotonic() - started, result


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=REGION)
    env.pop("AWS_PROFILE", None)
    return env


def cli_first_byte(argv: list[str], env: dict[str, str]) -> float:
    """Seconds until the command prints its first line (then it is stopped)."""
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert process.stdout is not None
    process.stdout.readline()
    elapsed = time.monotonic() - started
    process.kill()
    process.wait()
    return elapsed


def cli_full(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Seconds for ``argv | wc -l`` and the line count it printed."""
    started = time.monotonic()
    producer = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    counted = subprocess.run(
        ["wc", "-l"], stdin=producer.stdout, capture_output=True, text=True, check=True
    )
    assert producer.stdout is not None
    producer.stdout.close()
    producer.wait()
    return time.monotonic() - started, int(counted.stdout.split()[0])


def ui_first_rows(settings: Settings) -> dict[str, float]:
    """Seconds to the first rows in the Instances view (from the app's start) and in the S3
    browser (from opening the folder), headless.

    The S3 browser is timed once the Instances view has loaded everything: moto serves EC2
    and S3 from one Python process, so a 5,000-instance answer being rendered would slow
    the S3 listing there, which two AWS services never do to each other.
    """
    from console.app import make_app
    from console.startup import build_services
    from console.ui.buckets.browser import S3Browser

    # as `awsconsole` starts: the services, the Instances view's first page asked for ahead,
    # then the window (the clock runs from the services' creation)
    started = time.monotonic()
    services = build_services(settings)
    services.ec2.prefetch_first_page()

    async def run() -> dict[str, float]:
        nonlocal started
        timings: dict[str, float] = {}
        app = make_app(settings, services)
        async with app.run_test(size=(140, 40)) as pilot:
            view = app.screen.query_one("#view-instances")
            table = app.screen.query_one("#instances-table")
            while table.row_count == 0:
                await pilot.pause(0.005)
            timings["instances"] = time.monotonic() - started
            while not view.loaded_once:
                await pilot.pause(0.05)
            timings["instances_all"] = time.monotonic() - started
            await pilot.press("2")
            buckets = app.screen.query_one("#buckets-table")
            while buckets.row_count == 0:
                await pilot.pause(0.01)
            browser = app.screen.query_one(S3Browser)
            started = time.monotonic()
            browser.open(BUCKET, PREFIX + "folder_000/")
            while browser.pages_loaded == 0:
                await pilot.pause(0.005)
            timings["s3"] = time.monotonic() - started
        return timings

    try:
        return asyncio.run(run())
    finally:
        services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--folders", type=int, default=50)
    parser.add_argument(
        "--per-launch",
        type=int,
        default=1,
        help="instances per run_instances call (moto pages describe_instances by launch)",
    )
    parser.add_argument("--skip-ui", action="store_true", help="no headless UI measurement")
    parser.add_argument(
        "--endpoint",
        help="a moto server already seeded by this script (same sizes): seeding is skipped",
    )
    args = parser.parse_args()
    aws = shutil.which("aws", path=str(Path(sys.executable).parent)) or "aws"

    env = cli_env()
    os.environ.update(env)  # the fake account of moto's server, for every client here
    process = None
    if args.endpoint:
        url = args.endpoint
    else:
        process, url = start_moto()
    try:
        if process is not None:
            seed(url, args.instances, args.objects, args.folders, args.per_launch)
        settings = Settings(endpoint_url=url, region=REGION, refresh_interval=0)
        session = AwsSession(settings)
        ec2, s3 = Ec2Service(session), S3Files(S3Service(session))
        # a running console has its clients already (creating one parses the service model)
        session.client("ec2")
        session.client("s3")
        base = [aws, "--endpoint-url", url, "--region", REGION]
        rows = []

        t_ours, first = timed(lambda: next(ec2.iter_instance_pages(FIRST_PAGE_SIZE)))
        t_cli = cli_first_byte([*base, "ec2", "describe-instances", "--output", "json"], env)
        rows.append(("instances: first rows", t_ours, t_cli, f"{len(first):,} rows"))
        t_ours, listed = timed(ec2.list_instances)
        t_cli, lines = cli_full(
            [
                *base,
                "ec2",
                "describe-instances",
                "--query",
                "Reservations[].Instances[].InstanceId",
                "--output",
                "text",
            ],
            env,
        )
        rows.append(("instances: all", t_ours, t_cli, f"{len(listed):,} listed"))

        t_ours, page = timed(
            lambda: s3.list_page(BUCKET, PREFIX + "folder_000/", page_size=FIRST_S3_PAGE)
        )
        t_cli = cli_first_byte([*base, "s3", "ls", "--recursive", f"s3://{BUCKET}/{PREFIX}"], env)
        rows.append(("s3 prefix: first rows", t_ours, t_cli, f"{len(page.objects):,} rows"))
        if not args.skip_ui:
            ui = ui_first_rows(settings)
            rows.insert(
                1, ("instances: first rows (ui)", ui["instances"], rows[0][2], "start → rows")
            )
            rows.insert(
                3,
                ("instances: all (ui)", ui["instances_all"], rows[2][2], "start → all, priced"),
            )
            rows.append(("s3 prefix: first rows (ui)", ui["s3"], t_cli, "open folder → rows drawn"))
        t_ours, count = timed(lambda: s3.count_prefix(BUCKET, PREFIX))
        t_cli, lines = cli_full([*base, "s3", "ls", "--recursive", f"s3://{BUCKET}/{PREFIX}"], env)
        rows.append(
            ("s3 prefix: full count", t_ours, t_cli, f"ours {count.files:,}, aws {lines:,}")
        )
        session.close()
    finally:
        if process is not None:
            process.terminate()
            process.wait()

    print(f"\n{'measure':<28} {'ours s':>9} {'aws s':>9} {'aws/ours':>9}  note")
    for name, ours, theirs, note in rows:
        print(f"{name:<28} {ours:>9.3f} {theirs:>9.3f} {theirs / ours:>8.1f}x  {note}")


if __name__ == "__main__":
    main()
