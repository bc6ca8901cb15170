"""The demo instances' metadata stand-in: IMDSv2's token dance, a spot notice only after it is
announced, only for the trainers already watching, and only on the instance it names."""

from __future__ import annotations

import json

from console.demo.metadata import INTERRUPT_PREFIX, PREFIX, MetadataStandIn

TTL = {"x-aws-ec2-metadata-token-ttl-seconds": "21600"}
ACTION = "latest/meta-data/spot/instance-action"


def token(imds: MetadataStandIn, name: str) -> str:
    status, body = imds.answer("PUT", f"{PREFIX}{name}/latest/api/token", TTL)
    assert status == "200 OK"
    return body


def ask(imds: MetadataStandIn, name: str, what: str, with_token: str | None) -> tuple[str, str]:
    headers = {} if with_token is None else {"x-aws-ec2-metadata-token": with_token}
    return imds.answer("GET", f"{PREFIX}{name}/{what}", headers)


def test_a_notice_reaches_the_trainers_already_watching_and_not_a_relaunch():
    imds = MetadataStandIn()
    watching = token(imds, "fashion-train")
    assert ask(imds, "fashion-train", ACTION, watching) == ("404 Not Found", "")

    status, announced = imds.answer("POST", f"{INTERRUPT_PREFIX}fashion-train", {})
    relaunched = token(imds, "fashion-train")

    assert status == "200 OK" and json.loads(announced)["action"] == "terminate"
    assert ask(imds, "fashion-train", ACTION, watching) == ("200 OK", announced)
    assert ask(imds, "fashion-train", ACTION, relaunched) == ("404 Not Found", "")
    rebalance = "latest/meta-data/events/recommendations/rebalance"
    assert ask(imds, "fashion-train", rebalance, watching)[0] == "404 Not Found"


def test_a_notice_stays_on_its_instance():
    imds = MetadataStandIn()
    other = token(imds, "fashion-eval")
    imds.announce("fashion-train")

    assert ask(imds, "fashion-eval", ACTION, other) == ("404 Not Found", "")
    # a token is its instance's: another one's is refused as IMDS refuses a bad token
    assert ask(imds, "fashion-train", ACTION, other)[0] == "401 Unauthorized"


def test_requests_without_a_token_or_ttl_or_with_odd_names_are_refused():
    imds = MetadataStandIn()

    assert ask(imds, "fashion-train", ACTION, None)[0] == "401 Unauthorized"
    assert ask(imds, "fashion-train", ACTION, "made-up")[0] == "401 Unauthorized"
    assert imds.answer("PUT", f"{PREFIX}fashion-train/latest/api/token", {})[0] == "400 Bad Request"
    assert imds.answer("GET", f"{PREFIX}fashion-train/latest/api/token", TTL)[0] == (
        "405 Method Not Allowed")
    for name in ("..", "a/../b", "-x", "", "x" * 200, "a b"):
        assert imds.answer("POST", f"{INTERRUPT_PREFIX}{name}", {})[0] == "404 Not Found", name
        assert imds.answer("PUT", f"{PREFIX}{name}/latest/api/token", TTL)[0] == "404 Not Found"
    assert imds.answer("GET", f"{INTERRUPT_PREFIX}fashion-train", {})[0] == "404 Not Found"
