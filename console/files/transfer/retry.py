"""The one way a transfer tries again after a passing failure.

A dropped connection is passing (the host's pooled connection reconnects, a killed ``ssh``
stream is started again from the byte it reached); a full disk, a missing file or a refused
login is not, and ends the transfer at once. A ``RetryPolicy`` says which errors pass, how
many failures in a row are borne, and how long to wait between tries: the first
``free_retries`` failures are retried at once (a killed connection reconnects straight
away), later ones after a wait that doubles from ``first_wait`` up to ``max_wait`` (a host
that went away gets time to come back). Every wait ends the moment the transfer is
cancelled, and raises TransferCancelled: a cancel never waits out a backoff.

``RetryPolicy.call`` runs one action under the policy; ``Tries`` keeps the count for a loop
that makes progress between failures (a stream that carried some bytes before it broke
starts its count again).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from console.errors import HostUnreachableError
from console.files.transfer.errors import cancelled

T = TypeVar("T")

#: what may be called with (the error, failures in a row so far)
OnRetry = Callable[[BaseException, int], None]
GiveUp = Callable[[BaseException, int], BaseException]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently an action that failed for a passing reason is tried again."""

    #: failures in a row that end the tries (the last one is raised)
    attempts: int
    #: the wait before the first try that waits; each later wait doubles it
    first_wait: float
    #: the longest wait
    max_wait: float = 4.0
    #: failures in a row retried without waiting
    free_retries: int = 0
    #: the errors that pass; any other is raised at once
    transient: tuple[type[BaseException], ...] = (HostUnreachableError,)

    def is_transient(self, error: BaseException) -> bool:
        return isinstance(error, self.transient)

    def wait_after(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failures in a row (1 = the first)."""
        waited = failures - self.free_retries
        if waited <= 0:
            return 0.0
        return min(self.first_wait * 2 ** (waited - 1), self.max_wait)

    def pause(self, failures: int, cancel: threading.Event | None = None) -> None:
        """Wait as long as ``failures`` calls for. Raises TransferCancelled when ``cancel``
        is set before or during the wait (the wait then ends at once)."""
        delay = self.wait_after(failures)
        if cancel is None:
            if delay:
                time.sleep(delay)
            return
        if cancel.is_set() or cancel.wait(delay):
            raise cancelled()

    def tries(
        self,
        cancel: threading.Event | None = None,
        *,
        on_retry: OnRetry | None = None,
        give_up: GiveUp | None = None,
    ) -> Tries:
        """A fresh count of failures under this policy (see ``Tries``)."""
        return Tries(self, cancel, on_retry, give_up)

    def call(
        self,
        action: Callable[[], T],
        *,
        cancel: threading.Event | None = None,
        before: Callable[[], None] | None = None,
        on_retry: OnRetry | None = None,
        give_up: GiveUp | None = None,
    ) -> T:
        """``action()``'s result, trying again after each passing failure.

        ``before`` runs ahead of every try (a transfer's ``checkpoint``: it blocks while
        paused and raises once cancelled); ``on_retry(error, failures)`` runs before each
        wait; ``give_up(error, failures)`` builds the error raised when the tries are spent
        (default: the last failure itself). Raises the first error that does not pass,
        that one, or TransferCancelled when ``cancel`` is set during a wait.
        """
        tries = self.tries(cancel, on_retry=on_retry, give_up=give_up)
        while True:
            if before is not None:
                before()
            try:
                return action()
            except BaseException as error:  # noqa: BLE001 - judged (and re-raised) by failed()
                tries.failed(error)


class Tries:
    """The failures in a row of one action under a policy.

    ``failed(error)`` after a failure returns when the action should be tried again (after
    the policy's wait) and raises otherwise. A failure that came after the action moved on
    (``after_progress``) is not counted: the count starts again and the retry is at once.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        cancel: threading.Event | None,
        on_retry: OnRetry | None,
        give_up: GiveUp | None,
    ):
        self.policy = policy
        self.cancel = cancel
        self.on_retry = on_retry
        self.give_up = give_up
        self.failures = 0

    def failed(self, error: BaseException, *, after_progress: bool = False) -> None:
        """Count ``error``. Returns once it is time to try again; raises ``error`` when it
        does not pass, ``give_up``'s error (or ``error``) when the tries are spent, and
        TransferCancelled when the transfer is cancelled before or during the wait."""
        if not self.policy.is_transient(error):
            raise error
        self.failures = 0 if after_progress else self.failures + 1
        if self.failures >= self.policy.attempts:
            if self.give_up is not None:
                raise self.give_up(error, self.failures) from error
            raise error
        if self.on_retry is not None:
            self.on_retry(error, self.failures)
        self.policy.pause(self.failures, self.cancel)


#: one small file or one helper call through a host's pooled connection (the host reconnects
#: on the next call): a dead host is given 0.25 + 0.5 + 1 + 2 + 4 s to come back
POOLED_CALL = RetryPolicy(attempts=6, first_wait=0.25, max_wait=4.0)
#: a quick question to a host (a hash, a rename) between the steps of a copy
HELPER_CALL = RetryPolicy(attempts=3, first_wait=0.2, max_wait=0.4)
