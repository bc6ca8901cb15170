"""Blocking backend calls that never hold up quitting.

A thread worker cannot interrupt a boto3 or SSH call stuck on a dead network, and
Textual's shutdown waits for its worker threads. So a worker runs the call in a daemon
thread and waits for either the result or its own cancellation (quit, view closed,
a newer reload): cancelled, it returns at once and the abandoned call ends with the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

Result = TypeVar("Result")


class Abandoned(Exception):
    """The caller was cancelled before the call finished; its result is not wanted."""


def call_until_cancelled(
    call: Callable[[], Result], cancelled: threading.Event, *, name: str = "backend-call"
) -> Result:
    """``call()``'s result or exception; raises Abandoned as soon as ``cancelled`` is set."""
    outcome: dict[str, object] = {}
    finished = threading.Event()

    def run() -> None:
        try:
            outcome["result"] = call()
        except BaseException as error:  # handed to the waiting worker, which re-raises
            outcome["error"] = error
        finally:
            finished.set()

    threading.Thread(target=run, name=name, daemon=True).start()
    while not finished.wait(0.05):
        if cancelled.is_set():
            raise Abandoned(name)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["result"]  # type: ignore[return-value]
