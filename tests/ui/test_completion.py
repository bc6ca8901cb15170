"""Completion while typing (console.ui.common.completion) on real parts: folders of this
machine, the real sshd's test user over SFTP, instances in moto's server, an ssh config of
the test's own, and a host that accepts a connection and never answers.

Host names are hostile data: an instance Name with brackets is offered exactly as written.
File names too: brackets, blanks and a leading ``-`` come back literally, a name with a
control character never.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input

from console.app import make_app
from console.hosts import HostPool
from console.hosts.local import LocalHost
from console.services import Services
from console.settings import JobsSettings, RunsSettings, Settings
from console.ui.common.completion import HostSuggester, PathSuggester
from console.ui.files.count_panel import CountPanel
from console.ui.jobs.form import JobFormScreen
from console.ui.runs.train_form import TrainFormScreen
from console.ui.runs.view import RunsView
from tests.fixtures.moto_server import launch
from tests.ui.conftest import query_shown, wait_until
from tests.ui.test_files_view import open_files
from tests.ui.test_jobs_view import jobs_settings, show_jobs

pytestmark = pytest.mark.timeout(120)

SIZE = (160, 50)
#: a suggestion never waits longer than this for its look-up in these tests
WAIT_S = 3.0


# --- the parts ------------------------------------------------------------------------------


def hostile_tree(root: Path) -> Path:
    """Folders and files whose names a shell or a markup reader would trip on."""
    for folder in ("data", "[bold]red", "my folder", ".hidden", "zeta"):
        (root / folder).mkdir(parents=True)
    (root / "-rf").write_text("a leading dash\n")
    (root / "notes.txt").write_text("a file\n")
    (root / "ctl\x1bname").write_text("a control character\n")
    os.symlink(root / "data", root / "link-to-data")
    return root


def bare_services(tmp_path: Path, config: str = "") -> Services:
    """Services without AWS: "local" is a LocalHost at home in ``tmp_path/home``, the ssh
    config a file of the test's own (``config``)."""
    ssh_config = tmp_path / "ssh_config"
    ssh_config.write_text(config)
    hosts = HostPool(config_path=str(ssh_config), known_hosts_path=str(tmp_path / "known"))
    (tmp_path / "home").mkdir(exist_ok=True)
    hosts.register("local", LocalHost("local", home=tmp_path / "home"))
    return Services(Settings(), None, None, hosts, on_close=[hosts.close_all])


def with_hosts(services: Services, config: Path, known_hosts: Path, local: LocalHost) -> Services:
    """``services`` reading the test's ssh config and known_hosts, "local" = ``local``."""
    hosts = HostPool(config_path=str(config), known_hosts_path=str(known_hosts))
    hosts.register("local", local)
    services.hosts = hosts
    services.on_close.append(hosts.close_all)
    return services


@pytest.fixture
def blackhole() -> Iterator[socket.socket]:
    """A socket listening on 127.0.0.1 that accepts connections (the kernel does) and never
    says a word: an SSH client waits there for a banner. Closing it resets the connections
    still waiting, so no thread of the test waits longer (close it before the services: they
    close a connection only once it is made or has failed)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener
    finally:
        listener.close()


def dead_host_config(listener: socket.socket) -> str:
    port = listener.getsockname()[1]
    # ssh would wait 5 minutes for it: a field that waited on it would hang the test
    return f"Host deadhost\n    HostName 127.0.0.1\n    Port {port}\n    ConnectTimeout 300\n"


def completion_threads(host: str) -> list[str]:
    return [
        t.name for t in threading.enumerate() if t.name.startswith(f"complete ('folder', '{host}'")
    ]


# --- the suggesters on this machine -------------------------------------------------------


async def test_paths_of_this_machine_complete_literally(tmp_path: Path):
    root = hostile_tree(tmp_path / "tree")
    services = bare_services(tmp_path)
    try:
        paths = PathSuggester(services, wait_s=WAIT_S)
        ask = paths.get_suggestion
        assert await ask(f"{root}/da") == f"{root}/data/"  # a folder gets its /
        assert await ask(f"{root}/[b") == f"{root}/[bold]red/"
        assert await ask(f"{root}/my") == f"{root}/my folder/"
        assert await ask(f"{root}/-") == f"{root}/-rf"
        assert await ask(f"{root}/no") == f"{root}/notes.txt"
        assert await ask(f"{root}/li") == f"{root}/link-to-data/"  # a link to a folder
        assert await ask(f"{root}/.h") == f"{root}/.hidden/"  # hidden only when asked
        assert await ask(f"{root}/") == f"{root}/-rf"  # the first by name, not .hidden
        assert await ask(f"{root}/ct") is None  # a control character: never offered
        assert await ask(f"{root}/notes.txt") is None  # complete already
        assert await ask(f"{root}/nothing-here") is None
        assert await ask(f"{tmp_path}/no/such/folder/x") is None
        assert await ask("~") == "~/"

        # on the host "local" a relative path starts from its home
        (tmp_path / "home" / "datasets").mkdir()
        on_local = PathSuggester(services, host="local", wait_s=WAIT_S)
        assert await on_local.get_suggestion("data") == "datasets/"
        assert await on_local.get_suggestion("~/data") == "~/datasets/"
        # from a base folder (the train form's dataset, from its working folder)
        from_base = PathSuggester(services, host="local", base=lambda: str(root), wait_s=WAIT_S)
        assert await from_base.get_suggestion("ze") == "zeta/"
    finally:
        services.close()


async def test_locations_complete_the_host_then_the_path_on_it(tmp_path: Path):
    root = hostile_tree(tmp_path / "home" / "tree")
    services = bare_services(tmp_path, "Host testbox\n    HostName 127.0.0.1\nHost gpu-*\n")
    try:
        where = PathSuggester(services, locations=True, wait_s=WAIT_S)
        assert await where.get_suggestion("tes") == "testbox:"  # the ssh config's alias
        assert await where.get_suggestion("loc") == "local:"
        assert await where.get_suggestion("gpu") is None  # a pattern is no host
        assert await where.get_suggestion("local:tr") == "local:tree/"  # from local's home
        assert await where.get_suggestion("local:tree/[") == "local:tree/[bold]red/"
        assert await where.get_suggestion(f"{root}/my") == f"{root}/my folder/"  # a plain path
        assert await where.get_suggestion("s3://bucket/da") is None
        hosts = HostSuggester(services, several=True, first=("new",), wait_s=WAIT_S)
        assert await hosts.get_suggestion("ne") == "new"
        assert await hosts.get_suggestion("local, tes") == "local, testbox"
        assert await hosts.get_suggestion("local,") is None
        assert await hosts.get_suggestion("nobody") is None
    finally:
        services.close()


async def test_the_field_draws_a_hostile_name_as_it_is_written(tmp_path: Path):
    root = hostile_tree(tmp_path / "tree")
    services = bare_services(tmp_path)

    class OneField(App):
        def compose(self) -> ComposeResult:
            yield Input(suggester=PathSuggester(services, wait_s=WAIT_S), id="field")

    try:
        async with OneField().run_test(size=(100, 5)) as pilot:
            field = pilot.app.query_one("#field", Input)
            field.focus()
            await pilot.press(*f"{root}/[b")
            await wait_until(pilot, lambda: field._suggestion == f"{root}/[bold]red/")
            assert f"{root}/[bold]red/" in field.render_line(0).text  # shown, not read
            await pilot.press("right")
            assert field.value == f"{root}/[bold]red/"
    finally:
        services.close()


# --- host fields of the forms, from instances and the ssh config -----------------------------


async def test_the_job_form_completes_a_host_from_the_instances_and_takes_it_with_right(
    tmp_path, aws_endpoint, tmux_socket, make_services, local_host, local_home, ec2
):
    launch(ec2, "gpu-trainer", "g5.xlarge")
    launch(ec2, "[bold]tagged", "t3.micro")
    settings = jobs_settings(tmp_path, aws_endpoint, tmux_socket)
    services = with_hosts(
        make_services(settings), tmp_path / "none", tmp_path / "known", local_host
    )
    (local_home / "experiments").mkdir()
    async with make_app(settings, services).run_test(size=SIZE) as pilot:
        await show_jobs(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, JobFormScreen))
        await wait_until(pilot, lambda: pilot.app.screen.query_one("#jobform-host"))
        host = pilot.app.screen.query_one("#jobform-host", Input)
        assert pilot.app.focused is host
        host.value = ""
        await pilot.press(*"gpu-t")
        await wait_until(pilot, lambda: host._suggestion == "gpu-trainer")
        await pilot.press("right")
        assert host.value == "gpu-trainer"

        # a second node: the last host completes; a Name with brackets comes back as written
        await pilot.press(*", [b")
        await wait_until(pilot, lambda: host._suggestion == "gpu-trainer, [bold]tagged")
        await pilot.press("right")
        assert host.value == "gpu-trainer, [bold]tagged"

        # the working directory completes on the first host typed
        host.value = "local"
        cwd = pilot.app.screen.query_one("#jobform-cwd", Input)
        cwd.focus()
        cwd.value = ""
        await pilot.press(*"~/exp")
        await wait_until(pilot, lambda: cwd._suggestion == "~/experiments/")
        await pilot.press("right")
        assert cwd.value == "~/experiments/"


async def test_the_train_form_completes_an_ssh_alias_and_folders_on_the_sshd_host(
    tmp_path, moto_settings, make_services, local_host, ssh_env, ssh_place, tmux_socket
):
    (ssh_place.directory / "dataset-folder").mkdir()
    (ssh_place.directory / "dataset-file.txt").write_text("not a folder\n")
    ssh_place.hand_over()
    settings = moto_settings.with_overrides(
        jobs=JobsSettings(tmux_socket=tmux_socket),
        runs=RunsSettings(ledger=str(tmp_path / "runs.jsonl"), cache_dir=str(tmp_path / "c")),
    )
    services = with_hosts(make_services(settings), ssh_env.config_path, ssh_env.known_hosts_path,
                          local_host)  # fmt: skip
    async with make_app(settings, services).run_test(size=SIZE) as pilot:
        await pilot.press("6")
        view = await query_shown(pilot, RunsView)
        await wait_until(pilot, lambda: view.loaded_once)
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, TrainFormScreen))
        form = pilot.app.screen
        hosts = form.query_one("#trainform-hosts", Input)
        hosts.focus()
        hosts.value = ""
        await pilot.press(*"tes")
        await wait_until(pilot, lambda: hosts._suggestion == "testhost")
        await pilot.press("right")
        assert hosts.value == "testhost"

        # the working folder completes over SFTP on testhost, a folder with its /
        cwd = form.query_one("#trainform-cwd", Input)
        cwd.focus()
        cwd.value = ""
        await pilot.press(*f"{ssh_place.directory}/dataset-f")
        await wait_until(pilot, lambda: cwd._suggestion == f"{ssh_place.directory}/dataset-file.txt"
                         or cwd._suggestion == f"{ssh_place.directory}/dataset-folder/")  # fmt: skip
        assert cwd._suggestion == f"{ssh_place.directory}/dataset-file.txt"  # first by name
        await pilot.press("o")
        await wait_until(pilot, lambda: cwd._suggestion == f"{ssh_place.directory}/dataset-folder/")
        await pilot.press("right")
        assert cwd.value == f"{ssh_place.directory}/dataset-folder/"

        # the dataset folder from the working folder
        cwd.value = str(ssh_place.directory)
        data = form.query_one("#trainform-data", Input)
        data.focus()
        data.value = ""
        await pilot.press(*"dataset-fo")
        await wait_until(pilot, lambda: data._suggestion == "dataset-folder/")


# --- a dead host ------------------------------------------------------------------------------
#
# The dead host never answers within these tests (ssh would wait 300 s): a field that waited
# on it would hang them. Their timeout ends the process (method "thread"): a timeout raised
# inside a blocked suggestion could otherwise be swallowed by the app's worker and pass.

DEAD_HOST_TIMEOUT = pytest.mark.timeout(90, method="thread")


@DEAD_HOST_TIMEOUT
async def test_a_dead_host_gives_no_suggestion_and_holds_one_thread(tmp_path: Path, blackhole):
    services = bare_services(tmp_path, dead_host_config(blackhole))
    try:
        paths = PathSuggester(services, host="deadhost", wait_s=WAIT_S)
        assert await paths.get_suggestion("/tm") is None  # after WAIT_S, the look-up going on
        assert len(completion_threads("deadhost")) == 1
        for typed in ("/usr/", "/etc/", "/var/l"):  # other folders: no new look-up
            assert await paths.get_suggestion(typed) is None
        assert len(completion_threads("deadhost")) == 1
        # this machine still completes meanwhile
        (tmp_path / "alive").mkdir()
        here = PathSuggester(services, wait_s=WAIT_S)
        assert await here.get_suggestion(f"{tmp_path}/ali") == f"{tmp_path}/alive/"
    finally:
        blackhole.close()
        services.close()


@DEAD_HOST_TIMEOUT
async def test_typing_a_path_on_a_dead_host_never_blocks_the_field(
    tmp_path, moto_settings, make_services, local_host, blackhole
):
    config = tmp_path / "ssh_config"
    config.write_text(dead_host_config(blackhole))
    services = with_hosts(make_services(moto_settings), config, tmp_path / "known", local_host)
    async with make_app(moto_settings, services).run_test(size=SIZE) as pilot:
        await open_files(pilot)
        panel = pilot.app.screen.query_one(CountPanel)
        field = panel.query_one("#count-location", Input)
        field.focus()
        await pilot.press(*"deadhost:/tm")
        assert field.value == "deadhost:/tm"
        await wait_until(pilot, lambda: completion_threads("deadhost"))  # the look-up hangs
        await pilot.press(*"p/more")  # every key lands while it does
        assert field.value == "deadhost:/tmp/more"
        assert field._suggestion == ""
        assert completion_threads("deadhost")  # and it still hangs: nothing waited for it
        waiting = field.suggester
        assert await waiting.get_suggestion("deadhost:/tmp/mo") is None
    blackhole.close()  # before the services close (the fixtures' order says so too)
