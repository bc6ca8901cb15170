"""``P``: pick the AWS profile and region the console talks to, without a restart.

Two lists side by side: the profiles of the AWS config and credentials files (SSO ones
included, plus the standard chain) and the regions EC2 runs in. Enter on a profile picks it
and moves to the regions, with the profile's own region under the cursor; Enter on a
region switches to both. The app then rebuilds the AWS clients through
``Services.switch_aws`` and reloads every view; jobs and hosts are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen

from console.format.account import profile_label
from console.models import AwsProfile, AwsRegion, AwsTarget
from console.ui.common.failures import Failure, ReportsWorkerFailures
from console.ui.common.literal import Label, Option, OptionList, Static
from console.ui.common.text import assemble

if TYPE_CHECKING:  # the UI reaches backends only through the object it is given
    from console.services import Services

#: how each kind of profile is described next to its name
KIND_LABELS = {
    "chain": "env, AWS_PROFILE, default, role",
    "sso": "SSO",
    "role": "assumed role",
    "process": "credential process",
    "keys": "access keys",
    "config": "settings only",
    "demo": "demo account",
}

#: option ids of the profile list: the standard chain has no name of its own
CHAIN_OPTION = "profile:"


@dataclass(frozen=True)
class AwsChoice:
    """What the picker was dismissed with: the profile (None: standard chain) and region."""

    profile: str | None
    region: str | None


class AwsTargetChanged(Message):
    """Posted to every view of the main screen after a switch: its data belongs to another
    account or region now (the app has already asked resource views to reload)."""

    def __init__(self, target: AwsTarget) -> None:
        super().__init__()
        self.target = target


def describe_target(target: AwsTarget) -> str:
    """``profile dev · eu-west-1`` (the standard chain shows as "default")."""
    parts = [f"profile {target.profile or 'default'}"]
    if target.region:
        parts.append(target.region)
    return " · ".join(parts)


def profile_option_id(name: str | None) -> str:
    return CHAIN_OPTION + (name or "")


def profile_prompt(profile: AwsProfile, current: bool) -> Text:
    return assemble(
        "● " if current else "  ",
        (profile_label(profile), "bold" if current else ""),
        (f"  {KIND_LABELS.get(profile.kind, profile.kind)}", "dim"),
        (f"  {profile.region}" if profile.region else "", "dim"),
    )


def region_prompt(region: AwsRegion, current: bool) -> Text:
    return assemble(
        "● " if current else "  ",
        (region.name, "bold" if current else ""),
        (f"  {region.description}" if region.description else "", "dim"),
    )


class AwsTargetScreen(ReportsWorkerFailures, ModalScreen[AwsChoice | None]):
    """Dismisses with an ``AwsChoice``, or None when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="aws_target.cancel"),
    ]

    DEFAULT_CSS = """
    AwsTargetScreen { align: center middle; }
    #aws-dialog {
        width: 90%;
        max-width: 110;
        height: 80%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    #aws-title { text-style: bold; }
    #aws-lists { height: 1fr; }
    #aws-lists > Vertical { width: 1fr; height: 1fr; }
    #aws-lists OptionList { height: 1fr; }
    #aws-status.error { color: $error; }
    """

    class Loaded(Message):
        """The profiles and regions to offer (posted from the worker thread)."""

        def __init__(self, profiles: Sequence[AwsProfile], regions: Sequence[AwsRegion]):
            super().__init__()
            self.profiles = list(profiles)
            self.regions = list(regions)

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.current = services.target
        self.profiles: list[AwsProfile] = []
        self.regions: list[AwsRegion] = []
        #: the profile picked with Enter (the current one until then)
        self.chosen_profile: str | None = self.current.profile
        self.last_failure: Failure | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="aws-dialog"):
            yield Label("Switch AWS profile / region", id="aws-title")
            yield Label(f"Now: {describe_target(self.current)}", id="aws-now")
            with Horizontal(id="aws-lists"):
                with Vertical():
                    yield Label("Profiles")
                    yield OptionList(id="aws-profiles")
                with Vertical():
                    yield Label("Regions")
                    yield OptionList(id="aws-regions")
            yield Static("Loading profiles and regions…", id="aws-status")
            yield Label(
                "Enter on a profile, then Enter on a region switches · Tab: other list · "
                "Escape: cancel",
                id="aws-help",
            )

    @property
    def profile_list(self) -> OptionList:
        return self.query_one("#aws-profiles", OptionList)

    @property
    def region_list(self) -> OptionList:
        return self.query_one("#aws-regions", OptionList)

    @property
    def status(self) -> Static:
        return self.query_one("#aws-status", Static)

    # -- loading -----------------------------------------------------------------------

    def on_mount(self) -> None:
        self.profile_list.focus()
        self.run_worker(
            self._load, name="aws-target-load", group="aws-target", thread=True, exit_on_error=False
        )

    def _load(self) -> None:
        # reads ~/.aws/config and the endpoint data: files, but still off the UI thread
        self.post_message(self.Loaded(self.services.aws_profiles(), self.services.aws_regions()))

    def on_aws_target_screen_loaded(self, message: Loaded) -> None:
        message.stop()
        self.profiles, self.regions = message.profiles, message.regions
        profiles = self.profile_list
        profiles.clear_options()
        profiles.add_options(
            Option(profile_prompt(p, p.name == self.current.profile), id=profile_option_id(p.name))
            for p in self.profiles
        )
        regions = self.region_list
        regions.clear_options()
        regions.add_options(
            Option(region_prompt(r, r.name == self.current.region), id=r.name) for r in self.regions
        )
        self._highlight_profile(self.current.profile)
        self._highlight_region(self.current.region)
        self._say_choice()

    def show_failure(self, failure: Failure) -> None:
        """Called by the app's failure handler (the files could not be read)."""
        self.last_failure = failure
        self.status.set_class(True, "error")
        self.status.update(failure.one_line())

    # -- choosing ------------------------------------------------------------------------

    def _highlight_profile(self, name: str | None) -> None:
        try:
            index = self.profile_list.get_option_index(profile_option_id(name))
        except Exception:  # noqa: BLE001 - OptionDoesNotExist: nothing to put the cursor on
            index = 0 if self.profiles else None
        self.profile_list.highlighted = index

    def _highlight_region(self, name: str | None) -> None:
        if name is None:
            return
        try:
            self.region_list.highlighted = self.region_list.get_option_index(name)
        except Exception:  # noqa: BLE001 - OptionDoesNotExist: leave the cursor where it is
            pass

    @property
    def highlighted_region(self) -> str | None:
        index = self.region_list.highlighted
        if index is None or not self.regions:
            return None
        return self.region_list.get_option_at_index(index).id

    def _say_choice(self) -> None:
        target = AwsTarget(self.chosen_profile, self.highlighted_region or self.current.region)
        self.status.set_class(False, "error")
        self.status.update(f"Enter on a region switches to: {describe_target(target)}")

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "aws-regions" and self.regions:
            self._say_choice()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "aws-profiles":
            self.choose_profile(str(event.option.id).removeprefix(CHAIN_OPTION) or None)
        else:
            self.dismiss(AwsChoice(self.chosen_profile, str(event.option.id)))

    def choose_profile(self, name: str | None) -> None:
        """Pick a profile; the cursor moves to its region (if it names one) in the regions."""
        self.chosen_profile = name
        profile = next((p for p in self.profiles if p.name == name), None)
        if profile is not None and profile.region:
            self._highlight_region(profile.region)
        self.region_list.focus()
        self._say_choice()

    def action_cancel(self) -> None:
        self.dismiss(None)
