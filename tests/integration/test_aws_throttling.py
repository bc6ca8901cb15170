"""Adaptive retries: a loopback proxy in front of moto's server throttles every other request
(503 RequestLimitExceeded for EC2, 503 SlowDown for S3); listings still complete and equal
the truth, because the session retries instead of giving up."""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from console.aws.ec2.service import Ec2Service
from console.aws.s3.service import S3Service
from console.aws.session import AwsSession
from console.settings import Settings

EC2_THROTTLED = (
    b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
    b"<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
    b"</Error></Errors><RequestID>throttled</RequestID></Response>"
)
S3_SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


class ThrottlingProxy(ThreadingHTTPServer):
    """Forwards to ``upstream``; answers every ``every``-th request with a throttling error."""

    daemon_threads = True

    def __init__(self, upstream: str, every: int):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = urllib.parse.urlsplit(upstream)
        self.every = every
        self.lock = threading.Lock()
        self.requests = 0
        self.throttled = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def should_throttle(self) -> bool:
        with self.lock:
            self.requests += 1
            throttle = self.requests % self.every == 1
            self.throttled += throttle
            return throttle


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThrottlingProxy

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _relay(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.should_throttle():
            is_ec2 = b"Action=" in body
            self._answer(503, EC2_THROTTLED if is_ec2 else S3_SLOW_DOWN, "text/xml")
            return
        upstream = http.client.HTTPConnection(
            self.server.upstream.hostname, self.server.upstream.port, timeout=60
        )
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            upstream.request(self.command, self.path, body=body, headers=headers)
            reply = upstream.getresponse()
            data = reply.read()
            self.send_response(reply.status)
            for key, value in reply.getheaders():
                if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        finally:
            upstream.close()

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _relay


@pytest.fixture
def proxy(aws_endpoint) -> Iterator[ThrottlingProxy]:
    server = ThrottlingProxy(aws_endpoint, every=2)
    thread = threading.Thread(target=server.serve_forever, name="throttling-proxy")
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.slow
def test_listings_complete_through_throttling(aws_endpoint, proxy):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint, region_name="us-east-1")
    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    ami = ec2.describe_images(Filters=[{"Name": "name", "Values": ["Deep Learning AMI*"]}])[
        "Images"
    ][0]["ImageId"]
    launched = set()
    for _ in range(8):
        reply = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1)
        launched.add(reply["Instances"][0]["InstanceId"])
    for name in ("bucket-a", "bucket-b", "bucket-c"):
        s3.create_bucket(Bucket=name)

    session = AwsSession(Settings(endpoint_url=proxy.url, region="us-east-1"))
    try:
        # pages of 3: several describe_instances calls, every other one answered "throttled"
        instances = Ec2Service(session, page_size=3).list_instances()
        buckets = S3Service(session).list_buckets()
    finally:
        session.close()

    assert {i.id for i in instances} == launched
    assert [b.name for b in buckets] == ["bucket-a", "bucket-b", "bucket-c"]
    assert proxy.throttled >= 3  # the errors really happened and were retried


def test_the_proxy_really_throttles_a_client_without_retries(proxy):
    from botocore.config import Config
    from botocore.exceptions import ClientError

    bare = boto3.client(
        "ec2",
        endpoint_url=proxy.url,
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )
    with pytest.raises(ClientError, match="RequestLimitExceeded"):
        bare.describe_instances()
