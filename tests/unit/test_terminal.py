"""console.format.terminal: a program run in the user's terminal, its status handed back."""

from __future__ import annotations

import pytest

from console.hosts.interactive import TerminalError, run_in_terminal


def test_returns_the_programs_exit_status(tmp_path):
    marker = tmp_path / "ran"
    assert run_in_terminal(["sh", "-c", 'touch "$1"; exit 7', "sh", str(marker)]) == 7
    assert marker.exists()


def test_arguments_are_not_read_by_a_shell(tmp_path):
    canary = tmp_path / "CANARY"
    assert run_in_terminal(["echo", f"$(touch {canary})", ";", "&&"]) == 0
    assert not canary.exists()


def test_a_missing_program_is_a_clear_error():
    with pytest.raises(TerminalError, match="no-such-program-here"):
        run_in_terminal(["no-such-program-here"])
    with pytest.raises(TerminalError, match="empty"):
        run_in_terminal([])
