"""The one focus policy: where focus goes when a screen or view opens, and how a field is left.

- A view opens with focus on its list (its *home*): ``ConsoleView.home`` names it, or the
  view overrides ``home_widget`` when its list changes (the Buckets view browsing a bucket).
  Every other screen may define ``focus_home()``; one that does not is left with no focus,
  so its own keys (Escape, ``q``) still answer.
- A *field* is a widget one types into: an ``Input``, or a ``TextArea`` that is not
  read-only. While a field has focus, the printable keys are its own (Textual drops the
  bindings of keys a field consumes); the keys that still work from a field are those a
  field does not consume: Escape, alt+1…alt+5, ctrl+g, f1 and ctrl+p.
- Escape in a field leaves the field (focus goes home); it never cancels work and never
  closes the form: a second Escape, now outside the field, does that. Where the field or a
  widget around it (not its screen) binds Escape, that meaning is kept: the ``:`` prompt
  closes, the S3 browser's name filter is cleared (both leave the field too).

The app applies it (``console.app``): ``focus_home(screen)`` after a view is shown, a prompt
closes or a field is left.
"""

from __future__ import annotations

from textual.command import CommandPalette
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

from console.ui.common.literal import TextArea  # the only TextArea the UI makes (guarded)


def is_field(widget: object) -> bool:
    """Whether ``widget`` is something one types into (its printable keys are text)."""
    if isinstance(widget, Input):
        return True
    return isinstance(widget, TextArea) and not widget.read_only


def binds_key_itself(widget: Widget, key: str) -> bool:
    """Whether ``widget`` or a widget around it on its screen (not the screen, not the app)
    gives ``key`` a meaning of its own."""
    node: object = widget
    while isinstance(node, Widget) and not isinstance(node, Screen):
        if node._bindings.key_to_bindings.get(key):
            return True
        node = node.parent
    return False


def is_shown(widget: Widget) -> bool:
    """Whether ``widget`` and every container above it are displayed (a widget in a hidden
    tab, a ContentSwitcher's other child or a hidden filter is not)."""
    node: object = widget
    while isinstance(node, Widget) and not isinstance(node, Screen):
        if not node.display:
            return False
        node = node.parent
    return True


def can_be_home(widget: Widget) -> bool:
    """A widget focus may be sent to: shown, focusable, and not a field."""
    return widget.can_focus and not widget.disabled and is_shown(widget) and not is_field(widget)


def first_home_in(container: Widget) -> Widget | None:
    """The first widget under ``container`` that focus may rest on (never a field)."""
    for widget in container.query("*"):
        if can_be_home(widget):
            return widget
    return None


def focus_home(screen: Screen) -> None:
    """Send focus to ``screen``'s home: its ``focus_home()`` when it has one, else nowhere
    (the screen's own keys answer then)."""
    home = getattr(screen, "focus_home", None)
    if callable(home):
        home()
    else:
        screen.set_focus(None)


def leaves_field_on_escape(screen: Screen) -> bool:
    """Whether Escape pressed now leaves a field (rather than doing what the screen or the
    field itself binds it to)."""
    if isinstance(screen, CommandPalette):
        return False  # the palette's search field: Escape closes the palette
    focused = screen.focused
    return focused is not None and is_field(focused) and not binds_key_itself(focused, "escape")
