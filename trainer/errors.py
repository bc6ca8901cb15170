"""The trainer's error tree: every failure a user can cause is one of these, with a clear message."""

from __future__ import annotations


class TrainerError(Exception):
    """Base class; ``python -m trainer`` prints the message and exits with status 2."""


class ConfigError(TrainerError):
    """A configuration value is out of range or inconsistent."""


class DatasetError(TrainerError):
    """A dataset file is missing or malformed; the message names the file and, where known, the line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class CheckpointError(TrainerError):
    """A checkpoint cannot be read, written or uploaded."""
