"""The Jobs view never shows a job's environment values (real tmux job, local host)."""

from __future__ import annotations

import html
import uuid

import pytest

from console.models import JobSpec
from tests.integration.test_jobs import wait_finished
from tests.ui.conftest import wait_until
from tests.ui.test_jobs_view import app_builder, jobs_view, row_of, show_jobs

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def build_app(tmp_path, aws_endpoint, tmux_socket, make_services, local_host):
    return app_builder(tmp_path, aws_endpoint, tmux_socket, make_services, local_host)


async def test_the_jobs_view_shows_no_environment_value(build_app, local_jobs):
    token = f"s3cr3t-{uuid.uuid4().hex}"
    spec = JobSpec(
        command=("sh", "-c", 'test -n "$API_TOKEN" && echo token-seen'),
        name="private job",
        env=(("API_TOKEN", token),),
    )
    job = wait_finished(local_jobs, local_jobs.start(spec).id)
    assert job.last_line == "token-seen"
    app = build_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await show_jobs(pilot)
        await wait_until(pilot, lambda: row_of(app, job.id) is not None)
        assert row_of(app, job.id)["name"] == "private job"
        view = jobs_view(app)
        assert any(token in str(j.spec.env) for j in view.jobs)  # the view holds it (re-run)
        shown = html.unescape(app.export_screenshot()).replace("\xa0", " ")
        assert "private job" in shown and "token-seen" in shown
        assert token not in shown
        cells = [str(cell) for key in list(view.table.rows) for cell in view.table.get_row(key)]
        assert cells and not [cell for cell in cells if token in cell]
