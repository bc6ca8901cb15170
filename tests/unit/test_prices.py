"""The shipped price table, the PriceBook's choice of source, and the SSH argv for instances."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from console.aws.ec2.connect import instance_jupyter_argv, instance_shell_argv
from console.aws.ec2.prices import PRICING_API_SOURCE, SPOT_SOURCE, PriceBook, shipped_table
from console.errors import ConfigError, HostConfigError
from console.models import Instance, InstanceState, SpotPrice
from console.settings import InstancesSettings, Settings

FAMILIES = ("g4dn", "g5", "g6", "g6e", "p3", "p4d", "p5")


def make(instance_type="g5.xlarge", market="on-demand", **extra) -> Instance:
    values = dict(
        id="i-1",
        name="train",
        type=instance_type,
        state=InstanceState.RUNNING,
        availability_zone="us-east-1a",
        market=market,
        public_ip="203.0.113.5",
    )
    values.update(extra)
    return Instance(**values)


def test_table_is_dated_and_covers_every_family_in_us_east_1():
    table = shipped_table()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table.as_of)
    assert table.source == f"table {table.as_of}"
    families = {t.split(".")[0] for t in table.types_in("us-east-1")}
    assert set(FAMILIES) <= families
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        assert all(p > 0 for p in table.prices[region].values())


class FakePricing:
    """A stand-in for the Pricing API's client shape (the API itself is not in moto)."""

    def __init__(self, fail: bool = False):
        self.fail, self.calls = fail, 0

    def get_products(self, **_):
        self.calls += 1
        if self.fail:
            raise ConnectionError("no pricing endpoint")
        term = {"priceDimensions": {"d": {"pricePerUnit": {"USD": "1.5000000000"}}}}
        return {"PriceList": [json.dumps({"terms": {"OnDemand": {"t": term}}})]}


def test_pricing_api_answer_wins_and_is_labelled():
    pricing = FakePricing()
    book = PriceBook("us-east-1", lambda types: {}, pricing_client=lambda: pricing)
    price = book.on_demand("g5.xlarge")
    assert (price.price_per_hour, price.source) == (1.5, PRICING_API_SOURCE)
    book.on_demand("g5.xlarge")
    assert pricing.calls == 1  # cached


def test_failing_pricing_api_falls_back_to_the_table_once():
    pricing = FakePricing(fail=True)
    book = PriceBook("us-east-1", lambda types: {}, pricing_client=lambda: pricing)
    for _ in range(3):
        price = book.on_demand("g4dn.xlarge")
        assert price.price_per_hour == shipped_table().lookup("us-east-1", "g4dn.xlarge")
        assert price.source.startswith("table ")
    assert pricing.calls == 1
    assert "no pricing endpoint" in book.pricing_api_off


def test_spot_uses_its_zone_price_and_unknown_types_have_none():
    now = dt.datetime.now(dt.UTC)
    spot = {("g5.xlarge", "us-east-1a"): SpotPrice("g5.xlarge", "us-east-1a", 0.42, now, "L")}
    book = PriceBook("us-east-1", lambda types: spot)
    prices = book.for_instances(
        [make(market="spot"), make("x9.huge", id="i-2"), make("g5.xlarge", id="i-3")]
    )
    assert (prices["i-1"].price_per_hour, prices["i-1"].source) == (0.42, SPOT_SOURCE)
    assert "i-2" not in prices
    assert prices["i-3"].source.startswith("table ")


def test_shell_argv_uses_the_key_file_and_configured_user(tmp_path):
    (tmp_path / "train-key.pem").write_text("k")
    settings = InstancesSettings(ssh_user="ec2-user", key_dir=str(tmp_path))
    argv = instance_shell_argv(make(key_name="train-key"), settings)
    assert argv == [
        "ssh",
        "-i",
        str(tmp_path / "train-key.pem"),
        "-t",
        "--",
        "ec2-user@203.0.113.5",
    ]
    # no key file: ssh's own configuration decides
    assert "-i" not in instance_shell_argv(make(key_name="absent"), settings)


def test_jupyter_argv_forwards_the_configured_port(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[instances]\njupyter_port = 8890\n")
    settings = Settings.load(config, environ={}).instances
    argv = instance_jupyter_argv(make(), settings)
    assert argv[argv.index("-L") + 1] == "127.0.0.1:8890:localhost:8890"
    assert argv[-1] == "ubuntu@203.0.113.5"


def test_unreachable_instances_and_bad_ports_are_named(tmp_path):
    with pytest.raises(HostConfigError, match="train has no public IP"):
        instance_shell_argv(make(public_ip=None), InstancesSettings())
    with pytest.raises(HostConfigError, match="stopped"):
        instance_shell_argv(make(state=InstanceState.STOPPED), InstancesSettings())
    config = tmp_path / "config.toml"
    for bad in ('"lots"', "70000", "0"):
        config.write_text(f"[instances]\njupyter_port = {bad}\n")
        with pytest.raises(ConfigError, match="jupyter_port"):
            Settings.load(config, environ={})


def test_console_output_fingerprints_are_paired_with_their_key_types():
    from console.aws.ec2.service import host_key_fingerprints
    from console.hosts.ssh.knownhosts import fingerprint

    ed25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIKxdj4n7hQwKbVZr0nE3vQx0f2mE8bpDg2qDq5cX3v9H"
    extra = "SHA256:" + "A" * 43
    output = "\n".join(
        [
            "[   12.0] cloud-init[800]: Generating public/private ed25519 key pair.",
            "-----BEGIN SSH HOST KEY FINGERPRINTS-----",
            f"256 {fingerprint(ed25519)} root@ip-10-0-0-5 (ED25519)",
            f"3072 {extra} root@ip-10-0-0-5 (RSA)",
            "-----END SSH HOST KEY FINGERPRINTS-----",
            "-----BEGIN SSH HOST KEY KEYS-----",
            f"ssh-ed25519 {ed25519} root@ip-10-0-0-5",
            "-----END SSH HOST KEY KEYS-----",
        ]
    )
    assert host_key_fingerprints(output) == (
        ("ssh-ed25519", fingerprint(ed25519)),
        ("", extra),
    )
    assert host_key_fingerprints("no keys here") == ()


def test_a_zero_spot_price_falls_back_to_the_labelled_on_demand_figure():
    now = dt.datetime.now(dt.UTC)
    spot = {("g5.xlarge", "us-east-1a"): SpotPrice("g5.xlarge", "us-east-1a", 0.0, now, "L")}
    book = PriceBook("us-east-1", lambda types: spot)
    price = book.for_instances([make(market="spot")])["i-1"]
    assert price.price_per_hour == shipped_table().lookup("us-east-1", "g5.xlarge")
    assert price.source == f"table {shipped_table().as_of} (on-demand)"
