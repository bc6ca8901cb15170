"""S3 buckets: name and creation date."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult

from console.models import Bucket
from console.ui.views.base import ResourceView
from console.ui.widgets.resource_table import Column, ResourceTable


def created_cell(bucket: Bucket) -> str:
    return bucket.created.strftime("%Y-%m-%d %H:%M") if bucket.created else ""


BUCKET_COLUMNS: tuple[Column[Bucket], ...] = (
    Column("name", "Name", lambda b: b.name),
    Column("created", "Created", created_cell),
)


class BucketsView(ResourceView):
    view_id = "buckets"
    title = "Buckets"
    aliases = ("s3", "bucket")

    def compose_body(self) -> ComposeResult:
        yield ResourceTable(BUCKET_COLUMNS, row_key=lambda b: b.name, id="buckets-table")

    @property
    def table(self) -> ResourceTable[Bucket]:
        return self.query_one("#buckets-table", ResourceTable)

    def fetch(self) -> list[Bucket]:
        return self.services.s3.list_buckets()

    def show_items(self, items: Sequence[Bucket]) -> None:
        self.table.show(items)

    def describe_items(self, items: Sequence[Bucket]) -> str:
        if not items:
            return "No buckets in this account."
        return f"{len(items)} bucket{'s' if len(items) != 1 else ''}"
