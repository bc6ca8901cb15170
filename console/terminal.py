"""Run an interactive program in the user's real terminal (``tmux attach``, ``ssh -t``).

The UI suspends itself (``with app.suspend():``) and calls ``run_in_terminal``; the program
owns the terminal until it exits (a tmux detach, ``exit`` in a shell), then the console
comes back. Kept out of ``console.ui`` so the UI never starts processes itself.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from console.errors import ConsoleError


class TerminalError(ConsoleError):
    title = "Terminal"


def run_in_terminal(argv: Sequence[str]) -> int:
    """Run ``argv`` (no shell) attached to this terminal and return its exit status.

    Stands for typing ``argv`` at a shell prompt. Raises TerminalError when the program
    cannot be started (not installed, not executable).
    """
    if not argv:
        raise TerminalError("Nothing to run in the terminal: the command is empty.")
    try:
        return subprocess.call(list(argv))
    except OSError as exc:
        raise TerminalError(f"Cannot run {argv[0]!r}: {exc.strerror or exc}.") from exc
