"""Shared pytest set-up: the real services the tests talk to live in tests/fixtures/.

The suite runs in parallel processes (pytest-xdist: ``make test``, ``make test-fast``). Each
worker process starts its own servers (moto, the two sshds) on ports the kernel hands out,
has its own tmux folder, and names what it makes in shared places (the sshd test user's
home, /tmp) so that no other process's name can match it.

Markers: ``fast`` (no real AWS endpoint, tmux or sshd: ``make test-fast`` runs them; every
test in tests/unit is one) and ``slow`` (long-running; still part of the full suite).
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

# One torch thread in every trainer the suite starts (directly, in a tmux job, through the
# console): the suite runs more processes than this machine has cores, and torch's default
# of a thread per core in each of them leaves its threads waiting on one another. Measured
# on 2 cores beside three busy processes: the demo training end-to-end test took 105 s
# with the default and 48 s with one thread. Results do not depend on it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# The garbage collector's full passes in a test process are few and far apart. A test process
# holds a big heap that keeps changing (moto's server with its backends rebuilt on every
# reset, botocore's models, Textual apps, one per UI test), and with the default thresholds
# (700, 10, 10) a full pass came every few seconds and walked all of it: measured on seven UI
# modules in 4 processes, 46 full passes per process took 30 of its 55 CPU-seconds' wall time
# and the run 140 s; with (5000, 20, 20), 2 passes and 97 s. Garbage is still collected (the
# young generations often, all of it every ~2M allocations): a process stays near 1 GB.
gc.set_threshold(5000, 20, 20)

pytest_plugins = [
    "tests.fixtures.demo_endpoint",
    "tests.fixtures.moto_server",
    "tests.fixtures.nvidia_smi",
    "tests.fixtures.places",
    "tests.fixtures.sshd",
    "tests.fixtures.tmux_server",
]

UNIT = Path(__file__).parent / "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(UNIT):
            item.add_marker(pytest.mark.fast)


@pytest.fixture(autouse=True)
def state_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """The console's state folder (forms' last values, transfer locks): one of this test's
    own, for every test, the consoles it starts in tmux or as a subprocess included (they
    inherit the variable), so no test fills a form in for another nor touches the user's:
    a train form remembered by another end-to-end test once pointed a demo trainer at that
    test's metadata stand-in, whose spot notice then stopped it."""
    folder = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(folder))
    return folder / "awsconsole"
