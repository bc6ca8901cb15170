"""``awsconsole instances``: the EC2 instances of the region (the Instances view's twin)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from console.commands import add_json_flag, print_json, print_table
from console.format.instances import dollars, duration, gpu_label, uptime_seconds
from console.models import HourlyPrice, Instance, InstanceTypeInfo


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "instances",
        help="list EC2 instances (like `aws ec2 describe-instances`)",
        description="List the EC2 instances of the region, terminated ones included.",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def as_record(
    instance: Instance,
    types: dict[str, InstanceTypeInfo],
    prices: dict[str, HourlyPrice] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The stable JSON shape of one instance (keys never renamed; new ones only appended)."""
    now = now or dt.datetime.now(dt.UTC)
    price = (prices or {}).get(instance.id)
    uptime = uptime_seconds(instance, now)
    info = types.get(instance.type)
    gpus = None
    if info is not None and info.gpu_count:
        gpus = {
            "count": info.gpu_count,
            "model": info.gpu_model,
            "memory_mib": info.gpu_memory_mib,
        }
    return {
        "id": instance.id,
        "name": instance.name,
        "type": instance.type,
        "state": instance.state,
        "market": instance.market,
        "availability_zone": instance.availability_zone,
        "public_ip": instance.public_ip,
        "private_ip": instance.private_ip,
        "launch_time": instance.launch_time,
        "key_name": instance.key_name,
        "image_id": instance.image_id,
        "tags": dict(instance.tags),
        "gpus": gpus,
        # appended with prices: seconds since the last start of a running instance, the
        # hourly price in USD, where it came from, and the compute cost since that start
        "uptime_seconds": None if uptime is None else round(uptime),
        "price_per_hour": None if price is None else price.price_per_hour,
        "price_source": None if price is None else price.source,
        "cost_since_launch": (
            None
            if price is None or uptime is None
            else round(uptime / 3600 * price.price_per_hour, 4)
        ),
    }


def columns(
    types: dict[str, InstanceTypeInfo], prices: dict[str, HourlyPrice] | None = None
) -> tuple:
    prices = prices or {}
    now = dt.datetime.now(dt.UTC)

    def price(i: Instance) -> HourlyPrice | None:
        return prices.get(i.id)

    def cost(i: Instance) -> str | None:
        seconds, p = uptime_seconds(i, now), price(i)
        return None if seconds is None or p is None else dollars(seconds / 3600 * p.price_per_hour)

    return (
        ("NAME", lambda i: i.name),
        ("ID", lambda i: i.id),
        ("TYPE", lambda i: i.type),
        ("GPUS", lambda i: gpu_label(types.get(i.type))),
        ("STATE", lambda i: i.state),
        ("MARKET", lambda i: i.market),
        ("AZ", lambda i: i.availability_zone),
        ("PUBLIC IP", lambda i: i.public_ip),
        ("LAUNCHED", lambda i: i.launch_time),
        ("UPTIME", lambda i: duration(uptime_seconds(i, now))),
        ("$/HOUR", lambda i: None if price(i) is None else dollars(price(i).price_per_hour)),
        ("COST", cost),
        ("PRICE FROM", lambda i: None if price(i) is None else price(i).source),
    )


def run(args: Any, services: Any) -> int:
    instances = services.ec2.list_instances()
    types = services.ec2.instance_types(i.type for i in instances)
    prices = services.ec2.hourly_prices(instances)
    if args.json:
        print_json(as_record(i, types, prices) for i in instances)
    else:
        print_table(instances, columns(types, prices))
    return 0
