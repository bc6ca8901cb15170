"""EC2 for the console: describe instances and turn them into ``console.models.Instance``."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any

from botocore import exceptions as boto
from botocore.config import Config

from console.aws.ec2.answers import instance_from_api, instance_type_from_api
from console.aws.ec2.launch import Launcher
from console.aws.ec2.lean import describe_page
from console.aws.ec2.prices import PriceBook
from console.aws.ec2.quotas import QuotaService
from console.aws.session import CLIENT_CONFIG, AwsSession
from console.errors import ConsoleError, NotFoundError, ReadOnlyError
from console.hosts.ssh.fingerprints import console_fingerprints, console_host_keys, fingerprint
from console.models import (
    HourlyPrice,
    Instance,
    InstanceDetail,
    InstanceTypeInfo,
    SecurityGroupRule,
    SpotPrice,
    VolumeInfo,
)

#: the EC2 calls behind the four state actions, and the state each one starts from
STATE_ACTIONS = {
    "start": "start_instances",
    "stop": "stop_instances",
    "reboot": "reboot_instances",
    "terminate": "terminate_instances",
}


#: instances in the first page when the caller wants first rows early: a screenful and a
#: margin (EC2 answers a small page in a fraction of a full one's time)
FIRST_PAGE_SIZE = 50

#: seconds a first page fetched ahead (``prefetch_first_page``) stays good to show
PREFETCH_MAX_AGE = 15.0


class Ec2Service:
    """The EC2 calls the console makes, in the region of ``aws_session``."""

    def __init__(self, aws_session: AwsSession, *, page_size: int = 1000):
        self._aws = aws_session
        #: instances per describe_instances call (EC2 allows 5..1000)
        self._page_size = page_size
        self._types: dict[str, InstanceTypeInfo] = {}
        self._unknown_types: set[str] = set()
        self._price_book = None
        #: (when it was asked, its answer to come) of ``prefetch_first_page``
        self._prefetched: tuple[float, Future] | None = None

    # -- launching -------------------------------------------------------------------------

    @property
    def launcher(self):
        """The launch wizard's backend (``console.aws.ec2.launch.Launcher``) for this region."""
        return Launcher(self._aws)

    @property
    def quotas(self):
        """Service Quotas for this region (``console.aws.ec2.quotas.QuotaService``)."""
        return QuotaService(self._aws)

    # -- prices ---------------------------------------------------------------------------

    @property
    def price_book(self):
        """The ``console.aws.ec2.prices.PriceBook`` of this region (built on first use)."""
        if self._price_book is None:
            # an endpoint override is an emulator (moto, the demo): it has no Pricing API
            live = self._pricing_client if not self._aws.endpoint_url else None
            self._price_book = PriceBook(self._aws.region or "", self.spot_prices, live)
            if not live:
                self._price_book.pricing_api_off = "endpoint override: the Pricing API is not asked"
        return self._price_book

    def _pricing_client(self):
        # The Pricing API has endpoints in us-east-1 (and ap-south-1) only, whatever the
        # region of the instances; an endpoint override (moto, the demo) applies to it too.
        return self._aws._session.client(  # noqa: SLF001 - a client outside the session's region
            "pricing",
            region_name="us-east-1",
            endpoint_url=self._aws.endpoint_url,
            # one try: an absent Pricing API should fall back to the table at once
            config=CLIENT_CONFIG.merge(Config(retries={"mode": "standard", "max_attempts": 1})),
        )

    def hourly_prices(self, instances: Iterable[Instance]) -> dict[str, HourlyPrice]:
        """Instance id -> $/hour with its source (live spot price, Pricing API, or the
        shipped table and its date); instances with no known price are left out.

        Shell equivalent: ``aws ec2 describe-spot-price-history …`` for spot instances and
        ``aws pricing get-products --service-code AmazonEC2 …`` for on-demand ones.
        Raises what ``spot_prices`` raises.
        """
        return self.price_book.for_instances(instances)

    # -- state actions --------------------------------------------------------------------

    def change_state(self, action: str, instance_id: str, *, read_only: bool = False) -> str:
        """Start, stop, reboot or terminate one instance; returns the state EC2 reports next.

        Shell equivalent: ``aws ec2 {start,stop,reboot,terminate}-instances --instance-ids ID``.
        Raises ReadOnlyError when ``read_only``, ValueError for an unknown action,
        NotFoundError (no such instance), AccessDeniedError, CredentialsError, EndpointError,
        and ConsoleError for a state EC2 refuses the action in (IncorrectInstanceState).
        """
        call = STATE_ACTIONS.get(action)
        if call is None:
            raise ValueError(f"unknown instance action {action!r}")
        if read_only:
            raise ReadOnlyError(f"{action.capitalize()} {instance_id} was refused: read-only.")
        client = self._aws.client("ec2")
        try:
            reply = getattr(client, call)(InstanceIds=[instance_id])
        except boto.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "IncorrectInstanceState":
                raise ConsoleError(
                    f"Cannot {action} {instance_id} in its current state.",
                    title="Instance state",
                    hint=exc.response["Error"].get("Message"),
                ) from exc
            if code.startswith("InvalidInstanceID"):
                raise NotFoundError(f"No instance {instance_id} in this region.") from exc
            raise self._aws.translate(exc, "ec2") from exc
        except boto.BotoCoreError as exc:
            raise self._aws.translate(exc, "ec2") from exc
        changes = (
            reply.get("StartingInstances")
            or reply.get("StoppingInstances")
            or reply.get("TerminatingInstances")
        )
        if changes:
            return changes[0].get("CurrentState", {}).get("Name", "unknown")
        return "rebooting"

    # -- detail ----------------------------------------------------------------------------

    def instance_detail(self, instance_id: str) -> InstanceDetail:
        """Tags, security-group rules, volumes, AMI name, IAM role and the SSH host-key
        fingerprints cloud-init printed to the console, for one instance.

        Shell equivalent: ``aws ec2 describe-instances --instance-ids ID``,
        ``describe-security-groups``, ``describe-volumes``, ``describe-images`` and
        ``get-console-output --instance-id ID`` (a console output that cannot be read is
        shown as absent, not as a failure).
        Raises NotFoundError, AccessDeniedError, CredentialsError, EndpointError.
        """
        client = self._aws.client("ec2")
        try:
            reply = client.describe_instances(InstanceIds=[instance_id])
        except boto.ClientError as exc:
            if exc.response.get("Error", {}).get("Code", "").startswith("InvalidInstanceID"):
                raise NotFoundError(f"No instance {instance_id} in this region.") from exc
            raise self._aws.translate(exc, "ec2") from exc
        raws = [i for r in reply.get("Reservations", []) for i in r.get("Instances", [])]
        if not raws:
            raise NotFoundError(f"No instance {instance_id} in this region.")
        raw = raws[0]
        with self._aws.errors("ec2"):
            groups = tuple(
                (g["GroupId"], g.get("GroupName", "")) for g in raw.get("SecurityGroups", [])
            )
            rules: list[SecurityGroupRule] = []
            if groups:
                described = client.describe_security_groups(GroupIds=[g for g, _ in groups])
                for group in described.get("SecurityGroups", []):
                    rules.extend(rules_from_group(group))
            volumes = volumes_of(client, raw)
            image_name = None
            if raw.get("ImageId"):
                images = client.describe_images(ImageIds=[raw["ImageId"]]).get("Images", [])
                image_name = images[0].get("Name") if images else None
        role = raw.get("IamInstanceProfile", {}).get("Arn")
        output = self.console_output(instance_id)
        return InstanceDetail(
            instance=instance_from_api(raw),
            security_groups=groups,
            rules=tuple(rules),
            volumes=volumes,
            iam_role=role.rsplit("/", 1)[-1] if role else None,
            image_name=image_name,
            host_key_fingerprints=host_key_fingerprints(output or ""),
            console_output_available=bool(output),
        )

    def console_output(self, instance_id: str) -> str | None:
        """The instance's serial console text (``aws ec2 get-console-output --instance-id
        ID --output text``); None when EC2 has none or refuses (it is optional detail)."""
        try:
            reply = self._aws.client("ec2").get_console_output(InstanceId=instance_id)
        except (boto.ClientError, boto.BotoCoreError, ConsoleError):
            return None
        text = reply.get("Output")
        if not text:
            return None
        # EC2 documents the output as base64; boto3 decodes it already
        return text

    def instance_types(self, names: Iterable[str]) -> dict[str, InstanceTypeInfo]:
        """vCPUs, memory and GPUs (count, model, memory) of each named instance type.

        Shell equivalent: ``aws ec2 describe-instance-types --instance-types NAME …``.
        Answers are cached for the life of the service (a type's hardware never changes);
        names EC2 does not know are left out of the result.
        Raises CredentialsError, AccessDeniedError (ec2:DescribeInstanceTypes), EndpointError,
        ThrottledError.
        """
        wanted = sorted({n for n in names if n})
        missing = [n for n in wanted if n not in self._types and n not in self._unknown_types]
        # the API takes at most 100 names per call
        for start in range(0, len(missing), 100):
            self._fetch_types(missing[start : start + 100])
        return {n: self._types[n] for n in wanted if n in self._types}

    def _fetch_types(self, names: list[str]) -> None:
        client = self._aws.client("ec2")
        try:
            reply = client.describe_instance_types(InstanceTypes=names)
        except boto.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "InvalidInstanceType":
                raise self._aws.translate(exc, "ec2") from exc
            # one unknown name fails the whole call: ask for each name on its own
            if len(names) == 1:
                self._unknown_types.add(names[0])
            else:
                for name in names:
                    self._fetch_types([name])
            return
        except boto.BotoCoreError as exc:
            raise self._aws.translate(exc, "ec2") from exc
        for raw in reply.get("InstanceTypes", []):
            info = instance_type_from_api(raw)
            self._types[info.name] = info

    def spot_prices(
        self, instance_types: Iterable[str], product: str = "Linux/UNIX"
    ) -> dict[tuple[str, str], SpotPrice]:
        """The latest spot price of each type in each availability zone of the region.

        Shell equivalent: ``aws ec2 describe-spot-price-history --instance-types T …
        --product-descriptions Linux/UNIX --start-time NOW`` (EC2 then returns the price in
        effect now, one per type and zone). Keyed by (instance type, availability zone).
        Raises CredentialsError, AccessDeniedError (ec2:DescribeSpotPriceHistory),
        EndpointError, ThrottledError.
        """
        types = sorted({t for t in instance_types if t})
        latest: dict[tuple[str, str], SpotPrice] = {}
        if not types:
            return latest
        with self._aws.errors("ec2"):
            paginator = self._aws.client("ec2").get_paginator("describe_spot_price_history")
            pages = paginator.paginate(
                InstanceTypes=types,
                ProductDescriptions=[product],
                StartTime=dt.datetime.now(dt.UTC),
            )
            for page in pages:
                for raw in page.get("SpotPriceHistory", []):
                    price = SpotPrice(
                        instance_type=raw["InstanceType"],
                        availability_zone=raw.get("AvailabilityZone", ""),
                        price_per_hour=float(raw["SpotPrice"]),
                        timestamp=raw.get("Timestamp"),
                        product=raw.get("ProductDescription", product),
                    )
                    key = (price.instance_type, price.availability_zone)
                    known = latest.get(key)
                    if known is None or _newer(price, known):
                        latest[key] = price
        return latest

    def list_instances(
        self, first_page: Callable[[list[Instance]], None] | None = None
    ) -> list[Instance]:
        """Every instance of the region, terminated ones included, in the order EC2 returns them.

        With ``first_page``, the first page is a small one (``FIRST_PAGE_SIZE`` instances)
        handed to ``first_page`` as soon as it arrives when more pages follow (the view
        draws it while the rest loads). Shell equivalent: ``aws ec2 describe-instances`` (all pages).
        Raises CredentialsError (none, expired, rejected), AccessDeniedError
        (ec2:DescribeInstances not allowed), EndpointError (unreachable endpoint or region),
        ThrottledError (still throttled after adaptive retries), ConfigError (no region).
        """
        instances: list[Instance] = []
        pages = self._pages(FIRST_PAGE_SIZE if first_page else None)
        for page, more in pages:
            # a first page that is the whole listing is not handed over: it comes back whole
            if first_page is not None and not instances and more:
                first_page(page)
            instances.extend(page)
        return instances

    def prefetch_first_page(self) -> None:
        """Ask for the first page (``FIRST_PAGE_SIZE`` instances) now, in a thread.

        The console calls this before it builds its window, so creating the EC2 client and
        the request's round trip overlap the window's start-up; the next
        ``list_instances(first_page=…)`` within ``PREFETCH_MAX_AGE`` seconds starts from
        that answer instead of asking again. A failure is kept and raised there, as the
        call itself would have raised it.
        """
        answer: Future = Future()

        def fetch() -> None:
            try:
                with self._aws.errors("ec2"):
                    page = describe_page(
                        self._aws.client("ec2"), max_results=_page_limit(FIRST_PAGE_SIZE)
                    )
            except BaseException as exc:  # handed to whoever takes the page
                answer.set_exception(exc)
            else:
                answer.set_result(page)

        self._prefetched = (time.monotonic(), answer)
        threading.Thread(target=fetch, name="ec2-first-page", daemon=True).start()

    def _take_prefetched(self) -> Future | None:
        """The prefetched first page's answer, once, when it is still fresh."""
        prefetched, self._prefetched = self._prefetched, None
        if prefetched is None or time.monotonic() - prefetched[0] > PREFETCH_MAX_AGE:
            return None
        return prefetched[1]

    def iter_instance_pages(self, first_page_size: int | None = None) -> Iterator[list[Instance]]:
        """The instances of the region page by page, lazily (one request per page consumed):
        a first page of ``first_page_size`` instances when given (quick to answer, for the
        first rows on screen), then pages of the service's page size.

        Each answer is read lean (``console.aws.ec2.lean``: only the fields an ``Instance``
        has), not through botocore's parse of every element. Shell equivalent:
        ``aws ec2 describe-instances --page-size N``. Raises like ``list_instances``.
        """
        for page, _ in self._pages(first_page_size):
            yield page

    def _pages(self, first_page_size: int | None) -> Iterator[tuple[list[Instance], bool]]:
        """(instances, whether more pages follow) for each page."""
        token: str | None = None
        size = first_page_size or self._page_size
        prefetched = self._take_prefetched() if first_page_size == FIRST_PAGE_SIZE else None
        while True:
            if prefetched is not None:
                page, prefetched = prefetched.result(), None
            else:
                with self._aws.errors("ec2"):
                    page = describe_page(
                        self._aws.client("ec2"), token=token, max_results=_page_limit(size)
                    )
            token, size = page.next_token, self._page_size
            yield [instance_from_api(raw) for raw in page.instances], bool(token)
            if not token:
                return


def _page_limit(size: int) -> int:
    """EC2 takes MaxResults from 5 to 1,000."""
    return max(5, min(1000, size))


def host_key_fingerprints(console_output: str) -> tuple[tuple[str, str], ...]:
    """(key type, SHA256 fingerprint) of every host key in a console output: the keys of the
    ``SSH HOST KEY KEYS`` block, then fingerprints only the fingerprint block lists."""
    found: list[tuple[str, str]] = []
    for key_type, key_base64 in console_host_keys(console_output):
        try:
            found.append((key_type, fingerprint(key_base64)))
        except ValueError:
            continue
    known = {fp for _, fp in found}
    found.extend(("", fp) for fp in sorted(console_fingerprints(console_output)) if fp not in known)
    return tuple(found)


def rules_from_group(group: dict[str, Any]) -> list[SecurityGroupRule]:
    """Every permission of a describe_security_groups element, one rule per source."""
    rules = []
    for direction, key in (("inbound", "IpPermissions"), ("outbound", "IpPermissionsEgress")):
        for perm in group.get(key, []):
            protocol = perm.get("IpProtocol", "-1")
            protocol = "all" if protocol == "-1" else protocol
            low, high = perm.get("FromPort"), perm.get("ToPort")
            if low is None or protocol == "all" or (low, high) in ((-1, -1), (0, 65535)):
                ports = "all"
            else:
                ports = str(low) if low == high else f"{low}-{high}"
            sources = [r["CidrIp"] for r in perm.get("IpRanges", [])]
            sources += [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])]
            sources += [p["GroupId"] for p in perm.get("UserIdGroupPairs", []) if "GroupId" in p]
            for source in sources or ["-"]:
                rules.append(
                    SecurityGroupRule(
                        group["GroupId"],
                        group.get("GroupName", ""),
                        direction,
                        protocol,
                        ports,
                        source,
                    )
                )
    return rules


def volumes_of(client: Any, raw: dict[str, Any]) -> tuple[VolumeInfo, ...]:
    mappings = [m for m in raw.get("BlockDeviceMappings", []) if "Ebs" in m]
    ids = [m["Ebs"]["VolumeId"] for m in mappings]
    sizes: dict[str, dict[str, Any]] = {}
    if ids:
        for volume in client.describe_volumes(VolumeIds=ids).get("Volumes", []):
            sizes[volume["VolumeId"]] = volume
    return tuple(
        VolumeInfo(
            volume_id=m["Ebs"]["VolumeId"],
            device=m.get("DeviceName", ""),
            size_gib=sizes.get(m["Ebs"]["VolumeId"], {}).get("Size"),
            volume_type=sizes.get(m["Ebs"]["VolumeId"], {}).get("VolumeType"),
            delete_on_termination=m["Ebs"].get("DeleteOnTermination"),
        )
        for m in mappings
    )


def _newer(candidate: SpotPrice, known: SpotPrice) -> bool:
    if candidate.timestamp is None:
        return False
    return known.timestamp is None or candidate.timestamp > known.timestamp
