"""A loopback stand-in for the EC2 instance metadata service announces a spot interruption:
the trainer saves a checkpoint, uploads it to S3 (moto's server) and exits with status 75;
a fresh run folder then resumes from the uploaded checkpoint."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

from tests.trainer.conftest import REPO, TINY, run_trainer, trainer_command, trainer_env
from trainer import checkpoint as ckpt
from trainer.spot import EXIT_SPOT_INTERRUPTED, MetadataClient

TOKEN = "AQAEAFake-token=="


class FakeMetadataService(ThreadingHTTPServer):
    """IMDSv2 as EC2 serves it: PUT a token, GET with it; 404 until a notice is announced."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.instance_action: str | None = None
        self.rebalance: str | None = None
        self.requests: list[tuple[str, str, str | None]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeMetadataService

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _send(self, code: int, body: str = "") -> None:
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self) -> None:
        self.server.requests.append(("PUT", self.path, self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")))
        if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            self._send(200, TOKEN)
        else:
            self._send(400)

    def do_GET(self) -> None:
        token = self.headers.get("X-aws-ec2-metadata-token")
        self.server.requests.append(("GET", self.path, token))
        if token != TOKEN:
            self._send(401)
        elif self.path == "/latest/meta-data/spot/instance-action" and self.server.instance_action:
            self._send(200, self.server.instance_action)
        elif self.path == "/latest/meta-data/events/recommendations/rebalance" and self.server.rebalance:
            self._send(200, self.server.rebalance)
        else:
            self._send(404, "Not Found")


@pytest.fixture
def metadata_service() -> Iterator[FakeMetadataService]:
    server = FakeMetadataService()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_metadata_client_speaks_imdsv2(metadata_service: FakeMetadataService):
    client = MetadataClient(metadata_service.url)
    assert client.check() is None
    metadata_service.rebalance = '{"noticeTime": "2026-11-26T12:00:00Z"}'
    assert client.check().kind == "rebalance"
    metadata_service.instance_action = '{"action": "terminate", "time": "2026-11-26T12:02:00Z"}'
    notice = client.check()
    assert notice.kind == "interruption" and "terminate" in notice.detail
    puts = [r for r in metadata_service.requests if r[0] == "PUT"]
    assert puts == [("PUT", "/latest/api/token", "21600")]  # one token, reused
    assert all(r[2] == TOKEN for r in metadata_service.requests if r[0] == "GET")


@pytest.mark.slow
def test_interruption_notice_checkpoints_uploads_and_exits_75(
        tiny_dataset: Path, tmp_path: Path, metadata_service: FakeMetadataService, aws_endpoint: str):
    s3 = boto3.client("s3", endpoint_url=aws_endpoint)
    s3.create_bucket(Bucket="checkpoints")
    run_dir = tmp_path / "run"
    spot = ["--spot-watch", "on", "--imds-endpoint", metadata_service.url, "--spot-poll-s", "0.2",
            "--s3-uri", "s3://checkpoints/runs/spot", "--s3-endpoint", aws_endpoint]
    # First a rebalance recommendation (checkpoint, carry on), then the interruption notice.
    metadata_service.rebalance = '{"noticeTime": "2026-11-26T12:00:00Z"}'
    proc = subprocess.Popen(
        trainer_command("train", "--data-root", str(tiny_dataset), "--run-dir", str(run_dir),
                        "--epochs", "50", *TINY, *spot),
        cwd=REPO, env=trainer_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not any("checkpoint (rebalance recommendation)" in line for line in lines):
            assert proc.poll() is None or reader.is_alive(), "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.05)
        assert proc.poll() is None, "".join(lines)  # a rebalance recommendation does not stop training
        metadata_service.instance_action = '{"action": "terminate", "time": "2026-11-26T12:02:00Z"}'
        proc.wait(timeout=120)
        reader.join(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = "".join(lines)
    assert proc.returncode == EXIT_SPOT_INTERRUPTED, output
    assert "interruption notice" in output
    state = ckpt.load(run_dir / ckpt.LAST)
    assert state["reason"] == "spot interruption" and state["global_step"] >= 2
    marker = json.loads((run_dir / "interrupted.json").read_text())
    assert marker["exit_status"] == 75 and "terminate" in marker["notice"]
    body = s3.get_object(Bucket="checkpoints", Key="runs/spot/last.pt")["Body"].read()
    assert body == (run_dir / ckpt.LAST).read_bytes()
    assert ("PUT", "/latest/api/token", "21600") in metadata_service.requests

    # The replacement instance has an empty run folder: --resume auto fetches from S3.
    fresh = tmp_path / "fresh"
    resumed = run_trainer("train", "--data-root", str(tiny_dataset), "--run-dir", str(fresh),
                          "--epochs", str(state["epoch"] + 1), "--resume", "auto", *TINY,
                          "--s3-uri", "s3://checkpoints/runs/spot", "--s3-endpoint", aws_endpoint)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"global step {state['global_step']}" in resumed.stdout
    assert ckpt.load(fresh / ckpt.LAST)["epoch"] == state["epoch"] + 1
