"""``make_app(settings, services)``: the one factory for the CLI, Pilot tests and snapshots.

The app owns what is global: the quit and read-only keys, the user's keymap, the header's
subtitle (with "autostop 30m" when ``[idle] autostop_minutes`` is set), the autostopper's
worker (``console.ui.gpu.autostop``), the command palette, the AWS profile and region switch
(``P``), and the single handler that turns a failed worker anywhere into a notification
plus an error line in the view that ran it. It applies the one focus policy (``console.ui.common.focus``: Escape in a
field leaves it; help, the palette and the view jumps reach every screen) and the one quit
policy (``console.ui.common.quit``: ``q`` closes a form, and on the main screen asks first
while work started here is under way). Its notifications and header are literal text (``LiteralApp``): a message
quoting AWS, a host or a name is shown as written, never read as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.reactive import reactive
from textual.screen import Screen

from console.format.autostop import autostop_title
from console.models import AwsTarget
from console.settings import Settings
from console.settings.keymap import cleaned, keymap_problems
from console.ui.account.aws_target import (
    AwsChoice,
    AwsTargetChanged,
    AwsTargetScreen,
    describe_target,
)
from console.ui.common.bindings_catalog import binding_ids, ui_node_classes
from console.ui.common.bindings_info import current_bindings
from console.ui.common.confirm import ConfirmScreen
from console.ui.common.failures import BackendFailed, offer_to_trust_host_key
from console.ui.common.focus import focus_home, leaves_field_on_escape
from console.ui.common.guards import run_destructive
from console.ui.common.help import HelpScreen
from console.ui.common.jump_prompt import JumpPrompt
from console.ui.common.palette import ConsoleCommands
from console.ui.common.quit import close_down_to, close_like_escape, quit_question
from console.ui.common.text import LiteralApp
from console.ui.common.view_base import ConsoleView, ResourceView
from console.ui.gpu.autostop import (
    AutoStopReported,
    autostop_wanted,
    report_notification,
    start_autostop,
)
from console.ui.main_screen import MainScreen
from console.ui.registry import VIEWS

if TYPE_CHECKING:  # the UI reaches backends only through the object it is given
    from console.services import AutoStopHandle, Services


class ConsoleApp(LiteralApp, App[None]):
    CSS_PATH = "ui/app.tcss"
    TITLE = "awsconsole"
    COMMANDS = {ConsoleCommands}
    BINDINGS = [
        # priority, so it also reaches forms and dialogs (they cut the app's other keys
        # off); a field that takes q as a letter keeps it (Textual drops consumed keys)
        Binding(
            "q",
            "close_or_quit",
            "Quit",
            id="app.quit",
            priority=True,
            tooltip="Leave the console (asks first while work started here is under way); "
            "on a form or dialog, close it",
        ),
        Binding(
            "escape",
            "leave_field",
            "Leave field",
            id="app.leave_field",
            priority=True,
            show=False,
            tooltip="Leave the text field (a second Escape closes the form)",
        ),
        Binding(
            "question_mark",
            "help",
            "Help",
            id="help.open",
            key_display="?",
            tooltip="List every key of this view and the global ones (f1 from a field)",
        ),
        Binding("f1", "help", "Help", id="help.open.f1", priority=True, show=False),
        Binding(
            "ctrl+l",
            "toggle_read_only",
            "Read-only",
            id="app.read_only",
            show=False,
            tooltip="Lock (or unlock) destructive actions for this session",
        ),
        Binding(
            "P",
            "switch_aws",
            "Profile / region",
            id="app.switch_aws",
            show=False,
            tooltip="Switch the AWS profile or region (jobs and hosts stay as they are)",
        ),
    ]

    #: destructive actions are refused while this is True
    read_only: reactive[bool] = reactive(False)

    def __init__(self, settings: Settings, services: Services) -> None:
        super().__init__()
        self.settings = settings
        self.services = services
        #: binding id -> keys, as applied (the config's keymap without its mistakes)
        self.keymap_in_use: dict[str, str] = {}
        self.set_reactive(ConsoleApp.read_only, settings.read_only or services.read_only)
        #: the target of the last successful switch (None: still the one it started with)
        self.switched_to: AwsTarget | None = None
        self._asking_to_quit = False
        #: the autostopper while it runs (``[idle] autostop_minutes``; see
        #: console.ui.gpu.autostop); None when autostop is off or not started yet
        self.autostop: AutoStopHandle | None = None

    # -- start-up ------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return MainScreen(self.services, refresh_interval=self.settings.refresh_interval)

    @property
    def main_screen(self) -> MainScreen:
        return self.screen_stack[0]  # type: ignore[return-value]

    def on_mount(self) -> None:
        known = known_binding_ids()
        for problem in keymap_problems(self.settings.keymap, known):
            self.notify(problem, title="Configuration", severity="error", timeout=15)
        self.keymap_in_use = cleaned(self.settings.keymap, known)
        self.set_keymap(self.keymap_in_use)
        self.sub_title = self.describe_target()
        if autostop_wanted(self.services, self.started_read_only):
            start_autostop(self)

    @property
    def started_read_only(self) -> bool:
        """Started with --read-only (or ``read_only = true``): ctrl+l cannot unlock it."""
        return bool(self.settings.read_only or self.services.settings.read_only)

    def describe_target(self) -> str:
        """The header's subtitle: which account and region this is, and the lock state."""
        s = self.services.settings  # what the backends really use (the demo fills some in)
        parts = ["demo" if self.settings.demo or s.demo else f"profile {s.profile or 'default'}"]
        if s.region:
            parts.append(s.region)
        if s.endpoint_url and not s.demo:
            parts.append(s.endpoint_url)
        if self.read_only:
            parts.append("READ-ONLY")
        autostop = autostop_title(s.idle.autostop_minutes, read_only=self.read_only)
        if autostop:
            parts.append(autostop)
        return " · ".join(parts)

    def on_auto_stop_reported(self, message: AutoStopReported) -> None:
        """The autostopper stopped an instance, or could not: say so, naming it."""
        text, severity = report_notification(message.report)
        self.notify(text, title="Autostop", severity=severity, timeout=30)  # type: ignore[arg-type]

    def watch_read_only(self) -> None:
        # the services refuse every change themselves, asked at the moment it runs
        self.services.lock(self.read_only)
        self.sub_title = self.describe_target()

    # -- profile and region --------------------------------------------------------------

    def action_switch_aws(self) -> None:
        if isinstance(self.screen, AwsTargetScreen):
            return  # already open
        self.push_screen(AwsTargetScreen(self.services), callback=self.switch_aws)

    def switch_aws(self, choice: AwsChoice | None) -> None:
        """Rebuild the AWS clients for ``choice`` in a thread; on success the header and
        every view follow, on failure the old profile and region stay in use."""
        if choice is None:
            return
        wanted = AwsTarget(choice.profile, choice.region)
        self.notify(f"Switching to {describe_target(wanted)}…", title="AWS", timeout=3)

        def work() -> None:
            try:
                target = self.services.switch_aws(choice.profile, choice.region)
            except Exception as error:  # noqa: BLE001 - shown by the one failure handler
                self.post_message(BackendFailed(self, error))
                return
            self.call_from_thread(self._aws_switched, target)

        self.run_worker(work, name="switch-aws", group="switch-aws", thread=True, exclusive=True)

    def _aws_switched(self, target: AwsTarget) -> None:
        self.switched_to = target
        self.sub_title = self.describe_target()
        account = f" (account {target.identity.account})" if target.identity else ""
        self.notify(f"Now {describe_target(target)}{account}.", title="AWS")
        main = self.screen_stack[0]
        for view in main.query(ConsoleView):
            if isinstance(view, ResourceView):
                # a view out of sight loads when it is next shown, the visible one now
                view.loaded_once = False
                if view.is_active:
                    view.action_reload()
            view.post_message(AwsTargetChanged(target))

    # -- keys that always work: the focus and quit policies ----------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_field":
            # otherwise Escape goes on to what the screen binds it to (close, cancel)
            return leaves_field_on_escape(self.screen)
        if action == "help":
            return not isinstance(self.screen, CommandPalette)
        return True

    def action_leave_field(self) -> None:
        focus_home(self.screen)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(current_bindings(self.screen)))

    async def action_show_view(self, view_id: str) -> None:
        """Show a view from wherever this is asked (the palette on a form, say): the screens
        above the main one close first, as their Escape would leave them."""
        await close_down_to(self, self.main_screen)
        self.main_screen.action_show_view(view_id)

    async def action_close_or_quit(self) -> None:
        """``q``: close the form or dialog on top; on the main screen, quit (asking first
        while work is under way)."""
        if self.screen is self.main_screen:
            await self.action_quit()
        else:
            await close_like_escape(self, self.screen)

    async def action_quit(self) -> None:
        """Quit at once when nothing started here is under way; otherwise ask, naming what
        happens to each piece of work."""
        if self._asking_to_quit:
            return
        work = self.main_screen.active_work()
        if not work:
            self.exit()
            return
        what, detail = quit_question(work)

        def answered(yes: bool | None) -> None:
            self._asking_to_quit = False
            if yes:
                self.exit()

        self._asking_to_quit = True
        self.push_screen(ConfirmScreen(what, detail=detail), callback=answered)

    # -- palette -------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Quit and keys come from our own bindings; keep Textual's theme and screenshot.
        for command in super().get_system_commands(screen):
            if command.title in ("Theme", "Screenshot"):
                yield command

    # -- failures and destructive actions -----------------------------------------------

    def on_backend_failed(self, event: BackendFailed) -> None:
        """The one place a failed worker turns into something the user reads."""
        if offer_to_trust_host_key(self, event):
            return  # ssh's first-connection question, asked in a dialog
        failure = event.failure
        # a view retrying on its timer while the network is down says it once, not every time
        if getattr(event.origin_widget, "last_failure", None) != failure:
            body = failure.message if not failure.hint else f"{failure.message}\n{failure.hint}"
            self.notify(body, title=failure.title, severity="error", timeout=10)
        show_failure = getattr(event.origin_widget, "show_failure", None)
        if callable(show_failure):
            show_failure(failure)

    def run_destructive(self, what: str, action: Callable[[], object], **options: object) -> None:
        """Ask before ``action``, refuse it in read-only mode (see console.ui.common.guards)."""
        run_destructive(self, what, action, **options)  # type: ignore[arg-type]

    def action_toggle_read_only(self) -> None:
        if self.read_only and self.started_read_only:
            self.notify(
                "Started with --read-only: restart without it to allow changes.",
                title="Read-only",
                severity="warning",
            )
            return
        self.read_only = not self.read_only
        self.notify(
            "Destructive actions are " + ("refused." if self.read_only else "allowed."),
            title="Read-only" if self.read_only else "Read-write",
        )


def known_binding_ids() -> set[str]:
    """Every binding id of the app and of each screen, view and widget under console.ui,
    so a keymap entry for any of them is accepted (a new screen needs no registration)."""
    return binding_ids(
        [ConsoleApp, MainScreen, HelpScreen, ConfirmScreen, JumpPrompt, *VIEWS, *ui_node_classes()]
    )


def make_app(settings: Settings, services: Services) -> ConsoleApp:
    """The console for ``settings``, talking to AWS and hosts only through ``services``."""
    return ConsoleApp(settings, services)
