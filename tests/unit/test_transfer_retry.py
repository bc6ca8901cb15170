"""The one retry policy of transfers: passing errors are tried again with a growing wait,
lasting ones end the action at once, and a cancel ends a wait the moment it comes."""

from __future__ import annotations

import threading

import pytest

from console.errors import HostUnreachableError, RemoteFileError
from console.files.transfer import ssh_streams
from console.files.transfer.control import Control
from console.files.transfer.errors import TransferCancelled
from console.files.transfer.retry import HELPER_CALL, POOLED_CALL, RetryPolicy

#: how long a test waits for a thread it started (a deadline, never a measurement)
DEADLINE = 30.0


class Dropped:
    """An action that fails with a dropped connection ``failures`` times, then succeeds."""

    def __init__(self, failures: int, error: BaseException | None = None):
        self.failures = failures
        self.error = error or HostUnreachableError("the connection dropped")
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "done"


def test_a_passing_error_is_tried_again_until_the_action_succeeds():
    action = Dropped(2)
    retried: list[int] = []
    policy = RetryPolicy(attempts=3, first_wait=0.0)
    assert policy.call(action, on_retry=lambda _error, failures: retried.append(failures)) == "done"
    assert action.calls == 3 and retried == [1, 2]


def test_a_lasting_error_is_raised_at_once_without_a_second_try():
    action = Dropped(5, RemoteFileError("No such file"))
    retried: list[int] = []
    with pytest.raises(RemoteFileError, match="No such file"):
        RetryPolicy(attempts=5, first_wait=0.0).call(
            action, on_retry=lambda _error, failures: retried.append(failures)
        )
    assert action.calls == 1 and retried == []


def test_which_errors_pass_is_the_policys_choice():
    streams = ssh_streams.stream_retry()
    assert streams.is_transient(ConnectionError("ssh died"))
    assert not streams.is_transient(HostUnreachableError("gone"))
    for policy in (POOLED_CALL, HELPER_CALL):
        assert policy.is_transient(HostUnreachableError("dropped"))
        assert not policy.is_transient(RemoteFileError("Permission denied"))
        assert not policy.is_transient(TransferCancelled("cancelled"))


def test_spent_tries_raise_the_last_failure_or_the_error_the_caller_builds():
    action = Dropped(10)
    with pytest.raises(HostUnreachableError, match="dropped"):
        RetryPolicy(attempts=4, first_wait=0.0).call(action)
    assert action.calls == 4

    action = Dropped(10)
    with pytest.raises(TransferCancelled, match="gave up after 2") as caught:
        RetryPolicy(attempts=2, first_wait=0.0).call(
            action, give_up=lambda _error, failures: TransferCancelled(f"gave up after {failures}")
        )
    assert isinstance(caught.value.__cause__, HostUnreachableError) and action.calls == 2


def test_the_wait_doubles_after_the_free_retries_up_to_its_cap():
    policy = RetryPolicy(attempts=9, first_wait=0.5, max_wait=4.0, free_retries=1)
    assert [policy.wait_after(n) for n in range(1, 8)] == [0.0, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert [POOLED_CALL.wait_after(n) for n in range(1, 6)] == [0.25, 0.5, 1.0, 2.0, 4.0]
    assert [HELPER_CALL.wait_after(n) for n in range(1, 3)] == [0.2, 0.4]
    # a killed stream is re-opened at once; a host that keeps refusing is backed off
    assert ssh_streams.stream_retry().wait_after(1) == 0.0
    assert ssh_streams.stream_retry().wait_after(2) == ssh_streams.RETRY_BACKOFF_S


def test_a_failure_after_progress_starts_the_count_again():
    error = ConnectionError("killed")
    tries = RetryPolicy(attempts=2, first_wait=0.0, transient=(ConnectionError,)).tries()
    for _ in range(5):  # every stream got bytes through before it broke: never given up
        tries.failed(error, after_progress=True)
    tries.failed(error)  # one failure without progress: still borne
    with pytest.raises(ConnectionError):
        tries.failed(error)  # the second in a row ends it


def run_in_thread(action) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = action()
        except BaseException as exc:  # noqa: BLE001 - looked at by the test
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def test_a_cancel_during_a_backoff_wait_stops_at_once():
    policy = RetryPolicy(attempts=3, first_wait=3600.0, max_wait=3600.0)  # an hour between tries
    cancel = threading.Event()
    waiting = threading.Event()
    action = Dropped(10)
    thread, outcome = run_in_thread(
        lambda: policy.call(action, cancel=cancel, on_retry=lambda _e, _n: waiting.set())
    )
    assert waiting.wait(DEADLINE), "the first try never failed"
    cancel.set()
    thread.join(DEADLINE)
    assert not thread.is_alive(), "the cancel did not end the hour-long wait"
    assert isinstance(outcome.get("error"), TransferCancelled)
    assert action.calls == 1  # no try after the cancel


def test_a_transfer_cancelled_before_the_failure_does_not_wait_at_all():
    cancel = threading.Event()
    cancel.set()
    action = Dropped(10)
    thread, outcome = run_in_thread(
        lambda: RetryPolicy(attempts=3, first_wait=3600.0, max_wait=3600.0).call(
            action, cancel=cancel
        )
    )
    thread.join(DEADLINE)
    assert not thread.is_alive() and isinstance(outcome.get("error"), TransferCancelled)
    assert action.calls == 1


def test_a_paused_transfer_is_not_tried_again_and_a_cancel_ends_it():
    """``before`` (the transfer's checkpoint) runs ahead of every try: a pause holds the
    retry, and a cancel while paused ends it without another try."""
    control = Control(threading.Event(), threading.Event(), lambda _n: None)
    control.resume.set()
    action = Dropped(10)
    held = threading.Event()

    def before() -> None:
        if action.calls:
            held.set()
        control.checkpoint()

    thread, outcome = run_in_thread(
        lambda: RetryPolicy(attempts=5, first_wait=0.0).call(
            action,
            cancel=control.cancel,
            before=before,
            on_retry=lambda _e, _n: control.resume.clear(),  # paused right after the failure
        )
    )
    assert held.wait(DEADLINE), "the retry did not reach the checkpoint"
    assert action.calls == 1  # held before its second try
    control.cancel.set()
    thread.join(DEADLINE)
    assert not thread.is_alive() and isinstance(outcome.get("error"), TransferCancelled)
    assert action.calls == 1
