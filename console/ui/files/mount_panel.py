"""Mounts: an S3 bucket as a folder on a host (s3fs, or mount-s3 where installed), the host's
S3 mounts listed, and unmounting — the s3fs recipe's twin (``console.files.mount``)::

    s3fs BUCKET[:/PREFIX] MOUNTPOINT -o passwd_file=… -o use_cache=/tmp/s3fs -o allow_other \\
         -o uid=1000 -o mp_umask=0022 -o multireq_max=5

Every run (look at a host, mount, unmount) ends by looking at the host again: which clients it
has, whether it has FUSE, and its S3 mounts, so the list never shows a state older than the
last action. A host without s3fs or without /dev/fuse is a state shown with how to fix it, not
only an error. Mounting and unmounting change the host: both are refused in read-only mode,
and unmounting asks first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Show
from textual.widgets import Input, Switch

from console.errors import MountError, MountpointError
from console.models import MountEntry, MountOptions, MountTools
from console.models.location import parse_s3_url
from console.ui.common.completion import HostSuggester, PathSuggester
from console.ui.common.guards import require_writable, run_destructive
from console.ui.common.literal import DataTable, Label, Static
from console.ui.common.quit import ActiveWork
from console.ui.common.text import literal
from console.ui.files.panel import FilesPanel

if TYPE_CHECKING:
    from console.services import Services

#: the classic recipe's values, shown in the form (empty fields leave s3fs's own default)
DEFAULT_CACHE = "/tmp/s3fs"
DEFAULT_UMASK = "0022"
DEFAULT_MULTIREQ = "5"
INSTALL_HINT = (
    "install with `sudo apt-get install s3fs` (Debian/Ubuntu) or "
    "`sudo yum install s3fs-fuse` (Amazon Linux), or install mount-s3"
)
FUSE_HINT = "`sudo modprobe fuse`; in a container, `--device /dev/fuse --cap-add SYS_ADMIN`"

#: the form's fields: (input id, value, placeholder, tooltip); the second row is labelled
#: with the s3fs option names
WHERE_FIELDS = (
    ("mount-host", "local", "host", "local, an ssh alias or an instance — Enter lists its mounts"),
    ("mount-bucket", "", "bucket", "The bucket to mount, or s3://bucket/prefix — Enter mounts"),
    ("mount-prefix", "", "prefix (opt.)", "Mount only this folder of the bucket (optional)"),
    ("mount-point", "", "mount point", "An empty folder on the host (see: create folder)"),
)
OPTION_FIELDS = (
    ("mount-use_cache", DEFAULT_CACHE, "no cache", "Cache folder on the host; empty: no cache"),
    ("mount-uid", "", "yours", "Owner of the mounted files; empty: the mounting user"),
    ("mount-mp_umask", DEFAULT_UMASK, "none", "Permission mask of the files, octal"),
    ("mount-multireq_max", DEFAULT_MULTIREQ, "20", "Parallel requests when listing (s3fs: 20)"),
)
#: (label, switch id, on at first); mount-s3 is offered once the host is seen to have it
SWITCHES = (
    ("allow_other", "mount-allow-other", False),
    ("mount-s3", "mount-use-mount-s3", False),
    ("create folder", "mount-mkdir", True),
)


@dataclass(frozen=True, slots=True)
class MountRequest:
    """The form, checked: what to mount where, and how."""

    host: str
    url: str
    mountpoint: str
    options: MountOptions
    prefer_mount_s3: bool = False
    make_mountpoint: bool = True


@dataclass(frozen=True, slots=True)
class HostMounts:
    """What one look at a host found (every run ends with one)."""

    host: str
    tools: MountTools
    entries: tuple[MountEntry, ...]
    #: what the run did, when it did more than look
    done: str | None = None


def _whole_number(text: str, field: str, *, minimum: int) -> int | None:
    if not text:
        return None
    if not text.isdigit() or int(text) < minimum:
        raise MountError(f"{field} must be a whole number of at least {minimum}, not {text!r}.")
    return int(text)


def mount_request(
    *,
    host: str,
    bucket: str,
    prefix: str,
    mountpoint: str,
    cache: str,
    uid: str,
    umask: str,
    multireq: str,
    allow_other: bool,
    prefer_mount_s3: bool,
    make_mountpoint: bool,
) -> MountRequest:
    """The typed fields as a MountRequest. ``bucket`` may also be ``s3://bucket/prefix``.

    Raises MountError (or MountpointError) naming the field that is wrong.
    """
    if not bucket:
        raise MountError("Type the bucket to mount (or s3://bucket/prefix).")
    if bucket.startswith("s3://"):
        bucket, url_prefix = parse_s3_url(bucket)
        prefix = "/".join(part for part in (url_prefix, prefix.strip("/")) if part)
    if "/" in bucket or ":" in bucket:
        raise MountError(f"{bucket!r} is not a bucket name: the prefix has a field of its own.")
    url = f"s3://{bucket}/{prefix.strip('/')}" if prefix.strip("/") else f"s3://{bucket}"
    parse_s3_url(url)
    if not mountpoint:
        raise MountpointError("Type the mount point: an empty folder on the host.")
    if not (mountpoint.startswith("/") or mountpoint == "~" or mountpoint.startswith("~/")):
        raise MountpointError(
            f"The mount point {mountpoint!r} must be an absolute path or start with ~/ "
            "(the host's home)."
        )
    if umask and not re.fullmatch(r"[0-7]{3,4}", umask):
        raise MountError(f"mp_umask is an octal mask such as 0022, not {umask!r}.")
    options = MountOptions(
        cache_dir=cache or None,
        allow_other=allow_other,
        uid=_whole_number(uid, "uid", minimum=0),
        umask=umask or None,
        multireq_max=_whole_number(multireq, "multireq_max", minimum=1),
    )
    return MountRequest(
        host=host or "local",
        url=url,
        mountpoint=mountpoint,
        options=options,
        prefer_mount_s3=prefer_mount_s3,
        make_mountpoint=make_mountpoint,
    )


def tools_text(mounts: HostMounts) -> tuple[str, bool]:
    """The host's state line, and whether it stands in the way of mounting."""
    tools = mounts.tools
    if not tools.client:
        return f"s3fs missing on {mounts.host}: {INSTALL_HINT}.", True
    if not tools.fuse:
        return f"FUSE missing ({tools.fuse_device}) on {mounts.host}: {FUSE_HINT}.", True
    clients = ["s3fs" if tools.s3fs else "no s3fs", "mount-s3" if tools.mount_s3 else "no mount-s3"]
    return f"{mounts.host}: {', '.join(clients)}, FUSE ready.", False


class MountPanel(FilesPanel):
    """The S3 mounts of one host, a form to mount a bucket there, and unmounting."""

    DEFAULT_CSS = """
    MountPanel #mount-host { width: 14; }
    MountPanel #mount-point { width: 1fr; }
    MountPanel #mount-use_cache { width: 1fr; min-width: 15; }
    MountPanel #mount-uid { width: 11; }
    MountPanel #mount-mp_umask { width: 10; }
    MountPanel #mount-multireq_max { width: 8; }
    MountPanel #mount-tools { color: $text-muted; padding: 0 1; }
    MountPanel #mount-tools.missing { color: $error; text-style: bold; }
    MountPanel #mount-table { height: 1fr; }
    """
    WORKER_GROUP = "files-mount"
    STATUS_ID = "mount-status"
    #: Enter mounts from any field but the host (there it lists the host's mounts)
    SUBMIT_INPUTS = tuple(field[0] for field in (*WHERE_FIELDS[1:], *OPTION_FIELDS))
    FORM_NAME = "files-mount"
    #: every field and the switches but mount-s3 (offered only once the host is seen to have it)
    REMEMBERED = (*(field[0] for field in (*WHERE_FIELDS, *OPTION_FIELDS)),
                  "mount-allow-other", "mount-mkdir")  # fmt: skip

    def __init__(self, services: Services, **options) -> None:
        super().__init__(services, **options)
        #: the clients looked for on the host (tests point them at nothing to see the state)
        self.s3fs_binary = "s3fs"
        self.mount_s3_binary = "mount-s3"
        self.fuse_device = "/dev/fuse"
        #: what the last look at a host found (the table shows it)
        self.last_seen: HostMounts | None = None
        #: what the last finished mount or unmount did
        self.last_done: str | None = None
        #: (host, mount point) -> S3 URL of each mount made by this run and not unmounted
        self.mounted_here: dict[tuple[str, str], str] = {}
        #: the run under way mounts or unmounts (rather than looks)
        self.changing_mounts = False

    def compose(self) -> ComposeResult:
        # the host completes from the known hosts, the folders from that host's folders
        on_host = lambda: self.value_of("mount-host") or "local"  # noqa: E731
        suggesters = {
            "mount-host": HostSuggester(self.services),
            "mount-point": PathSuggester(self.services, host=on_host),
            "mount-use_cache": PathSuggester(self.services, host=on_host),
        }
        with Horizontal(classes="files-form"):
            for field_id, value, placeholder, tooltip in WHERE_FIELDS:
                yield Input(
                    value=self.initial(field_id, value), placeholder=placeholder,
                    tooltip=literal(tooltip), id=field_id, suggester=suggesters.get(field_id),
                )  # fmt: skip
        with Horizontal(classes="files-form mount-options"):
            for field_id, value, placeholder, tooltip in OPTION_FIELDS:
                yield Label(field_id.removeprefix("mount-"))
                yield Input(
                    value=self.initial(field_id, value), placeholder=placeholder,
                    tooltip=literal(tooltip), id=field_id, suggester=suggesters.get(field_id),
                )  # fmt: skip
        with Horizontal(classes="files-form"):
            for label, switch_id, on in SWITCHES:
                yield Label(label)
                yield Switch(value=self.initial_switch(switch_id, on), id=switch_id,
                             disabled=switch_id == "mount-use-mount-s3")  # fmt: skip
        yield self.status_line(
            "Fill in bucket and mount point, Enter mounts · Del unmounts the selected mount."
        )
        yield Static("", id="mount-tools")
        yield DataTable(id="mount-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#mount-table", DataTable)
        table.add_columns("MOUNT POINT", "S3", "TOOL", "OPTIONS")

    def on_show(self, event: Show) -> None:
        if self.last_seen is None and not self.running:
            self.look(asked=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter in the other fields mounts: FilesPanel's handler runs too (SUBMIT_INPUTS)
        if event.input.id == "mount-host":
            event.stop()
            self.look()

    # -- runs ------------------------------------------------------------------------------------

    def look(self, *, asked: bool = True) -> None:
        """List the typed host's S3 mounts and what it has for mounting (``asked``: by the
        user, whose fields are then remembered, not on showing the panel)."""
        if asked:
            self.remember_fields()
        if self.running:
            return  # a mount or unmount is on its way; it looks at the host when done
        host_name = self.value_of("mount-host") or "local"
        self.changing_mounts = False
        self.begin(
            f"Looking at the S3 mounts of {host_name}…",
            lambda generation: self._post(generation, host_name),
            name=f"mounts of {host_name}",
        )

    def start(self) -> None:
        """Mount the bucket of the form (refused in read-only mode)."""
        self.remember_fields()
        if self.running:
            self.notify("Wait for the mount or unmount under way.", title="Mounts")
            return
        try:
            request = mount_request(
                host=self.value_of("mount-host"),
                bucket=self.value_of("mount-bucket"),
                prefix=self.value_of("mount-prefix"),
                mountpoint=self.value_of("mount-point"),
                cache=self.value_of("mount-use_cache"),
                uid=self.value_of("mount-uid"),
                umask=self.value_of("mount-mp_umask"),
                multireq=self.value_of("mount-multireq_max"),
                allow_other=self.query_one("#mount-allow-other", Switch).value,
                prefer_mount_s3=self.query_one("#mount-use-mount-s3", Switch).value,
                make_mountpoint=self.query_one("#mount-mkdir", Switch).value,
            )
        except MountError as error:
            self.refuse(error)
            return
        where = f"{request.host}:{request.mountpoint}"
        if not require_writable(self.app, f"Mounting {request.url} at {where}"):
            return
        self.last_done = None
        self.changing_mounts = True
        self.begin(
            f"Mounting {request.url} at {where}…",
            lambda generation: self._mount(generation, request),
            name=f"mount {where}",
        )

    def selected(self) -> MountEntry | None:
        table = self.query_one("#mount-table", DataTable)
        if self.last_seen is None or table.row_count == 0:
            return None
        row = table.cursor_row if 0 <= table.cursor_row < table.row_count else 0
        return self.last_seen.entries[row]

    def unmount_selected(self) -> None:
        """Unmount the selected mount after a yes (refused in read-only mode)."""
        if self.running:
            self.notify("Wait for the mount or unmount under way.", title="Mounts")
            return
        entry, seen = self.selected(), self.last_seen
        if entry is None or seen is None:
            self.notify("No S3 mount selected: there is nothing to unmount.", title="Mounts")
            return
        host_name, mountpoint = seen.host, entry.mountpoint

        def go() -> None:
            self.last_done = None
            self.changing_mounts = True
            self.begin(
                f"Unmounting {host_name}:{mountpoint}…",
                lambda generation: self._unmount(generation, host_name, mountpoint),
                name=f"unmount {host_name}:{mountpoint}",
            )

        run_destructive(
            self.app,
            f"Unmount {mountpoint} on {host_name}",
            go,
            detail="Objects stay in S3; programs using it lose access.",
        )

    def cancel(self) -> bool:
        """A mount or unmount cannot be stopped halfway: it finishes (or fails) by itself."""
        return False

    def active_work(self) -> list[ActiveWork]:
        """The mounts this run made (quitting leaves them mounted) and a mount or unmount
        under way (left to finish on the host)."""
        work = []
        if self.running and self.changing_mounts:
            work.append(ActiveWork(self.run_label, "is left to finish on the host"))
        if self.services.demo is not None:
            # the demo's endpoint is shared and outlives this window: the mount keeps working
            stays = "stays mounted and keeps working (`awsconsole demo stop` unmounts it)"
        else:
            stays = "stays mounted (Del in Files › Mounts unmounts it)"
        for (host, mountpoint), url in list(self.mounted_here.items()):  # a worker adds
            work.append(ActiveWork(f"S3 mount {url} at {host}:{mountpoint}", stays))
        return work

    # -- in the worker ---------------------------------------------------------------------------

    def _post(self, generation: int, host_name: str, done: str | None = None) -> None:
        mounts = self.services.mounts
        tools = mounts.tools(
            host_name,
            s3fs_binary=self.s3fs_binary,
            mount_s3_binary=self.mount_s3_binary,
            fuse_device=self.fuse_device,
        )
        seen = HostMounts(host_name, tools, tuple(mounts.list(host_name)), done)
        self.post_message(self.Finished(generation, seen))

    def _mount(self, generation: int, request: MountRequest) -> None:
        # the services' mounts backend refuses it while the console is read-only; it fills in
        # the console's endpoint (the demo's, once started) for the options that name none
        entry = self.services.mounts.mount(
            request.host,
            request.url,
            request.mountpoint,
            request.options,
            prefer_mount_s3=request.prefer_mount_s3,
            s3fs_binary=self.s3fs_binary,
            mount_s3_binary=self.mount_s3_binary,
            make_mountpoint=request.make_mountpoint,
        )
        done = f"Mounted {request.url} at {request.host}:{entry.mountpoint} with {entry.tool}."
        self.mounted_here[(request.host, entry.mountpoint)] = request.url
        self._post(generation, request.host, done)

    def _unmount(self, generation: int, host_name: str, mountpoint: str) -> None:
        self.services.mounts.unmount(host_name, mountpoint)
        self.mounted_here.pop((host_name, mountpoint), None)
        self._post(generation, host_name, f"Unmounted {mountpoint} on {host_name}.")

    # -- what comes back -------------------------------------------------------------------------

    def show_result(self, seen: HostMounts) -> None:
        self.last_seen = seen
        self.last_done = seen.done or self.last_done
        text, missing = tools_text(seen)
        tools = self.query_one("#mount-tools", Static)
        tools.set_class(missing, "missing")
        tools.update(text)
        use_mount_s3 = self.query_one("#mount-use-mount-s3", Switch)
        use_mount_s3.disabled = not seen.tools.mount_s3
        if not seen.tools.mount_s3:
            use_mount_s3.value = False
        table = self.query_one("#mount-table", DataTable)
        table.clear()
        for entry in seen.entries:
            table.add_row(
                entry.mountpoint,
                entry.url or "—",
                entry.tool,
                ",".join(entry.options),
                key=entry.mountpoint,
            )
        count = len(seen.entries)
        listed = f"{count} S3 mount{'s' if count != 1 else ''} on {seen.host}."
        if count:  # the footer may be too narrow to show the key
            listed += " Del unmounts the selected one."
        self.say(f"{seen.done} {listed}" if seen.done else listed)
