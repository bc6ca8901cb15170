"""A transfer row's bytes: a copy run as a job on its host (``aws s3 cp`` there) reports no
bytes to the console, and its row says where they are instead of a lying "0 B / 0 B"."""

from __future__ import annotations

import pytest

from console.models import TransferProgress, TransferState
from console.ui.files.transfer_panel import bytes_cell

pytestmark = pytest.mark.fast


def progress(**changes) -> TransferProgress:
    values = dict(transfer_id=1, source="s3://b/p/", destination="walk:~/zips",
                  state=TransferState.DONE, bytes_done=0, bytes_total=0, files_done=0,
                  files_total=0)  # fmt: skip
    return TransferProgress(**{**values, **changes})


def test_a_job_copy_names_its_log_not_zero_bytes():
    assert bytes_cell(progress(job_id="20261204-cp-1", job_host="walk")) == "in job's log"


def test_a_copy_done_here_counts_its_bytes():
    assert bytes_cell(progress(bytes_done=21, bytes_total=21)) == "21 B / 21 B"
    assert bytes_cell(progress()) == "0 B / 0 B"  # an empty folder copied here is 0 bytes
