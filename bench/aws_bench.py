"""The cloud views against the ``aws`` CLI, on one moto server seeded with many instances and
objects: time to the first rows and to a complete listing/count, side by side.

    .venv/bin/python bench/aws_bench.py [--instances 5000] [--objects 100000]
                                        [--folders 50] [--skip-ui]

moto's server runs as its own process (``moto_server``), so neither side shares an
interpreter with it. The objects lie under one prefix, ``img/``, spread over ``--folders``
sub-folders as the DeepFashion images are (``img/<category folder>/<n>.jpg``). Seeding is
timed apart and not part of any comparison. Rows:

  instances, first rows   ours: the first describe_instances page (what the view draws first)
                          aws: the first byte ``aws ec2 describe-instances`` prints
  instances, all          ours: Ec2Service.list_instances(); aws: the whole command
  s3 prefix, first rows   ours: the browser's first page (one list_objects_v2 call);
                          ui: the same, from Enter to rows in the S3 browser (Pilot, headless)
                          aws: the first line of ``aws s3 ls --recursive s3://b/img/``
  s3 prefix, full count   ours: S3Service.count_prefix (sub-prefixes listed in parallel)
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

from console.aws.ec2 import Ec2Service  # noqa: E402
from console.aws.s3 import S3Service  # noqa: E402
from console.aws.session import AwsSession  # noqa: E402
from console.settings import Settings  # noqa: E402

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


def seed(url: str, instances: int, objects: int, folders: int) -> None:
    config = Config(max_pool_connections=32, retries={"mode": "adaptive", "max_attempts": 10})
    ec2 = boto3.client("ec2", endpoint_url=url, region_name=REGION, config=config)
    s3 = boto3.client("s3", endpoint_url=url, region_name=REGION, config=config)
    started = time.monotonic()
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    left = instances
    while left:
        batch = min(500, left)
        ec2.run_instances(ImageId=image, InstanceType="g5.xlarge", MinCount=batch, MaxCount=batch)
        left -= batch
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


def ui_first_rows(settings: Settings) -> float:
    """Seconds from Enter on the bucket to the first rows in the S3 browser (headless)."""
    from console.app import make_app
    from console.services import build_services
    from console.ui.widgets.s3_browser import S3Browser

    services = build_services(settings)

    async def run() -> float:
        app = make_app(settings, services)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("2")
            table = app.screen.query_one("#buckets-table")
            while table.row_count == 0:
                await pilot.pause(0.01)
            browser = app.screen.query_one(S3Browser)
            browser.open(BUCKET, PREFIX + "folder_000/")
            started = time.monotonic()
            while browser.pages_loaded == 0:
                await pilot.pause(0.005)
            return time.monotonic() - started

    try:
        return asyncio.run(run())
    finally:
        services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--folders", type=int, default=50)
    parser.add_argument("--skip-ui", action="store_true", help="no headless UI measurement")
    args = parser.parse_args()
    aws = shutil.which("aws", path=str(Path(sys.executable).parent)) or "aws"

    env = cli_env()
    os.environ.update(env)  # the fake account of moto's server, for every client here
    process, url = start_moto()
    try:
        seed(url, args.instances, args.objects, args.folders)
        settings = Settings(endpoint_url=url, region=REGION, refresh_interval=0)
        session = AwsSession(settings)
        ec2, s3 = Ec2Service(session), S3Service(session)
        first_page_ec2 = Ec2Service(session, page_size=100)
        # a running console has its clients already (creating one parses the service model)
        session.client("ec2")
        session.client("s3")
        base = [aws, "--endpoint-url", url, "--region", REGION]
        rows = []

        t_ours, _ = timed(lambda: next(iter(_first_page_instances(first_page_ec2))))
        t_cli = cli_first_byte([*base, "ec2", "describe-instances", "--output", "json"], env)
        rows.append(("instances: first rows", t_ours, t_cli, ""))
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

        t_ours, page = timed(lambda: s3.list_page(BUCKET, PREFIX + "folder_000/"))
        t_cli = cli_first_byte([*base, "s3", "ls", "--recursive", f"s3://{BUCKET}/{PREFIX}"], env)
        rows.append(("s3 prefix: first rows", t_ours, t_cli, f"{len(page.objects):,} rows"))
        if not args.skip_ui:
            t_ui = ui_first_rows(settings)
            rows.append(("s3 prefix: first rows (ui)", t_ui, t_cli, "Enter → rows drawn"))
        t_ours, count = timed(lambda: s3.count_prefix(BUCKET, PREFIX))
        t_cli, lines = cli_full([*base, "s3", "ls", "--recursive", f"s3://{BUCKET}/{PREFIX}"], env)
        rows.append(
            ("s3 prefix: full count", t_ours, t_cli, f"ours {count.files:,}, aws {lines:,}")
        )
        session.close()
    finally:
        process.terminate()
        process.wait()

    print(f"\n{'measure':<28} {'ours s':>9} {'aws s':>9} {'aws/ours':>9}  note")
    for name, ours, theirs, note in rows:
        print(f"{name:<28} {ours:>9.3f} {theirs:>9.3f} {theirs / ours:>8.1f}x  {note}")


def _first_page_instances(service: Ec2Service):
    """The first describe_instances page, as the Instances view receives it first."""
    client = service._aws.client("ec2")  # noqa: SLF001 - a bench measuring one page
    page = client.describe_instances(MaxResults=100)
    yield [i for r in page["Reservations"] for i in r["Instances"]]


if __name__ == "__main__":
    main()
