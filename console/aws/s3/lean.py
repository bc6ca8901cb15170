"""ListObjectsV2 pages read down to what a count needs: each key and its size.

A count of 100,000 keys otherwise spends most of its CPU in botocore building a dict (with a
parsed date, ETag, checksum and storage class) per object; see ``console.aws.lean_answers``
for how the answer is read instead, and what botocore still does.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from console.aws.lean_answers import LEAN_KEY, install, namespace_of, reading_lean

OPERATION = "ListObjectsV2"
#: what botocore parses instead of the real body once its content has been read here
_EMPTY_RESULT = b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'


@dataclass
class KeyPage:
    """One ListObjectsV2 page: (key, size) of each object, common prefixes, next token."""

    keys: list[tuple[str, int]] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    next_token: str | None = None


def parse_list_page(body: bytes) -> KeyPage:
    """The keys, sizes, prefixes and continuation token of a ListObjectsV2 XML answer.

    Keys sent with ``EncodingType=url`` (botocore always asks for it, so that any key,
    control characters included, survives XML) are decoded as botocore does.
    Raises ``xml.etree.ElementTree.ParseError`` for a body that is not XML.
    """
    root = ET.fromstring(body)
    ns = namespace_of(root.tag)
    encoded = (root.findtext(f"{ns}EncodingType") or "").lower() == "url"
    decode = unquote_plus if encoded else (lambda text: text)
    page = KeyPage()
    contents, common, key_tag, size_tag, prefix_tag = (
        f"{ns}Contents",
        f"{ns}CommonPrefixes",
        f"{ns}Key",
        f"{ns}Size",
        f"{ns}Prefix",
    )
    for element in root:
        tag = element.tag
        if tag == contents:
            page.keys.append(
                (decode(element.findtext(key_tag) or ""), int(element.findtext(size_tag) or 0))
            )
        elif tag == common:
            page.prefixes.append(decode(element.findtext(prefix_tag) or ""))
    if (root.findtext(f"{ns}IsTruncated") or "").lower() == "true":
        page.next_token = root.findtext(f"{ns}NextContinuationToken")
    return page


def list_page(
    client: Any,
    bucket: str,
    prefix: str,
    *,
    delimiter: str | None = None,
    token: str | None = None,
    max_keys: int = 1000,
) -> KeyPage:
    """One lean page of ``s3://bucket/prefix`` (``aws s3api list-objects-v2 --bucket B
    --prefix P [--delimiter D] --max-keys N``). Raises botocore's exceptions (NoSuchBucket,
    AccessDenied, …): wrap the call in ``translate_errors``."""
    install(client, OPERATION, parse_list_page, _EMPTY_RESULT)
    params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": max_keys}
    if delimiter:
        params["Delimiter"] = delimiter
    if token:
        params["ContinuationToken"] = token
    with reading_lean(OPERATION):
        answer = client.list_objects_v2(**params)
    page = answer.get(LEAN_KEY)
    if page is None:  # a stubbed or otherwise unparsed answer: botocore's own dicts
        page = KeyPage(
            keys=[(o["Key"], int(o.get("Size", 0))) for o in answer.get("Contents", [])],
            prefixes=[p["Prefix"] for p in answer.get("CommonPrefixes", [])],
            next_token=answer.get("NextContinuationToken") if answer.get("IsTruncated") else None,
        )
    return page
