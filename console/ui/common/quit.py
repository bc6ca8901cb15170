"""The one quit policy: ``q`` never loses work.

- On a form, dialog, wizard or any screen above the main one, ``q`` closes that screen the
  way its Escape does (a form is cancelled, a question answered no); it never ends the app.
  In a field, ``q`` is a letter (the focus policy of ``console.ui.common.focus``).
- On the main screen, ``q`` (and ctrl+q, and the palette's Quit anywhere) ends the app at
  once when nothing started in this run is under way. Otherwise it asks first, naming each
  piece of work and what quitting does to it: a transfer stops and is resumed by the same
  copy run again, a count stops, an unpack streamed from here stops, a copy running as a
  host job goes on there, a mount stays mounted.

What is under way is asked of each view (``ConsoleView.active_work``); the Files view asks
its panels, each of which knows its own runs. Nothing else keeps a list of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from textual.app import App


@dataclass(frozen=True, slots=True)
class ActiveWork:
    """One piece of work under way, in words: what it is and what quitting does to it."""

    #: "Transfer 2: /data → s3://bucket/data (running)"
    what: str
    #: "stops now; copying the same again resumes it"
    on_quit: str


def work_under_way(views: Iterable[object]) -> list[ActiveWork]:
    """Every view's ``active_work()``, in view order."""
    found: list[ActiveWork] = []
    for view in views:
        ask = getattr(view, "active_work", None)
        if callable(ask):
            found.extend(ask())
    return found


def quit_question(work: list[ActiveWork]) -> tuple[str, str]:
    """The question and its detail for quitting while ``work`` is under way."""
    noun = "thing is" if len(work) == 1 else "things are"
    what = f"Quit awsconsole? {len(work)} {noun} under way"
    detail = "\n".join(f"• {item.what}: {item.on_quit}" for item in work)
    return what, detail


async def close_like_escape(app: App, screen: Screen) -> None:
    """Close ``screen`` (not the main one) as its Escape key would: the action it binds to
    Escape (cancel, close, answer no), else a plain dismiss with no result."""
    for binding in screen._bindings.key_to_bindings.get("escape", ()):
        if await app.run_action(binding.action, screen):
            return
    await screen.dismiss(None)


async def close_down_to(app: App, base: Screen) -> None:
    """Dismiss every screen above ``base`` (with no result: forms cancelled, questions not
    answered yes), so that ``base`` is shown."""
    while app.screen is not base and len(app.screen_stack) > 1:
        top = app.screen
        await top.dismiss(None)
        if app.screen is top:  # it would not go (it was not pushed): leave it
            return
