"""S3 buckets (name, region, created); Enter browses one like a file manager."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import ContentSwitcher

from console.models import Bucket
from console.ui.account.aws_target import AwsTargetChanged
from console.ui.buckets.browser import S3Browser
from console.ui.common.literal import DataTable
from console.ui.common.resource_table import Column, ResourceTable, blank_if_none
from console.ui.common.view_base import ResourceView


def created_cell(bucket: Bucket) -> str:
    return bucket.created.strftime("%Y-%m-%d %H:%M") if bucket.created else ""


BUCKET_COLUMNS: tuple[Column[Bucket], ...] = (
    Column("name", "Name", lambda b: b.name),
    Column("created", "Created", created_cell, give_way=1),
    Column("region", "Region", lambda b: blank_if_none(b.region), give_way=2),
)


class BucketsView(ResourceView):
    view_id = "buckets"
    title = "Buckets"
    aliases = ("s3", "bucket")
    DEFAULT_CSS = """
    BucketsView #buckets-switcher { height: 1fr; }
    """

    def compose_body(self) -> ComposeResult:
        with ContentSwitcher(initial="buckets-table", id="buckets-switcher"):
            yield ResourceTable(BUCKET_COLUMNS, row_key=lambda b: b.name, id="buckets-table")
            yield S3Browser(self.services, id="buckets-browser")

    @property
    def table(self) -> ResourceTable[Bucket]:
        return self.query_one("#buckets-table", ResourceTable)

    @property
    def browser(self) -> S3Browser:
        return self.query_one("#buckets-browser", S3Browser)

    @property
    def browsing(self) -> bool:
        return self.query_one("#buckets-switcher", ContentSwitcher).current == "buckets-browser"

    def home_widget(self) -> Widget | None:
        # the list shown: the buckets, or the objects of the bucket being browsed
        return self.browser.object_list if self.browsing else self.table

    def fetch(self) -> list[Bucket]:
        return self.services.s3.list_buckets()

    def show_items(self, items: Sequence[Bucket]) -> None:
        self.table.show(items)

    def describe_items(self, items: Sequence[Bucket]) -> str:
        if not items:
            return "No buckets in this account."
        return f"{len(items)} bucket{'s' if len(items) != 1 else ''}"

    # -- browsing --

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "buckets-table" or event.row_key.value is None:
            return
        event.stop()
        self.open_bucket(event.row_key.value)

    def open_bucket(self, name: str, prefix: str = "") -> None:
        """Show the browser on ``s3://name/prefix``."""
        self.query_one("#buckets-switcher", ContentSwitcher).current = "buckets-browser"
        self.table.can_focus = False  # hidden: the main screen must focus the browser
        self.browser.open(name, prefix)

    def on_s3browser_leave_bucket(self, message: S3Browser.LeaveBucket) -> None:
        message.stop()
        self._leave_bucket()

    def on_aws_target_changed(self, message: AwsTargetChanged) -> None:
        # the bucket being browsed belongs to the account or region left behind
        if self.browsing:
            self._leave_bucket()

    def _leave_bucket(self) -> None:
        self.browser.workers.cancel_group(self.browser, "s3-list")
        self.query_one("#buckets-switcher", ContentSwitcher).current = "buckets-table"
        self.table.can_focus = True
        self.table.focus()
