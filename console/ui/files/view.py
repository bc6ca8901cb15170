"""Files: counts, comparisons, unpacking, transfers and S3 mounts — ``ls | wc -l``, ``find |
xargs -P unzip``, ``scp`` and ``s3fs`` as one view.

Five panels, one per job (each a widget of its own in ``console/ui/widgets/files_*``, sharing
``FilesPanel``): Count one location, Compare two or three side by side, Unpack a host folder
of archives, the Transfers queue, and the Mounts of a host. Their blocking work runs in thread
workers they own; a failure goes through the app's one failure handler into the panel's status
line. The view's keys (all with binding
ids, so a keymap can move them) switch panels and start or cancel the visible panel's work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input, TabbedContent, TabPane

from console.ui.common.literal import DataTable
from console.ui.common.quit import ActiveWork, work_under_way
from console.ui.common.view_base import ConsoleView
from console.ui.files.compare_panel import ComparePanel
from console.ui.files.count_panel import CountPanel
from console.ui.files.mount_panel import MountPanel
from console.ui.files.panel import FilesPanel
from console.ui.files.transfer_panel import TransferPanel
from console.ui.files.unpack_panel import UnpackPanel

if TYPE_CHECKING:  # the UI reaches backends only through the object it is given
    from console.services import Services

#: panel id -> the input that gets the focus when the panel is shown
FIRST_INPUT = {
    "files-count": "#count-location",
    "files-compare": "#compare-a",
    "files-unpack": "#unpack-location",
    "files-transfers": "#transfer-source",
    "files-mounts": "#mount-bucket",
}

#: panel id -> its list, where focus rests when the view is shown (never a field)
PANEL_HOME = {
    "files-count": "#count-extensions",
    "files-compare": "#compare-table",
    "files-unpack": "#unpack-failures",
    "files-transfers": "#transfer-queue",
    "files-mounts": "#mount-table",
}

#: panel id -> the id of the widget inside it
PANEL_WIDGET = {
    "files-count": "count-panel",
    "files-compare": "compare-panel",
    "files-unpack": "unpack-panel",
    "files-transfers": "transfer-panel",
    "files-mounts": "mount-panel",
}


class FilesView(ConsoleView):
    view_id = "files"
    title = "Files"
    aliases = (
        "file",
        "transfers",
        "cp",
        "count",
        "compare",
        "unpack",
        "mount",
        "mounts",
        "s3fs",
    )

    BINDINGS = [
        Binding(
            "c",
            "show_panel('files-count')",
            "Count",
            id="files.count",
            tooltip="Count files, folders and bytes under one location",
        ),
        Binding(
            "m",
            "show_panel('files-compare')",
            "Compare",
            id="files.compare",
            tooltip="Compare two or three locations per extension: did everything arrive?",
        ),
        Binding(
            "u",
            "show_panel('files-unpack')",
            "Unpack",
            id="files.unpack",
            tooltip="Unpack every archive of a host folder in parallel",
        ),
        Binding(
            "t",
            "show_panel('files-transfers')",
            "Transfers",
            id="files.transfers",
            tooltip="The transfer queue",
        ),
        Binding(
            "o",
            "show_panel('files-mounts')",
            "Mounts",
            id="files.mounts",
            tooltip="S3 buckets mounted as folders on a host (s3fs, mount-s3)",
        ),
        Binding(
            "a",
            "add_transfer",
            "Add transfer",
            id="files.add_transfer",
            tooltip="Type SRC and DST of a new transfer",
        ),
        Binding(
            "ctrl+r",
            "start",
            "Start",
            id="files.start",
            tooltip="Start the count, comparison, unpack or mount (Enter in a field does too)",
        ),
        Binding(
            "x",
            "cancel",
            "Cancel",
            id="files.cancel",
            tooltip="Stop the running count, comparison, unpack or selected transfer",
        ),
        Binding(
            "p",
            "pause_transfer",
            "Pause/resume",
            id="files.pause",
            tooltip="Pause or resume the selected transfer",
        ),
        Binding(
            "d",
            "dismiss_transfer",
            "Dismiss",
            id="files.dismiss_transfer",
            tooltip="Take the selected finished transfer (a failed one too) off the list",
        ),
        Binding(
            "delete",
            "unmount",
            "Unmount",
            id="files.unmount",
            tooltip="Unmount the selected S3 mount (asks first)",
        ),
    ]

    def __init__(self, services: Services, *, refresh_interval: float = 10.0) -> None:
        super().__init__(services, refresh_interval=refresh_interval)

    def compose(self) -> ComposeResult:
        with TabbedContent(id="files-panels", initial="files-count"):
            with TabPane("Count", id="files-count"):
                yield CountPanel(self.services, id="count-panel")
            with TabPane("Compare", id="files-compare"):
                yield ComparePanel(self.services, id="compare-panel")
            with TabPane("Unpack", id="files-unpack"):
                yield UnpackPanel(self.services, id="unpack-panel")
            with TabPane("Transfers", id="files-transfers"):
                yield TransferPanel(self.services, id="transfer-panel")
            with TabPane("Mounts", id="files-mounts"):
                yield MountPanel(self.services, id="mount-panel")

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # our inner tabs: the main screen's own tab switching must not see them
        event.stop()
        self.refresh_bindings()  # the footer shows the keys of the panel now shown

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that act on one panel's rows only are offered (and shown) on that panel."""
        only_on = {
            "pause_transfer": "files-transfers",
            "dismiss_transfer": "files-transfers",
            "unmount": "files-mounts",
        }
        if action in only_on and self.is_mounted:
            return self.panel_id == only_on[action]
        return True

    def home_widget(self) -> Widget | None:
        # the list of the panel shown (its form's fields are reached with the panel's key)
        return self.query_one(PANEL_HOME[self.panel_id], DataTable)

    def active_work(self) -> list[ActiveWork]:
        """What the panels have under way: counts, comparisons, unpacks, transfers, mounts."""
        return work_under_way(self.query(FilesPanel))

    @property
    def panel_id(self) -> str:
        return self.query_one("#files-panels", TabbedContent).active

    @property
    def panel(self) -> CountPanel | ComparePanel | UnpackPanel | TransferPanel | MountPanel:
        return self.query_one(f"#{PANEL_WIDGET[self.panel_id]}")  # type: ignore[return-value]

    # -- keys --------------------------------------------------------------------------------

    def action_show_panel(self, panel_id: str) -> None:
        self.query_one("#files-panels", TabbedContent).active = panel_id
        self.query_one(FIRST_INPUT[panel_id], Input).focus()

    def action_add_transfer(self) -> None:
        self.action_show_panel("files-transfers")

    def action_start(self) -> None:
        panel = self.panel
        if isinstance(panel, TransferPanel):
            panel.add()
        else:
            panel.start()

    def action_cancel(self) -> None:
        panel = self.panel
        stopped = panel.cancel_selected() if isinstance(panel, TransferPanel) else panel.cancel()
        if not stopped:
            self.notify("Nothing is running here to cancel.", title="Files")

    def action_pause_transfer(self) -> None:
        panel = self.panel
        if isinstance(panel, TransferPanel):
            panel.toggle_pause()

    def action_dismiss_transfer(self) -> None:
        panel = self.panel
        if isinstance(panel, TransferPanel) and not panel.dismiss_selected():
            if panel.selected() is None:
                self.notify("No transfer to dismiss.", title="Transfers")

    def action_unmount(self) -> None:
        panel = self.panel
        if isinstance(panel, MountPanel):
            panel.unmount_selected()
