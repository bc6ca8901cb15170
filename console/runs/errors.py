"""The errors of the training workflow, each one line for a person with a hint where one helps."""

from __future__ import annotations

from console.errors import ConsoleError


class RunError(ConsoleError):
    """A run cannot be started, found or continued."""

    title = "Training run"


class RunNotFoundError(RunError):
    title = "No such run"


class LedgerError(RunError):
    """The ledger file or its folder cannot be read or written."""

    title = "Run ledger"


class CheckpointListError(RunError):
    """A place to list checkpoints in that cannot be listed, or a checkpoint to fetch that is not there."""

    title = "Checkpoints"


class PredictError(RunError):
    """The trainer could not predict: no Python with torch here, a bad checkpoint or image."""

    title = "Predict"
