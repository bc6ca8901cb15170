"""What an instance costs per hour, and where the figure came from.

Three sources, best first, each named beside the price it gave:

- spot instances: the live spot price of their type in their zone
  (``aws ec2 describe-spot-price-history``);
- on-demand: the Pricing API (``aws pricing get-products --service-code AmazonEC2``) when it
  answers; it lives in us-east-1 only, and it is asked once per type; the first failure
  (no endpoint, denied) turns it off for the session. With an endpoint override (moto, the
  demo, LocalStack) it is not asked at all: those emulators carry no price list;
- otherwise the on-demand table shipped in ``price_table.json``, with its date.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Any

from console.models import HourlyPrice, Instance, SpotPrice

SPOT_SOURCE = "spot price history"
PRICING_API_SOURCE = "Pricing API"

#: Pricing API location names of the regions the table covers (the API filters by name)
REGION_LOCATIONS = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
}


@dataclass(frozen=True)
class PriceTable:
    """The shipped on-demand list prices: region -> instance type -> USD per hour."""

    as_of: str
    source_note: str
    note: str
    prices: dict[str, dict[str, float]]

    @property
    def source(self) -> str:
        """How a price from this table is labelled: ``table 2024-09-01``."""
        return f"table {self.as_of}"

    def lookup(self, region: str, instance_type: str) -> float | None:
        return self.prices.get(region, {}).get(instance_type)

    def types_in(self, region: str) -> list[str]:
        return sorted(self.prices.get(region, {}))


@lru_cache(maxsize=1)
def shipped_table() -> PriceTable:
    """The table in ``console/aws/ec2/price_table.json`` (read once)."""
    raw = json.loads(resources.files("console.aws.ec2").joinpath("price_table.json").read_text())
    return PriceTable(
        as_of=raw["as_of"],
        source_note=raw["source"],
        note=raw.get("note", ""),
        prices={region: dict(types) for region, types in raw["regions"].items()},
    )


def cost_since_launch(
    price: HourlyPrice | None, instance: Instance, now: dt.datetime | None = None
) -> float | None:
    """Dollars spent since launch at ``price``: only a running instance is billed for compute;
    a stopped one has no figure here (EC2 does not say how long it ran before stopping)."""
    if price is None or instance.launch_time is None or instance.state != "running":
        return None
    now = now or dt.datetime.now(dt.UTC)
    hours = max(0.0, (now - instance.launch_time).total_seconds() / 3600)
    return hours * price.price_per_hour


class PriceBook:
    """Hourly prices of instances in one region, from the best source that answers.

    ``spot_prices`` is ``Ec2Service.spot_prices``; ``pricing_client`` builds a boto3 client
    for the Pricing API (None: never ask it).
    """

    def __init__(
        self,
        region: str,
        spot_prices: Callable[[Iterable[str]], dict[tuple[str, str], SpotPrice]],
        pricing_client: Callable[[], Any] | None = None,
        table: PriceTable | None = None,
    ):
        self.region = region
        self._spot_prices = spot_prices
        self._pricing_client = pricing_client
        self.table = table or shipped_table()
        self._pricing_cache: dict[str, float | None] = {}
        self._lock = threading.Lock()
        #: why the Pricing API is not used (None while it may still answer)
        self.pricing_api_off: str | None = None if pricing_client else "not configured"

    def on_demand(self, instance_type: str) -> HourlyPrice | None:
        """The on-demand price of a type: the Pricing API, else the shipped table, else None.

        Never raises: a failing Pricing API is switched off and the table answers.
        """
        live = self._pricing_api_price(instance_type)
        if live is not None:
            return HourlyPrice(instance_type, self.region, live, PRICING_API_SOURCE)
        listed = self.table.lookup(self.region, instance_type)
        if listed is None:
            return None
        return HourlyPrice(instance_type, self.region, listed, self.table.source)

    def for_instances(self, instances: Iterable[Instance]) -> dict[str, HourlyPrice]:
        """Instance id -> its hourly price (instances with no known price are left out).

        Spot instances get the live spot price of their zone; when the spot history is
        unavailable they fall back to the on-demand figure, still labelled with its source.
        Raises what ``spot_prices`` raises (CredentialsError, AccessDeniedError, …).
        """
        instances = list(instances)
        spot_types = {i.type for i in instances if i.market == "spot"}
        spot = self._spot_prices(spot_types) if spot_types else {}
        prices: dict[str, HourlyPrice] = {}
        for instance in instances:
            found = spot.get((instance.type, instance.availability_zone or ""))
            # a zero spot price is no price (emulators answer 0.0): fall back to on-demand
            if instance.market == "spot" and found is not None and found.price_per_hour > 0:
                prices[instance.id] = HourlyPrice(
                    instance.type, self.region, found.price_per_hour, SPOT_SOURCE, market="spot"
                )
                continue
            on_demand = self.on_demand(instance.type)
            if on_demand is not None and instance.market == "spot":
                # an upper bound for a spot instance: say that it is the on-demand figure
                on_demand = replace(on_demand, source=f"{on_demand.source} (on-demand)")
            if on_demand is not None:
                prices[instance.id] = on_demand
        return prices

    # -- the Pricing API ----------------------------------------------------------------

    def _pricing_api_price(self, instance_type: str) -> float | None:
        with self._lock:
            if self.pricing_api_off is not None:
                return None
            if instance_type in self._pricing_cache:
                return self._pricing_cache[instance_type]
        location = REGION_LOCATIONS.get(self.region)
        if location is None or self._pricing_client is None:
            return None
        try:
            price = _ask_pricing_api(self._pricing_client(), instance_type, location)
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable": use the table
            with self._lock:
                self.pricing_api_off = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            return None
        with self._lock:
            self._pricing_cache[instance_type] = price
        return price


def _ask_pricing_api(client: Any, instance_type: str, location: str) -> float | None:
    """``aws pricing get-products --service-code AmazonEC2 --filters …`` for Linux, shared
    tenancy, no pre-installed software; the first on-demand USD price per hour found."""
    filters = {
        "instanceType": instance_type,
        "location": location,
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
    }
    reply = client.get_products(
        ServiceCode="AmazonEC2",
        Filters=[{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in filters.items()],
        MaxResults=10,
    )
    for product_text in reply.get("PriceList", []):
        product = json.loads(product_text) if isinstance(product_text, str) else product_text
        for term in product.get("terms", {}).get("OnDemand", {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                usd = dimension.get("pricePerUnit", {}).get("USD")
                if usd is not None and float(usd) > 0:
                    return float(usd)
    return None
