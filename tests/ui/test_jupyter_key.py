"""``j`` on an instance in ``--demo``: its instances are this machine, so Jupyter starts here
as a job (the jupyter_server installed beside the console) and the dialog shows its URL on
127.0.0.1 with the token, which the server answers; read-only refuses it."""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from console.settings import JobsSettings
from console.ui.gpu.view import GpuView
from console.ui.instances.view import InstancesView
from console.ui.jobs.jupyter_link import JupyterLinkScreen
from console.ui.jobs.view import JobsView
from tests.fixtures.tmux_server import kill_tmux_server
from tests.ui.conftest import notifications, query_shown, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


async def test_j_starts_jupyter_on_a_demo_instance_and_shows_its_url(demo_console):
    jobs_socket = f"awsc-jupyter-{uuid.uuid4().hex[:8]}"
    app, _ = demo_console(jobs=JobsSettings(tmux_socket=jobs_socket))
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            view = await query_shown(pilot, InstancesView, within=90)
            await wait_until(pilot, lambda: view.table.row_count > 0, within=90)
            await pilot.press("j")
            await wait_until(pilot, lambda: isinstance(app.screen, JupyterLinkScreen), within=120)
            link = app.screen.link
            shown = str((await query_shown(pilot, "#jupyter-link")).render())
            await pilot.press("escape")
            back = isinstance(app.screen.query_one(InstancesView), InstancesView)
        with urllib.request.urlopen(link.url.replace("/?token=", "/api/status?token="),
                                    timeout=10) as reply:  # fmt: skip
            answered = json.loads(reply.read())
    finally:
        kill_tmux_server(jobs_socket)

    assert link.url.startswith("http://127.0.0.1:") and "?token=" in link.url
    assert shown.splitlines()[0] == link.url  # the URL first, as text
    assert link.job_id and f"Started as job {link.job_id}" in shown
    assert "started" in answered and back


async def test_j_is_refused_in_read_only(demo_console):
    app, _ = demo_console(read_only=True)
    async with app.run_test(size=(160, 45)) as pilot:
        view = await query_shown(pilot, InstancesView, within=90)
        await wait_until(pilot, lambda: view.table.row_count > 0, within=90)
        await pilot.press("j")
        await wait_until(pilot, lambda: any("read-only" in n.message
                                            for n in notifications(app)))  # fmt: skip
        screen = app.screen

    assert not isinstance(screen, JupyterLinkScreen)


async def test_j_in_the_gpu_and_jobs_views_opens_jupyter_on_their_host(demo_console):
    """The GPU view's host (a demo GPU instance) first: Jupyter starts there as a job; then
    that job's row in the Jobs view: ``j`` finds the same server running."""
    jobs_socket = f"awsc-jupyter-{uuid.uuid4().hex[:8]}"
    app, _ = demo_console(jobs=JobsSettings(tmux_socket=jobs_socket))
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await query_shown(pilot, InstancesView, within=90)
            await pilot.press("4")
            gpu = await query_shown(pilot, GpuView, within=90)
            await wait_until(pilot, lambda: gpu.target in gpu.instances, within=90)
            host = gpu.host_label
            await pilot.press("j")
            await wait_until(pilot, lambda: isinstance(app.screen, JupyterLinkScreen), within=120)
            from_gpu = app.screen.link
            await wait_until(pilot, lambda: bool(app.clipboard), within=10)  # set on mount
            copied = app.clipboard
            await pilot.press("escape")
            await pilot.press("3")
            jobs = await query_shown(pilot, JobsView, within=30)

            def jupyter_row() -> bool:
                return any(getattr(r, "spec", None) and r.spec.name == "jupyter"
                           and r.host == host for r in jobs.table.items)  # fmt: skip

            await wait_until(pilot, jupyter_row, within=60)
            [index] = [i for i, r in enumerate(jobs.table.items) if getattr(r, "spec", None)
                       and r.spec.name == "jupyter"]  # fmt: skip
            jobs.table.move_cursor(row=index)
            await pilot.press("j")
            await wait_until(pilot, lambda: isinstance(app.screen, JupyterLinkScreen), within=120)
            from_jobs = app.screen.link
            shown = str((await query_shown(pilot, "#jupyter-link")).render())
    finally:
        kill_tmux_server(jobs_socket)

    assert from_gpu.target == host and from_gpu.job_id  # started on the GPU view's host
    assert copied == from_gpu.url  # on the clipboard as the dialog opened (OSC 52)
    assert from_jobs.url == from_gpu.url and from_jobs.job_id is None  # found, not started
    assert "It was running already." in shown
