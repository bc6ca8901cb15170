"""The installed ``awsconsole`` against an account endpoint (moto's server) in a real
terminal: the Instances view's first page is asked for before the window is built, the
rest follows, other views open when first shown, and the console quits cleanly."""

from __future__ import annotations

import shlex
from pathlib import Path

import boto3
import pytest

from tests.e2e.test_demo_terminal import installed_awsconsole, wait_for
from tests.fixtures.tmux_server import tmux

#: more launches than the first page holds (moto counts its MaxResults in launches)
LAUNCHES = 60


def screen(socket: str) -> str:
    return tmux(socket, "capture-pane", "-p", "-t", "acct").stdout


@pytest.mark.slow
def test_account_console_lists_every_instance_and_quits(
    tmux_socket: str, tmp_path: Path, aws_endpoint: str
):
    ec2 = boto3.client("ec2", endpoint_url=aws_endpoint, region_name="us-east-1")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    for n in range(LAUNCHES):
        ec2.run_instances(
            ImageId=image,
            InstanceType="g5.xlarge",
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"node-{n:02d}"}]}
            ],
        )
    boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1").create_bucket(
        Bucket="acct-bucket"
    )
    status_file = tmp_path / "exit-status"
    config = tmp_path / "config.toml"
    config.write_text("refresh_interval = 60\n", encoding="utf-8")
    command = shlex.join(
        [
            "env",
            "AWS_ACCESS_KEY_ID=testing",
            "AWS_SECRET_ACCESS_KEY=testing",
            f"AWSCONSOLE_CONFIG={config}",
            "TERM=xterm-256color",
            installed_awsconsole(),
            "--endpoint-url",
            aws_endpoint,
            "--region",
            "us-east-1",
        ]
    )
    shell_line = f"{command}; echo $? > {shlex.quote(str(status_file))}"
    started = tmux(
        tmux_socket, "new-session", "-d", "-s", "acct", "-x", "160", "-y", "50", shell_line
    )
    assert started.returncode == 0, started.stderr

    wait_for("every instance listed", lambda: f"{LAUNCHES} instances" in screen(tmux_socket))
    text = screen(tmux_socket)
    assert "node-00" in text and "g5.xlarge" in text and "A10G" in text

    tmux(tmux_socket, "send-keys", "-t", "acct", "2")  # built now, on first show
    try:
        wait_for("the bucket in the Buckets view", lambda: "acct-bucket" in screen(tmux_socket))
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the screen:\n{screen(tmux_socket)}") from None

    tmux(tmux_socket, "send-keys", "-t", "acct", "q")
    wait_for("the console to exit", status_file.exists)
    wait_for("the exit status to be written", lambda: status_file.read_text().strip() != "")
    assert status_file.read_text().strip() == "0"
