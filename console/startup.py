"""Which bundle of services a run of the console gets: the demo's or an account's."""

from __future__ import annotations

from console.services import Services
from console.settings import Settings


def build_services(settings: Settings, *, require_credentials: bool = False) -> Services:
    """The backends for ``settings``: a real account, or with ``settings.demo`` the embedded one.

    With the demo, the demo's shared loopback endpoint is found (or started: it keeps running
    after ``close()``, until ``awsconsole demo stop``), and every instance is this machine
    rooted in a sandbox folder. Otherwise "local" is this
    machine and any other target an SSH host (alias, ``user@host:port``).
    Raises ConfigError (unknown profile, demo cannot start) and, with
    ``require_credentials``, CredentialsError when no credentials are configured.
    """
    if settings.demo:
        from console.demo.services import build_demo_services  # the demo's clients load here

        return build_demo_services(settings)
    # boto3 and the host layer load for the account the command needs
    from console.services.assembly import build_account_services

    return build_account_services(settings, require_credentials=require_credentials)


def build_services_in_background(settings: Settings) -> Services:
    """The demo's services at once, connected to its endpoint on first use (the interactive
    console's first screen shows while boto3 loads, or while a first endpoint starts)."""
    # only the demo's names: its clients load on their own thread, after the first screen
    from console.demo.services import build_demo_services_in_background

    return build_demo_services_in_background(settings)
