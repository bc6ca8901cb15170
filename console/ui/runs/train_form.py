"""The train form: where to train, on which data, with which settings, and how to run it.

It fills a ``TrainRequest`` and starts it through ``services.runs.train``, the path
``awsconsole train`` takes: ``python -m trainer train`` (or torchrun) as a job on each host,
recorded in the run ledger. Several hosts make a multi-node run (one job per node, node rank
in the order typed); "all GPUs" runs torchrun with one process per GPU of each node.

The dataset is a folder on the host(s), relative to the working folder or absolute. With
"synthetic" the form first makes a small synthetic dataset in the benchmark's layout there
when the folder has none (``python -m trainer synth``, a job of its own on each host, waited
for), as the demo does. With "S3 prefix" the prefix's contents are first copied into that
folder on each host (the transfer engine: S3 to this machine directly, to a host as its
``aws s3 cp --recursive`` job, followed to its end; files already there are skipped, names
that would leave the folder refused). The form stays open until the run has started: a mistake in a field
or a failure of the start is said under it, with everything typed kept. Read-only refuses
it (and the runs backend would too).

Hosts complete from the known hosts, the two folders from the first host's folders (the
dataset's relative to the working folder). The form opens as it was last submitted (through
``console.services.form_memory``; the run folder is new every time, a re-run's environment is
never kept), a re-run as its run was, and on an instance (``t`` in Instances) on that one.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input

from console.errors import ConsoleError
from console.models import (
    JobSpec,
    JobState,
    RunRecord,
    TrainDefaults,
    TrainRequest,
    TransferSpec,
    TransferState,
)
from console.services.form_memory import FormMemory, form_name
from console.ui.common.completion import HostSuggester, PathSuggester, first_host
from console.ui.common.failures import Failure, ReportsWorkerFailures
from console.ui.common.literal import Label, Select, Static
from console.ui.common.text import assemble, lines

if TYPE_CHECKING:
    from console.services import Services

#: the trainer's own defaults (trainer/config.py), shown when nothing suggests others
TRAINER_DEFAULTS = {"--epochs": "20", "--batch-size": "16", "--lr": "0.0001",
                    "--image-size": "224", "--precision": "auto"}  # fmt: skip
#: the options the form's fields write; the rest of a default or a re-run go to "more options"
FIELD_OPTIONS = ("--data-root", "--run-dir", *TRAINER_DEFAULTS)
#: the synthetic dataset when no defaults say how big: small enough for a CPU
SYNTH_ARGS = ("--images", "240", "--categories", "8")
#: the file whose presence means a folder holds a dataset (the benchmark's category list)
DATASET_MARK = "Anno/list_category_img.txt"
#: makes the dataset in "$1" with the interpreter "$2" unless it is there; positional
#: arguments, so no name typed in the form is ever read by the shell
SYNTH_SCRIPT = (
    'test -f "$1/' + DATASET_MARK + '" && exit 0; folder=$1 python=$2; shift 2; '
    'exec "$python" -m trainer synth "$folder" "$@"'
)
#: seconds between looks at a dataset job, and how long it may take
SYNTH_POLL_SECONDS = 0.5
SYNTH_TIMEOUT_SECONDS = 900.0
GPU_CHOICES = (("One GPU (python -m trainer train)", "1"),
               ("All GPUs of each node (torchrun)", "all"))  # fmt: skip
SOURCE_CHOICES = (("A folder on the host, as it is", "folder"),
                  ("An S3 prefix: copied into that folder on each host first", "s3"),
                  ("Synthetic: made in that folder first when it has none", "synthetic"))  # fmt: skip
DEFAULT_MASTER_PORT = 29500
#: the name the form's values are remembered under (console.services.form_memory)
FORM_NAME = "train"
#: the fields remembered, by widget id: all but the run folder (each launch gets a new one:
#: two runs never share metrics) and a re-run's environment (never shown, may hold secrets)
REMEMBERED = ("hosts", "gpus", "source", "data", "cwd", "s3", "epochs", "batch", "lr", "size",
              "amp", "name", "more", "master-addr", "master-port")  # fmt: skip
#: the remembered fields that are choices, with what each may be
CHOICES = {"gpus": ("1", "all"), "source": ("folder", "s3", "synthetic"), "amp": ("on", "off")}


class TrainFormError(ConsoleError):
    """A field of the train form holds something that cannot be used."""

    title = "Train"


@dataclass(frozen=True, slots=True)
class TrainPlan:
    """The form's answer: the request, and ``synth_args`` when the dataset is made first or
    ``s3_source`` (``s3://bucket/prefix/``) when it is copied from S3 first."""

    request: TrainRequest
    data_root: str
    synth_args: tuple[str, ...] | None = None
    s3_source: str | None = None


@dataclass(frozen=True, slots=True)
class TrainStarted:
    """What the form started: the run and the dataset jobs that ran before it."""

    run: RunRecord
    prepared: tuple[str, ...] = ()


def option_of(args: Sequence[str], name: str) -> str | None:
    """The last ``name VALUE`` / ``name=VALUE`` in ``args`` (as the trainer's argparse reads it)."""
    found = None
    words = list(args)
    for i, word in enumerate(words):
        if word == name and i + 1 < len(words):
            found = words[i + 1]
        elif word.startswith(name + "="):
            found = word[len(name) + 1 :]
    return found


def other_options(args: Sequence[str]) -> tuple[str, ...]:
    """``args`` without the options the form's fields write (each with its value)."""
    out: list[str] = []
    words = list(args)
    i = 0
    while i < len(words):
        word = words[i]
        if word in FIELD_OPTIONS:
            i += 2
            continue
        if any(word.startswith(name + "=") for name in FIELD_OPTIONS):
            i += 1
            continue
        out.append(word)
        i += 1
    return tuple(out)


def split_hosts(text: str) -> list[str]:
    """``"gpu-a, gpu-b gpu-c"`` -> the three names (commas and spaces both separate)."""
    return [part for part in text.replace(",", " ").split() if part]


def launch_hint(hosts_text: str, gpus: str) -> str:
    """How the run will start, in words, for the hosts typed and the GPU choice."""
    hosts = split_hosts(hosts_text)
    if not hosts:
        return "Type where to train: local (this machine), an instance, an ssh alias."
    per_node = "every GPU of each node (torchrun)" if gpus == "all" else "one process"
    if len(hosts) == 1:
        return f"1 node: {hosts[0]}, {per_node}"
    ranks = ", ".join(f"rank {rank} {host}" for rank, host in enumerate(hosts))
    return f"{len(hosts)} nodes (torchrun): {ranks}; {per_node} on each"


def fields_of_request(request: TrainRequest, *, synthetic: bool = False) -> dict[str, str]:
    """The form's fields (by the keys of REMEMBERED) as ``request`` fills them in."""
    args = request.trainer_args
    option = {key: option_of(args, key) or default for key, default in TRAINER_DEFAULTS.items()}
    return {
        "hosts": ", ".join(request.hosts), "gpus": "all" if request.gpus == "all" else "1",
        "source": "synthetic" if synthetic else "folder",
        "data": option_of(args, "--data-root") or "", "cwd": request.cwd or "~", "s3": "",
        "epochs": option["--epochs"], "batch": option["--batch-size"], "lr": option["--lr"],
        "size": option["--image-size"], "amp": "off" if option["--precision"] == "fp32" else "on",
        "name": request.name, "more": shlex.join(other_options(args)),
        "master-addr": request.master_addr, "master-port": str(request.master_port),
    }  # fmt: skip


def remembered(values: dict[str, str]) -> dict[str, str]:
    """What the form memory recalls, less what the form cannot show (a choice it does not
    offer, a field it does not have)."""
    kept = {key: text for key, text in values.items() if key in REMEMBERED}
    for key, choices in CHOICES.items():
        if key in kept and kept[key] not in choices:
            del kept[key]
    return kept


def _positive_int(field: str, text: str) -> str:
    value = text.strip()
    if not value.isdigit() or int(value) < 1:
        raise TrainFormError(f"{field}: {value!r} is not a whole number of at least 1.")
    return str(int(value))


def plan_from_fields(
    *,
    hosts: str,
    cwd: str,
    source: str,
    data_root: str,
    epochs: str,
    batch_size: str,
    lr: str,
    image_size: str,
    amp: bool,
    gpus: str,
    run_dir: str,
    name: str,
    more: str,
    master_addr: str = "",
    master_port: str = "",
    synth_args: Sequence[str] = SYNTH_ARGS,
    env: Sequence[tuple[str, str]] = (),
    s3_prefix: str = "",
) -> TrainPlan:
    """The plan the fields describe (``env``: a re-run's environment, kept as it was and never
    shown: it may hold secrets). Raises TrainFormError naming the field that is wrong."""
    targets = split_hosts(hosts)
    if not targets:
        raise TrainFormError("Hosts: say where to train (local, an instance or an ssh alias).")
    data = data_root.strip()
    if not data:
        raise TrainFormError("Dataset folder: say where the dataset is on the host.")
    epochs_value = _positive_int("Epochs", epochs)
    batch_value = _positive_int("Batch size", batch_size)
    size_value = _positive_int("Input size", image_size)
    if int(size_value) % 32:
        raise TrainFormError(f"Input size: {size_value} is not a multiple of 32 (the network "
                             "halves it five times).")  # fmt: skip
    try:
        rate = float(lr.strip())
    except ValueError:
        rate = 0.0
    if not rate > 0 or rate != rate or rate == float("inf"):
        raise TrainFormError(f"Learning rate: {lr.strip()!r} is not a positive number.")
    folder = run_dir.strip()
    if not folder:
        raise TrainFormError("Run folder: say where the run's files go (runs/NAME).")
    try:
        extra = tuple(shlex.split(more))
    except ValueError as exc:
        raise TrainFormError(f"More trainer options: {exc}.") from exc
    port = DEFAULT_MASTER_PORT
    if master_port.strip():
        port = int(master_port.strip()) if master_port.strip().isdigit() else 0
        if not 1 <= port <= 65535:
            raise TrainFormError(f"Master port: {master_port.strip()!r} is not a port (1-65535).")
    address = master_addr.strip()
    if any(c.isspace() for c in address):
        raise TrainFormError(f"Master address: {address!r} is not a host name or address.")
    if gpus not in ("1", "all"):
        raise TrainFormError(f"How to run: {gpus!r} is not a choice of the form.")
    # the fields come last: the trainer reads the last value of an option, so they win
    trainer_args = (
        *other_options(extra),
        "--data-root", data, "--run-dir", folder, "--epochs", epochs_value,
        "--batch-size", batch_value, "--lr", lr.strip(), "--image-size", size_value,
        "--precision", "auto" if amp else "fp32",
    )  # fmt: skip
    request = TrainRequest(
        hosts=tuple(targets), trainer_args=trainer_args, name=name.strip(), gpus=gpus,
        cwd=cwd.strip() or "~", master_addr=address, master_port=port, env=tuple(env),
    )  # fmt: skip
    synth = tuple(synth_args) if source == "synthetic" else None
    s3_source = None
    if source == "s3":
        s3_source = s3_prefix.strip()
        bucket = s3_source[len("s3://"):].split("/", 1)[0] if s3_source.startswith("s3://") else ""
        if not bucket:
            raise TrainFormError(f"S3 prefix: {s3_source!r} is not s3://BUCKET/PREFIX/."
                                 if s3_source else "S3 prefix: say which (s3://BUCKET/PREFIX/).")  # fmt: skip
        # the prefix's contents go into the folder, as `aws s3 cp --recursive` puts them
        s3_source = s3_source.rstrip("/") + "/"
    return TrainPlan(request, data, synth, s3_source)


def started_text(started: TrainStarted) -> Text:
    """What was started, with the exact commands that ran."""
    run = started.run
    return lines(
        assemble(("Started ", "bold"), (run.name, "bold"), f" ({run.id}) on ", ", ".join(run.hosts)),
        *(f"Dataset: {command}" for command in started.prepared),
        f"Command: {shlex.join(run.command)}",
        f"Run folder: {run.primary.host}:{run.run_dir}",
    )  # fmt: skip


def copy_dataset(services: Services, host: str, plan: TrainPlan) -> str:
    """Blocking: the S3 prefix copied into the dataset folder on ``host`` (recursive; files
    already there and the same are skipped), waited for, a host <-> S3 copy's job included;
    what ran, as one line. Raises ConsoleError when the copy fails."""
    request = plan.request
    folder = posixpath.join(services.jobs.manager(host).expand(request.cwd or "~"), plan.data_root)
    destination = folder if host == "local" else f"{host}:{folder}"
    result = services.files.transfers.run(
        TransferSpec(plan.s3_source or "", destination, recursive=True), follow_job=True
    )
    if result.state is not TransferState.DONE:
        raise TrainFormError(f"Copying {plan.s3_source} to {destination} ended "
                             f"{result.state.value}: {result.error or 'no reason given'}",
                             hint="The transfer queue (Files view) shows it.")  # fmt: skip
    copied = f"{result.files_copied} copied, {result.files_skipped} already there"
    if result.refused:
        copied += f", {len(result.refused)} refused (names that would leave the folder)"
    return f"{host}: awsconsole cp {plan.s3_source} {destination} -r ({copied})"


def make_dataset(services: Services, host: str, python: str, plan: TrainPlan) -> str:
    """Blocking: the dataset job on ``host`` (when its folder has none), waited for; its
    command as one line. Raises ConsoleError when it fails or takes too long."""
    request = plan.request
    command = ("sh", "-c", SYNTH_SCRIPT, "synth", plan.data_root, python, *(plan.synth_args or ()))
    manager = services.jobs.manager(host)
    job = manager.start(JobSpec(command=command, name=f"dataset for {request.name or 'train'}",
                                cwd=request.cwd, env=request.env))  # fmt: skip
    deadline = time.monotonic() + SYNTH_TIMEOUT_SECONDS
    while not job.status.finished:
        if time.monotonic() > deadline:
            raise TrainFormError(f"The dataset job {job.id} on {host} is still running after "
                                 f"{SYNTH_TIMEOUT_SECONDS:.0f} s.",
                                 hint="Watch it in the Jobs view; train once it has ended.")  # fmt: skip
        time.sleep(SYNTH_POLL_SECONDS)
        job = manager.get(job.id)
    if job.status.state is not JobState.EXITED or job.status.exit_code != 0:
        code = job.status.exit_code
        raise TrainFormError(
            f"Making the dataset on {host} failed (job {job.id}, "
            f"{'exit ' + str(code) if code is not None else job.status.state.value}): "
            f"{job.last_line or 'no output'}",
            hint="Its log is in the Jobs view.",
        )
    return f"{host}: {shlex.join(command)}"


class TrainFormScreen(ReportsWorkerFailures, ModalScreen[TrainStarted | None]):
    """Dismisses with what it started, or None on cancel."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="trainform.cancel"),
        Binding("ctrl+s", "submit", "Train", id="trainform.start", tooltip="Start the training"),
    ]

    DEFAULT_CSS = """
    TrainFormScreen { align: center middle; }
    #trainform-dialog {
        width: 100; max-width: 100%; height: auto; max-height: 95%;
        border: thick $primary; background: $surface; padding: 0 2;
    }
    #trainform-fields { height: 1fr; }
    #trainform-foot { height: auto; }
    #trainform-dialog Label { margin-top: 1; }
    #trainform-dialog Horizontal { height: auto; }
    #trainform-dialog Horizontal Vertical { height: auto; width: 1fr; margin-right: 1; }
    #trainform-launch, #trainform-preview { color: $text-muted; height: auto; }
    #trainform-error { color: $error; text-style: bold; height: auto; }
    #trainform-error.note { color: $text-muted; text-style: none; }
    #trainform-buttons { height: auto; margin-top: 1; }
    #trainform-buttons Button { margin-right: 2; }
    """

    def __init__(
        self,
        services: Services,
        *,
        hosts: Sequence[str] = (),
        defaults: TrainDefaults | None = None,
        initial: TrainRequest | None = None,
        memory: FormMemory | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self.memory = memory if memory is not None else FormMemory()
        suggested = defaults if defaults is not None else services.train_defaults
        self.synth_args = (
            tuple(suggested.synth_args) if suggested and suggested.synth_args else SYNTH_ARGS
        )
        base = initial or (suggested.request if suggested is not None else None)
        if base is None:
            base = TrainRequest(hosts=("local",), trainer_args=())
        self.base = base
        self.synthetic = initial is None and suggested is not None and bool(suggested.synth_args)
        self.values = fields_of_request(base, synthetic=self.synthetic)
        self.form_name = form_name(FORM_NAME, services)
        if initial is None:  # a re-run opens as its run was; anything else as last submitted
            recalled = remembered(self.memory.recall(self.form_name))
            if getattr(services, "demo", None) is not None:
                # the demo's options name its endpoint's metadata stand-in, whose port changes
                # with each endpoint: always this endpoint's, never a remembered one
                recalled.pop("more", None)
            self.values.update(recalled)
        if hosts:  # opened on an instance: that one
            self.values["hosts"] = ", ".join(hosts)
        self.starting = False
        self.started: TrainStarted | None = None

    def compose(self) -> ComposeResult:
        value = self.values
        name = value["name"] or "train"
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        services = self.services
        with Vertical(id="trainform-dialog"):
            with VerticalScroll(id="trainform-fields"):
                yield Static(assemble(("Train", "bold"), " — python -m trainer train as a job on "
                                      "each host, recorded in the run ledger."))  # fmt: skip
                yield Label("Hosts (local, an instance, an ssh alias; several: one node each)")
                yield Input(value["hosts"], id="trainform-hosts",
                            suggester=HostSuggester(services, several=True))  # fmt: skip
                yield Static(launch_hint(value["hosts"], value["gpus"]), id="trainform-launch")
                yield Label("How to run")
                yield Select(list(GPU_CHOICES), value=value["gpus"], allow_blank=False,
                             id="trainform-gpus")  # fmt: skip
                yield Label("Dataset")
                yield Select(list(SOURCE_CHOICES), value=value["source"], allow_blank=False,
                             id="trainform-source")  # fmt: skip
                # both folders are on the first host; the dataset's starts from the working one
                on_host = lambda: first_host(self._value("hosts"))  # noqa: E731
                with Horizontal():
                    with Vertical():
                        yield Label("Dataset folder on the host")
                        yield Input(value["data"], id="trainform-data",
                                    placeholder="data/deepfashion",
                                    suggester=PathSuggester(services, host=on_host,
                                                            base=lambda: self._value("cwd")))  # fmt: skip
                    with Vertical():
                        yield Label("Working folder")
                        yield Input(value["cwd"], id="trainform-cwd",
                                    suggester=PathSuggester(services, host=on_host))  # fmt: skip
                yield Label("S3 prefix (the S3 source: its contents go into the dataset folder)")
                yield Input(value["s3"], id="trainform-s3", placeholder="s3://bucket/deepfashion/")
                with Horizontal():
                    for label, widget_id in (("Epochs", "epochs"), ("Batch size", "batch"),
                                             ("Learning rate", "lr"), ("Input size", "size")):  # fmt: skip
                        with Vertical():
                            yield Label(label)
                            yield Input(value[widget_id], id=f"trainform-{widget_id}")
                yield Checkbox("Mixed precision (AMP) on GPUs", value=value["amp"] == "on",
                               id="trainform-amp")  # fmt: skip
                with Horizontal():
                    with Vertical():
                        yield Label("Run folder")
                        # a folder of its own for every launch: two runs never share metrics
                        yield Input(f"runs/{name}-{stamp}", id="trainform-run-dir")
                    with Vertical():
                        yield Label("Name")
                        yield Input(name, id="trainform-name")
                yield Label("More trainer options (python -m trainer train --help)")
                yield Input(value["more"], id="trainform-more")
                with Horizontal():
                    with Vertical():
                        yield Label("Master address (multi-node; blank: first host's)")
                        yield Input(value["master-addr"], id="trainform-master-addr")
                    with Vertical():
                        yield Label("Master port")
                        yield Input(value["master-port"], id="trainform-master-port")
            # the command, what went wrong and the buttons stay in sight below the fields,
            # which scroll on a small terminal: focus on Train never scrolls Hosts away
            with Vertical(id="trainform-foot"):
                yield Static("", id="trainform-preview")
                yield Static("", id="trainform-error")
                with Horizontal(id="trainform-buttons"):
                    yield Button("Train", variant="success", id="trainform-start")
                    yield Button("Cancel", id="trainform-cancel")

    def on_mount(self) -> None:
        self._preview()
        self.focus_home()

    def focus_home(self) -> None:
        """The Train button (the focus policy's home): Enter starts with what is shown."""
        self.query_one("#trainform-start", Button).focus()

    # -- reading the fields ---------------------------------------------------------------

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#trainform-{widget_id}", Input).value

    def _choice(self, widget_id: str) -> str:
        return str(self.query_one(f"#trainform-{widget_id}", Select).value)

    def plan(self) -> TrainPlan:
        """The fields as a plan. Raises TrainFormError naming what is wrong."""
        return plan_from_fields(
            hosts=self._value("hosts"), cwd=self._value("cwd"), source=self._choice("source"),
            data_root=self._value("data"), epochs=self._value("epochs"),
            batch_size=self._value("batch"), lr=self._value("lr"), image_size=self._value("size"),
            amp=self.query_one("#trainform-amp", Checkbox).value, gpus=self._choice("gpus"),
            run_dir=self._value("run-dir"), name=self._value("name"), more=self._value("more"),
            master_addr=self._value("master-addr"), master_port=self._value("master-port"),
            synth_args=self.synth_args, env=self.base.env, s3_prefix=self._value("s3"),
        )  # fmt: skip

    def _preview(self) -> None:
        """The trainer's options as they will be passed, kept up to date while typing."""
        try:
            plan = self.plan()
        except ConsoleError:
            text = ""
        else:
            text = "python -m trainer train " + shlex.join(plan.request.trainer_args)
        self.query_one("#trainform-preview", Static).update(text)
        self.query_one("#trainform-launch", Static).update(
            launch_hint(self._value("hosts"), self._choice("gpus"))
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._preview()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._preview()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._preview()

    # -- starting -------------------------------------------------------------------------

    def _say(self, text: str, *, error: bool = True) -> None:
        said = self.query_one("#trainform-error", Static)
        said.set_class(not error, "note")
        said.update(text)

    def typed(self) -> dict[str, str]:
        """The remembered fields as they are now (see REMEMBERED)."""
        values = {key: self._value(key) for key in REMEMBERED if key not in CHOICES}
        values["gpus"], values["source"] = self._choice("gpus"), self._choice("source")
        values["amp"] = "on" if self.query_one("#trainform-amp", Checkbox).value else "off"
        return values

    def action_submit(self) -> None:
        if self.starting:
            return
        # kept even when refused or failing: what was typed is not lost
        self.memory.remember(self.form_name, self.typed())
        if getattr(self.app, "read_only", False):
            self._say("Training was refused: the console is read-only.")
            return
        try:
            plan = self.plan()
        except ConsoleError as exc:
            self._say(exc.message)
            return
        self.starting = True
        first = ("Making the dataset, then starting" if plan.synth_args is not None else
                 f"Copying {plan.s3_source}, then starting" if plan.s3_source else "Starting")  # fmt: skip
        self._say(f"{first} the training on {', '.join(plan.request.hosts)}…", error=False)
        services = self.services

        def start() -> None:
            prepared: list[str] = []
            if plan.s3_source:
                prepared = [copy_dataset(services, host, plan) for host in plan.request.hosts]
            if plan.synth_args is not None:
                python = services.runs.command(plan.request)[0]
                prepared = [
                    make_dataset(services, host, python, plan) for host in plan.request.hosts
                ]
            run = services.runs.train(plan.request)
            self.app.call_from_thread(self._started, TrainStarted(run, tuple(prepared)))

        self.run_worker(start, name="train-start", group="train-start", thread=True,
                        exclusive=True, exit_on_error=False)  # fmt: skip

    def _started(self, started: TrainStarted) -> None:
        self.starting = False
        self.started = started
        self.dismiss(started)

    def show_failure(self, failure: Failure) -> None:
        """Called by the app's failure handler: the form stays open with what was typed."""
        self.starting = False
        self._say(failure.one_line())

    def action_cancel(self) -> None:
        if not self.starting:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "trainform-start":
            self.action_submit()
        else:
            self.action_cancel()
