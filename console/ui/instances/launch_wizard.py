"""The launch wizard: the tutorial's launch steps in one form.

AMI (Deep Learning AMIs newest first by a name filter, or any AMI id), GPU instance type with
GPUs/vCPU/memory/$ per hour, key pair (existing, create and save ``~/.ssh/<name>.pem``, or
import ``~/.ssh/id_*.pub``), a new security group allowing SSH from the user's address /32
(a wider range, any IPv4 prefix shorter than /32 or IPv6 one shorter than /128, is asked
about and must be typed back), spot or on-demand, root volume size and Name. The vCPU quota
of the chosen family is shown where Service Quotas answers. ``Review`` ends the form on a
review page (``LaunchReviewScreen``: type, AMI, key, the SSH rule, storage, $/hour, the quota
and its use, the dry run's answer) gathered without creating anything; confirming there runs
the steps in a thread worker through the services (which refuse it while the console is
read-only), ``Back`` returns to the form as typed. Dismisses with the new instance's id (None
when cancelled). The wizard opens with the choices of its last "Review and launch" (see
REMEMBERED), each list choice once the lists have loaded and only where still offered.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Input

from console.errors import ConsoleError
from console.format.instances import dollars, gpu_label
from console.models import HourlyPrice, LaunchRequest
from console.models.launch import LaunchReview
from console.services.form_memory import FormMemory, form_name
from console.ui.common.confirm import ConfirmScreen
from console.ui.common.failures import ReportsWorkerFailures
from console.ui.common.footer import ConsoleFooter
from console.ui.common.guards import require_writable
from console.ui.common.literal import Label, Select, Static
from console.ui.instances.launch_review import LaunchReviewScreen

if TYPE_CHECKING:
    from console.services import Services

NEW_KEY = "__new__"
IMPORT_PREFIX = "import:"
DEFAULT_VOLUME_GIB = 100
DEFAULT_AMI_FILTER = "Deep Learning*"
#: the name the wizard's choices are remembered under (console.services.form_memory)
FORM_NAME = "launch"
#: the choices remembered, by widget id: AMI, type, key pair, SSH range (the security group
#: made), spot, storage. Not the Name: every launch names a new instance and its new
#: ``NAME-ssh`` security group.
REMEMBERED = ("launch-ami-filter", "launch-ami", "launch-ami-id", "launch-type", "launch-key",
              "launch-key-name", "launch-cidr", "launch-spot", "launch-volume")  # fmt: skip


@dataclass(frozen=True)
class WizardChoices:
    """What the form offers, loaded in a worker."""

    images: list[Any]  # ImageInfo, newest first
    types: list[tuple[Any, Any]]  # (InstanceTypeInfo, HourlyPrice | None)
    key_pairs: list[str]
    public_keys: list[str]
    my_ip: str | None


def wide_range(text: str) -> str | None:
    """The range ``text`` names when it holds more than one address (``0.0.0.0/0``,
    ``10.0.0.0/8``, ``1.2.3.0/24``, ``::/0``), as the backend will write it; None for one
    address (or text that is no address: the form says so first)."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None
    return str(network) if network.prefixlen < network.max_prefixlen else None


def range_size(cidr: str) -> str:
    """How many addresses a range holds, in words."""
    network = ipaddress.ip_network(cidr)
    if network.prefixlen == 0:
        return f"the whole IPv{network.version} internet"
    if network.num_addresses > 10**12:
        return f"2^{network.max_prefixlen - network.prefixlen} addresses"
    return f"{network.num_addresses:,} addresses"


def type_label(info: Any, price: Any) -> str:
    parts = [
        info.name,
        gpu_label(info) or "no GPU",
        f"{info.vcpus} vCPU",
        f"{round(info.memory_mib / 1024)} GiB",
    ]
    if price is not None:
        parts.append(f"{dollars(price.price_per_hour)}/h ({price.source})")
    return "  ".join(parts)


class LaunchWizardScreen(ReportsWorkerFailures, Screen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="launch.cancel")]

    class ChoicesLoaded(Message):
        def __init__(self, choices: WizardChoices) -> None:
            super().__init__()
            self.choices = choices

    class Reviewed(Message):
        def __init__(self, review: LaunchReview, confirmed: str | None) -> None:
            super().__init__()
            self.review = review
            self.confirmed = confirmed

    class Launched(Message):
        def __init__(self, instance_id: str, notes: list[str]) -> None:
            super().__init__()
            self.instance_id = instance_id
            self.notes = notes

    def __init__(self, services: Services, *, memory: FormMemory | None = None) -> None:
        super().__init__()
        self.services = services
        self.choices: WizardChoices | None = None
        self.launching = False
        self.memory = memory if memory is not None else FormMemory()
        self.form_name = form_name(FORM_NAME, services)
        #: the choices as the wizard was last left (see REMEMBERED)
        self.recalled = self.memory.recall(self.form_name)

    def compose(self) -> ComposeResult:
        value = self.recalled.get
        with VerticalScroll(id="launch-form"):
            yield Static("Loading AMIs, instance types and key pairs…", id="launch-status")
            yield Label("AMI name filter (newest first), or an AMI id below")
            yield Input(value("launch-ami-filter", DEFAULT_AMI_FILTER), id="launch-ami-filter")
            yield Select([], id="launch-ami", prompt="AMI")
            yield Input(value("launch-ami-id", ""), placeholder="ami-… (overrides the list)",
                        id="launch-ami-id")  # fmt: skip
            yield Label("Instance type")
            yield Select([], id="launch-type", prompt="instance type")
            yield Static("", id="launch-quota")
            yield Label("Key pair")
            yield Select([], id="launch-key", prompt="key pair")
            yield Input(value("launch-key-name", ""), id="launch-key-name",
                        placeholder="name for a new or imported key pair")  # fmt: skip
            yield Label(
                "SSH allowed from (your public address; a new security group; a wider range "
                "is asked about)"
            )
            yield Input(value("launch-cidr", ""), id="launch-cidr",
                        placeholder="type your public IP, e.g. 203.0.113.7")  # fmt: skip
            yield Checkbox("Spot instance (cheaper, may be interrupted)", id="launch-spot",
                           value=value("launch-spot") == "on")  # fmt: skip
            yield Label("Root volume (GiB)")
            yield Input(value("launch-volume", str(DEFAULT_VOLUME_GIB)), id="launch-volume",
                        type="integer")  # fmt: skip
            yield Label("Name")
            yield Input(placeholder="fashion-train", id="launch-name")
            with Horizontal():
                yield Button("Review and launch", variant="success", id="launch-go")
                yield Button("Cancel", id="launch-cancel")
        yield ConsoleFooter()

    # -- loading the choices ------------------------------------------------------------

    def on_mount(self) -> None:
        self.load_choices(self.query_one("#launch-ami-filter", Input).value.strip())

    def load_choices(self, name_filter: str) -> None:
        # every attribute of a backend is read in the worker: the demo's backends wait
        # until its endpoint is up, which must never block the UI thread
        ec2 = self.services.ec2

        def work() -> None:
            launcher = ec2.launcher
            images = launcher.find_images(name_filter or "*")
            table_types = ec2.price_book.table.types_in(ec2.price_book.region)
            infos = ec2.instance_types(table_types)
            types = [(infos[t], ec2.price_book.on_demand(t)) for t in table_types if t in infos]
            types.sort(key=lambda pair: (pair[0].gpu_count == 0, pair[0].name))
            self.post_message(
                self.ChoicesLoaded(
                    WizardChoices(
                        images=images,
                        types=types,
                        key_pairs=[k.name for k in launcher.key_pairs()],
                        public_keys=launcher.public_key_candidates(),
                        my_ip=launcher.my_public_ip(),
                    )
                )
            )

        self.run_worker(
            work,
            name="launch-choices",
            group="launch",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def on_launch_wizard_screen_choices_loaded(self, message: ChoicesLoaded) -> None:
        choices = self.choices = message.choices
        self.query_one("#launch-ami", Select).set_options(
            (f"{i.name}  {i.image_id}  {i.created[:10]}", i.image_id) for i in choices.images
        )
        if choices.images:
            self.query_one("#launch-ami", Select).value = choices.images[0].image_id
        self.query_one("#launch-type", Select).set_options(
            (type_label(info, price), info.name) for info, price in choices.types
        )
        keys = [(f"existing: {name}", name) for name in choices.key_pairs]
        keys.append(("create a new key pair (saved to ~/.ssh/<name>.pem)", NEW_KEY))
        keys += [(f"import {path}", IMPORT_PREFIX + path) for path in choices.public_keys]
        self.query_one("#launch-key", Select).set_options(keys)
        offered = {
            "launch-ami": {image.image_id for image in choices.images},
            "launch-type": {info.name for info, _ in choices.types},
            "launch-key": {key for _, key in keys},
        }
        for select_id, values in offered.items():  # as last chosen, where still offered
            chosen = self.recalled.get(select_id)
            if chosen in values:
                self.query_one(f"#{select_id}", Select).value = chosen
        cidr = self.query_one("#launch-cidr", Input)
        if choices.my_ip and not cidr.value:
            cidr.value = f"{choices.my_ip}/32"
        where = "found" if choices.my_ip else "not found offline: type it"
        self.set_status(
            f"{len(choices.images)} AMIs, {len(choices.types)} types; your public address {where}."
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "launch-ami-filter":
            event.stop()
            self.load_choices(event.value.strip())

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "launch-type" and event.value is not Select.NULL:
            self.load_quota(str(event.value))

    def load_quota(self, instance_type: str) -> None:
        spot = self.query_one("#launch-spot", Checkbox).value
        ec2 = self.services.ec2

        def work() -> None:
            quota = ec2.quotas.vcpu_limit(instance_type, spot=spot)
            if quota.limit is not None:
                text = f"vCPU quota ({quota.quota_name or quota.quota_code}): {quota.limit:g}"
            else:
                text = f"vCPU quota not available ({quota.unavailable_reason}); going on."
            self.app.call_from_thread(self.query_one("#launch-quota", Static).update, text)

        self.run_worker(
            work,
            name="launch-quota",
            group="launch-quota",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    # -- launching ----------------------------------------------------------------------

    def set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#launch-status", Static)
        status.set_class(error, "error")
        status.update(text)

    def show_failure(self, failure) -> None:
        self.launching = False
        self.set_status(failure.one_line(), error=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "launch-cancel":
            self.action_cancel()
        elif event.button.id == "launch-go":
            self.action_launch()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def form_problem(self) -> str | None:
        """What is missing or wrong in the form, in words; None when it can be launched."""
        value = lambda wid: self.query_one(wid, Input).value.strip()  # noqa: E731
        ami = value("#launch-ami-id") or self.query_one("#launch-ami", Select).value
        if ami is Select.NULL or not ami:
            return "Choose an AMI or type an AMI id."
        if self.query_one("#launch-type", Select).value is Select.NULL:
            return "Choose an instance type."
        key = self.query_one("#launch-key", Select).value
        if (key == NEW_KEY or str(key).startswith(IMPORT_PREFIX)) and not value("#launch-key-name"):
            return "Type a name for the new key pair."
        cidr = value("#launch-cidr")
        if not cidr:
            return "Type the public address SSH may come from (your IP)."
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            return f"{cidr!r} is not an IP address or CIDR block."
        volume = value("#launch-volume")
        if not volume.isdigit() or not 8 <= int(volume) <= 16384:
            return f"Root volume {volume!r} GiB: give a whole number from 8 to 16384."
        if not value("#launch-name"):
            return "Give the instance a Name."
        return None

    def typed(self) -> dict[str, str]:
        """The remembered choices as they are now (see REMEMBERED)."""
        values: dict[str, str] = {}
        for widget_id in REMEMBERED:
            widget = self.query_one(f"#{widget_id}")
            if isinstance(widget, Checkbox):
                values[widget_id] = "on" if widget.value else "off"
            elif isinstance(widget, Input):
                values[widget_id] = widget.value
            elif isinstance(widget, Select) and widget.value is not Select.NULL:
                values[widget_id] = str(widget.value)
        return values

    def action_launch(self) -> None:
        if self.launching or not require_writable(self.app, "Launching an instance"):
            return
        # kept even when the form is refused or the launch fails: nothing typed is lost
        self.recalled = self.typed()
        self.memory.remember(self.form_name, self.recalled)
        problem = self.form_problem()
        if problem is not None:
            self.set_status(problem, error=True)
            return
        wide = wide_range(self.query_one("#launch-cidr", Input).value)
        if wide is None:
            self._review(confirmed=None)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._review(confirmed=wide)
            else:
                self.set_status(
                    f"Not launched: SSH from {wide} was not confirmed. Use your own address "
                    "(/32) or confirm the range.",
                    error=True,
                )

        self.app.push_screen(
            ConfirmScreen(
                f"Open SSH (port 22) to {wide}",
                detail=f"{wide} is {range_size(wide)}, not only your address: anyone there "
                "can try to log in.",
                typed_confirmation=wide,
            ),
            callback=answered,
        )

    # -- the review page ---------------------------------------------------------------

    def key_words(self) -> tuple[str, str | None]:
        """The key pair in words for the review, and the existing key pair's name (None
        when the launch creates or imports one, or uses none)."""
        key = self.query_one("#launch-key", Select).value
        name = self.query_one("#launch-key-name", Input).value.strip()
        if key == NEW_KEY:
            return f"new key pair {name!r}, private key saved to ~/.ssh/{name}.pem", None
        if isinstance(key, str) and key.startswith(IMPORT_PREFIX):
            return f"{name!r}, imported from {key[len(IMPORT_PREFIX) :]}", None
        if key is Select.NULL or not key:
            return "none: SSH needs a key the instance knows", None
        return f"existing key pair {key!r}", str(key)

    def hourly_price(self, instance_type: str, spot: bool) -> HourlyPrice | None:
        """Worker thread: the on-demand price the form listed, or the cheapest zone's spot
        price now (``aws ec2 describe-spot-price-history``)."""
        ec2 = self.services.ec2
        if not spot:
            choices = self.choices.types if self.choices else []
            return next((price for info, price in choices if info.name == instance_type), None)
        try:
            prices = ec2.spot_prices([instance_type])
        except ConsoleError:
            return None
        found = [p for (name, _zone), p in prices.items() if name == instance_type]
        if not found:
            return None
        cheapest = min(found, key=lambda p: p.price_per_hour)
        return HourlyPrice(
            instance_type,
            ec2.price_book.region,
            cheapest.price_per_hour,
            f"spot price in {cheapest.availability_zone}",
            market="spot",
        )

    def _review(self, *, confirmed: str | None) -> None:
        """Gather the review page in a worker; ``confirmed`` is the wide range typed back."""
        request = self.request()
        key_words, existing_key = self.key_words()
        created = []
        if existing_key is None and request.key_name:
            created.append(f"the key pair {request.key_name!r}")
        created.append(f"the security group {request.name + '-ssh'!r}")
        dry = LaunchRequest(
            image_id=request.image_id,
            instance_type=request.instance_type,
            name=request.name,
            key_name=existing_key,
            spot=request.spot,
            root_volume_gib=request.root_volume_gib,
        )
        ec2 = self.services.ec2
        self.launching = True
        self.set_status(f"Reviewing {request.name}: dry run, quota, price…")

        def work() -> None:
            price = self.hourly_price(request.instance_type, request.spot)
            review = ec2.launcher.review(dry, price=price, created_on_confirm=tuple(created))
            self.post_message(self.Reviewed(review, confirmed))

        self.run_worker(
            work,
            name="launch-review",
            group="launch",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def on_launch_wizard_screen_reviewed(self, message: Reviewed) -> None:
        self.launching = False
        confirmed = message.confirmed

        def answered(launch: bool | None) -> None:
            if launch:
                self._launch(confirmed=confirmed)
            else:
                self.set_status("Not launched: edit the form, then review again.")

        self.set_status("Review the launch.")
        self.app.push_screen(
            LaunchReviewScreen(
                message.review,
                key=self.key_words()[0],
                # the range as the group will hold it (an address becomes its /32)
                ssh_from=str(
                    ipaddress.ip_network(
                        self.query_one("#launch-cidr", Input).value.strip(), strict=False
                    )
                ),
            ),
            callback=answered,
        )

    def request(self) -> LaunchRequest:
        """The launch the form describes (key pair by name; no security group yet)."""
        value = lambda wid: self.query_one(wid, Input).value.strip()  # noqa: E731
        key = self.query_one("#launch-key", Select).value
        if key == NEW_KEY or (isinstance(key, str) and key.startswith(IMPORT_PREFIX)):
            key_name: str | None = value("#launch-key-name")
        else:
            key_name = None if key is Select.NULL else str(key)
        return LaunchRequest(
            image_id=value("#launch-ami-id") or str(self.query_one("#launch-ami", Select).value),
            instance_type=str(self.query_one("#launch-type", Select).value),
            name=value("#launch-name"),
            key_name=key_name,
            spot=self.query_one("#launch-spot", Checkbox).value,
            root_volume_gib=int(value("#launch-volume")),
        )

    # -- launching ------------------------------------------------------------------------

    def _launch(self, *, confirmed: str | None) -> None:
        """Run the launch steps in a worker; ``confirmed`` is the wide range typed back."""
        value = lambda wid: self.query_one(wid, Input).value.strip()  # noqa: E731
        ami = value("#launch-ami-id") or str(self.query_one("#launch-ami", Select).value)
        instance_type = str(self.query_one("#launch-type", Select).value)
        key = self.query_one("#launch-key", Select).value
        key_name = value("#launch-key-name")
        cidr = value("#launch-cidr")
        spot = self.query_one("#launch-spot", Checkbox).value
        name = value("#launch-name")
        volume = int(value("#launch-volume"))
        ec2 = self.services.ec2
        self.launching = True
        self.set_status(f"Launching {name} ({instance_type})…")

        def work() -> None:
            launcher = ec2.launcher
            notes: list[str] = []
            if key == NEW_KEY:
                path = launcher.create_key_pair(key_name)
                notes.append(f"private key saved to {path}")
                chosen_key = key_name
            elif isinstance(key, str) and key.startswith(IMPORT_PREFIX):
                chosen_key = launcher.import_key_pair(key_name, key[len(IMPORT_PREFIX) :]).name
            else:
                chosen_key = None if key is Select.NULL else str(key)
            group = launcher.create_ssh_group(f"{name}-ssh", cidr, confirmed=confirmed)
            instance = launcher.launch(
                LaunchRequest(
                    image_id=ami,
                    instance_type=instance_type,
                    name=name,
                    key_name=chosen_key,
                    security_group_ids=(group,),
                    spot=spot,
                    root_volume_gib=volume,
                ),
            )
            self.post_message(self.Launched(instance.id, notes))

        self.run_worker(
            work,
            name="launch-run",
            group="launch",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def on_launch_wizard_screen_launched(self, message: Launched) -> None:
        self.launching = False
        detail = "; ".join([f"{message.instance_id} is starting", *message.notes])
        self.app.notify(detail, title="Launched")
        self.dismiss(message.instance_id)
