"""DescribeInstances pages read down to what the instance list shows.

5,000 instances make a 15 MB answer; botocore builds a dict per element of it (network
interfaces, block devices, metadata options, each date parsed) though the list shows a
dozen fields. Here only those fields are read, in botocore's shape, so
``console.aws.ec2.answers.instance_from_api`` takes them as it takes botocore's. See
``console.aws.lean_answers`` for how the answer is read instead, and what botocore still
does.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from console.aws.lean_answers import LEAN_KEY, install, namespace_of, reading_lean

OPERATION = "DescribeInstances"
_EMPTY_RESULT = b'<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"/>'

#: XML element -> botocore name, for the plain text fields the list reads
_TEXT_FIELDS = {
    "instanceId": "InstanceId",
    "instanceType": "InstanceType",
    "ipAddress": "PublicIpAddress",
    "privateIpAddress": "PrivateIpAddress",
    "instanceLifecycle": "InstanceLifecycle",
    "keyName": "KeyName",
    "imageId": "ImageId",
}


@dataclass
class InstancePage:
    """One DescribeInstances page: the instances (botocore-shaped, listed fields only)."""

    instances: list[dict[str, Any]] = field(default_factory=list)
    next_token: str | None = None


def _timestamp(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _instance(element: ET.Element, ns: str) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    cut = len(ns)
    for child in element:
        name = child.tag[cut:]
        wire = _TEXT_FIELDS.get(name)
        if wire is not None:
            if child.text:
                raw[wire] = child.text
        elif name == "instanceState":
            raw["State"] = {"Name": child.findtext(f"{ns}name") or "unknown"}
        elif name == "placement":
            zone = child.findtext(f"{ns}availabilityZone")
            raw["Placement"] = {"AvailabilityZone": zone} if zone else {}
        elif name == "launchTime":
            raw["LaunchTime"] = _timestamp(child.text)
        elif name == "tagSet":
            raw["Tags"] = [
                {"Key": item.findtext(f"{ns}key") or "", "Value": item.findtext(f"{ns}value") or ""}
                for item in child
            ]
    return raw


def read_instances(body: bytes) -> InstancePage:
    """The instances and the next token of a DescribeInstances XML answer.

    Raises ``xml.etree.ElementTree.ParseError`` for a body that is not XML.
    """
    root = ET.fromstring(body)
    ns = namespace_of(root.tag)
    page = InstancePage(next_token=root.findtext(f"{ns}nextToken") or None)
    for reservation in root.iterfind(f"{ns}reservationSet/{ns}item"):
        for element in reservation.iterfind(f"{ns}instancesSet/{ns}item"):
            page.instances.append(_instance(element, ns))
    return page


def describe_page(client: Any, *, token: str | None = None, max_results: int | None = None):
    """One lean page of ``aws ec2 describe-instances [--max-results N]``; raises botocore's
    exceptions (wrap the call in ``translate_errors``)."""
    install(client, OPERATION, read_instances, _EMPTY_RESULT)
    params: dict[str, Any] = {}
    if max_results:
        params["MaxResults"] = max_results
    if token:
        params["NextToken"] = token
    with reading_lean(OPERATION):
        answer = client.describe_instances(**params)
    page = answer.get(LEAN_KEY)
    if page is None:  # a stubbed or otherwise unparsed answer: botocore's own dicts
        page = InstancePage(
            instances=[i for r in answer.get("Reservations", []) for i in r.get("Instances", [])],
            next_token=answer.get("NextToken"),
        )
    return page
