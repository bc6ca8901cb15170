"""tests/unit is the fast loop's core (``make test-fast``): pure code, no real services.

A unit test that asks for moto's server, an sshd or a tmux server fails here at once, naming
where it belongs: tests/integration, where those fixtures are real.
"""

from __future__ import annotations

import pytest


def _refuse(service: str) -> None:
    pytest.fail(
        f"tests/unit starts no {service}: this test belongs in tests/integration "
        "(make test-fast runs tests/unit without moto, sshd or tmux)",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def moto_server() -> None:
    _refuse("moto server")


@pytest.fixture(scope="session")
def ssh_material() -> None:
    _refuse("sshd")


@pytest.fixture
def tmux_socket() -> None:
    _refuse("tmux server")
