"""What every stream and step of one transfer shares: cancel, pause, progress, resume count."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from console.files.transfer.errors import cancelled


@dataclass
class Control:
    """Shared by every stream of a transfer: cancel, pause, progress, resume count."""

    cancel: threading.Event
    resume: threading.Event  # set while running, cleared while paused
    on_bytes: Callable[[int], None]
    resumes: int = 0

    def checkpoint(self) -> None:
        """Block while paused; raise TransferCancelled once cancelled."""
        while not self.resume.is_set():
            if self.cancel.wait(0.1):
                break
        if self.cancel.is_set():
            raise cancelled()
