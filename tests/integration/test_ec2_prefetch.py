"""The instances' first page asked for ahead (as `awsconsole` does before its window is
built): the listing that follows starts from that answer instead of asking again, a stale
one is asked again, and a failure reaches the listing as the same clear error."""

from __future__ import annotations

import time

import pytest

from console.aws.ec2.service import Ec2Service
from console.aws.session import AwsSession
from console.errors import EndpointError
from console.settings import Settings
from tests.fixtures.moto_server import free_port
from tests.integration.test_ec2_lean_listing import botocore_instances, ec2, seed, session

__all__ = ["ec2", "session"]  # the fixtures, shared with the lean-listing tests


def count_describe_calls(aws: AwsSession) -> list[dict]:
    """The parameters of every DescribeInstances this session's client sends from now on."""
    calls: list[dict] = []
    aws.client("ec2").meta.events.register(
        "before-call.ec2.DescribeInstances",
        lambda params, **_: calls.append(dict(params.get("body", {}))),
    )
    return calls


def wait_for_prefetch(service: Ec2Service) -> None:
    assert service._prefetched is not None
    service._prefetched[1].exception(timeout=30)  # done, whichever way


@pytest.fixture
def small_first_page(monkeypatch):
    monkeypatch.setattr("console.aws.ec2.service.FIRST_PAGE_SIZE", 5)  # EC2's smallest page


def test_listing_starts_from_the_prefetched_page(ec2, session, small_first_page):
    seed(ec2)
    calls = count_describe_calls(session)
    service = Ec2Service(session, page_size=1000)
    service.prefetch_first_page()
    wait_for_prefetch(service)
    assert len(calls) == 1 and calls[0].get("MaxResults") == 5

    firsts: list = []
    listed = service.list_instances(first_page=firsts.append)
    assert listed == botocore_instances(ec2)
    assert len(firsts) == 1 and listed[:5] == firsts[0]
    # one more call for the rest, after the prefetched first page's token
    assert len(calls) == 2 and calls[1].get("NextToken")

    # taken once: the next first-page listing asks EC2 again
    service.list_instances(first_page=firsts.append)
    assert len(calls) == 4


def test_a_stale_prefetch_is_asked_again(ec2, session, small_first_page, monkeypatch):
    seed(ec2)
    monkeypatch.setattr("console.aws.ec2.service.PREFETCH_MAX_AGE", 0.05)
    calls = count_describe_calls(session)
    service = Ec2Service(session, page_size=1000)
    service.prefetch_first_page()
    wait_for_prefetch(service)
    time.sleep(0.1)
    listed = service.list_instances(first_page=lambda page: None)
    assert listed == botocore_instances(ec2)
    assert len(calls) == 3  # the stale prefetch, then a fresh first page and the rest
    assert "NextToken" not in calls[1]


def test_a_reload_does_not_take_the_prefetched_page(ec2, session, small_first_page):
    seed(ec2)
    calls = count_describe_calls(session)
    service = Ec2Service(session, page_size=1000)
    service.prefetch_first_page()
    wait_for_prefetch(service)
    assert service.list_instances() == botocore_instances(ec2)  # no first page wanted
    assert len(calls) == 2 and calls[1].get("MaxResults") == 1000


def test_a_failed_prefetch_reaches_the_listing_as_a_clear_error(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    aws = AwsSession(Settings(endpoint_url=dead, region="us-east-1"))
    try:
        service = Ec2Service(aws)
        service.prefetch_first_page()
        wait_for_prefetch(service)
        with pytest.raises(EndpointError) as raised:
            service.list_instances(first_page=lambda page: None)
        assert "127.0.0.1" in str(raised.value)
        # the failure is not kept: the next listing asks again (and fails again here)
        assert service._prefetched is None
        with pytest.raises(EndpointError):
            service.list_instances(first_page=lambda page: None)
    finally:
        aws.close()
