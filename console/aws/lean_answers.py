"""Chosen AWS answers read straight from their XML instead of through botocore's parser.

botocore turns every answer into nested dicts, parsing each date and number the service
model names: for a page of 1,000 S3 keys or of 1,000 EC2 instances that costs several
times the CPU of reading the XML itself, and the console only needs a few fields. botocore
still sends the request (signing, retries, throttling, redirects, error translation stay
its own); only the parsing of a *successful* answer is replaced, and only for calls made
inside ``reading_lean(operation)`` on the calling thread: every other caller of the shared
client keeps botocore's full answer.

It works through botocore's ``before-parse`` event: the handler hands the body to the
operation's reader, puts what it returns under ``LEAN_KEY`` in the answer and leaves
botocore an empty result element to parse. A body the reader cannot read is left to
botocore untouched (its full answer, or its own parse error, comes back instead).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: where the reader's result is found in the answer of a lean call
LEAN_KEY = "LeanAnswer"
_state = threading.local()


def _lean_operations() -> set[str]:
    operations = getattr(_state, "operations", None)
    if operations is None:
        operations = _state.operations = set()
    return operations


def install(client: Any, operation: str, reader: Callable[[bytes], Any], empty: bytes) -> None:
    """Let ``client`` answer ``operation`` (e.g. ``ListObjectsV2``) lean: ``reader(body)``
    for a 200 answer, ``empty`` (an empty result element) for botocore to parse. Idempotent."""
    service = client.meta.service_model.service_id.hyphenize()

    def read_here(response_dict: dict[str, Any], customized_response_dict: dict, **_: Any):
        if operation not in _lean_operations() or response_dict.get("status_code") != 200:
            return  # another caller, or an error answer: botocore parses it as always
        try:
            lean = reader(response_dict["body"])
        except Exception:  # noqa: BLE001 - an odd answer: botocore reads it (and says why not)
            return
        customized_response_dict[LEAN_KEY] = lean
        response_dict["body"] = empty

    client.meta.events.register(
        f"before-parse.{service}.{operation}", read_here, unique_id=f"console-lean-{operation}"
    )


@contextmanager
def reading_lean(operation: str) -> Iterator[None]:
    """Inside this block, on this thread, ``operation``'s answers carry ``LEAN_KEY``."""
    operations = _lean_operations()
    already = operation in operations
    operations.add(operation)
    try:
        yield
    finally:
        if not already:
            operations.discard(operation)


def namespace_of(tag: str) -> str:
    """``{http://…}`` of an element's tag, "" when it has none."""
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""
