"""What instances cost per hour, for the idle warning and autostop (one rule for both)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.errors import ConsoleError
from console.models import Instance

if TYPE_CHECKING:
    from console.services.bundle import Services


def hourly_prices(services: Services, instances: list[Instance]) -> dict[str, float]:
    """USD per hour by instance id, where known (blocking: call from a worker).

    The EC2 backend prices spot instances at their zone's spot price and on-demand ones from
    the Pricing API or its shipped table (``services.ec2.hourly_prices``). A price that
    cannot be read leaves the warning without a cost, never wrong: when the spot price
    history fails, the on-demand instances are still priced.
    """
    try:
        found = services.ec2.hourly_prices(instances)
    except ConsoleError:
        on_demand = [i for i in instances if i.market != "spot"]
        try:
            found = services.ec2.hourly_prices(on_demand) if on_demand else {}
        except ConsoleError:
            found = {}
    return {instance_id: price.price_per_hour for instance_id, price in found.items()}
