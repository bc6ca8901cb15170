"""Shared pytest set-up: the real services the tests talk to live in tests/fixtures/."""

pytest_plugins = [
    "tests.fixtures.moto_server",
    "tests.fixtures.sshd",
    "tests.fixtures.tmux_server",
]
