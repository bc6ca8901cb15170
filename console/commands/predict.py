"""``awsconsole predict``: run the trainer on this machine on one image (predict locally).

    awsconsole predict CHECKPOINT IMAGE [--out DIR] [--top-attributes N]
                       [--bbox X1 Y1 X2 Y2] [--json]

CHECKPOINT is a local file, ``HOST:path`` or ``s3://bucket/key``; a remote one is fetched first
into the cache (``[runs] cache_dir``; a new folder per version, nothing replaced). The trainer
runs as its own process (``python -m trainer predict CHECKPOINT IMAGE --json --draw OUT.png``,
with ``[runs] python`` or the console's interpreter when it has torch) and loads the
checkpoint weights-only on the CPU. Prints the top-5 categories, the top attributes of each
type, the 8 landmarks, and where the picture with its landmarks marked was written (a new
file in ``--out``, default the cache's predictions folder). Allowed read-only: it only adds
files on this machine.
"""

from __future__ import annotations

from typing import Any

from console.commands import print_json, print_table
from console.format.terminal import visible


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="categories, attributes and landmarks of an image, with a checkpoint, on this machine",
        description="Run `python -m trainer predict` here on IMAGE with CHECKPOINT (local, "
        "HOST:path or s3://…, fetched first) and show its answer.",
    )
    parser.add_argument(
        "checkpoint", metavar="CHECKPOINT", help="local path, HOST:path or s3://bucket/key"
    )
    parser.add_argument("image", metavar="IMAGE", help="an image on this machine")
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="folder for the drawn picture (default: the cache's predictions folder)")  # fmt: skip
    parser.add_argument("--top-attributes", type=int, default=3, metavar="N",
                        help="attributes shown per type (default 3)")  # fmt: skip
    parser.add_argument("--bbox", type=int, nargs=4, metavar=("X1", "Y1", "X2", "Y2"),
                        help="crop to this box first, as training did")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the prediction as JSON")
    parser.set_defaults(func=run)


def as_record(prediction: Any) -> dict[str, Any]:
    """The stable JSON shape of a prediction."""
    return {
        "image": prediction.image,
        "checkpoint": prediction.checkpoint,
        "source": prediction.source,
        "box": list(prediction.box),
        "categories": [
            {"name": g.name, "probability": g.probability} for g in prediction.categories
        ],
        "attributes": {
            kind: [{"name": g.name, "probability": g.probability} for g in guesses]
            for kind, guesses in prediction.attributes
        },
        "landmarks": [
            {"name": lm.name, "x": lm.x, "y": lm.y, "u": lm.u, "v": lm.v}
            for lm in prediction.landmarks
        ],
        "drawn": prediction.drawn,
        "python": prediction.python,
        "seconds": round(prediction.seconds, 3),
    }


def _probability(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _pixels(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def run(args: Any, services: Any) -> int:
    prediction = services.runs.predict(
        args.checkpoint, args.image, out_dir=args.out, top_attributes=args.top_attributes,
        bbox=args.bbox,
    )  # fmt: skip
    if args.json:
        print_json([as_record(prediction)])
        return 0
    print(visible(f"{prediction.image} with {prediction.source}"))
    print()
    print_table(list(enumerate(prediction.categories, start=1)),
                (("#", lambda r: r[0]), ("CATEGORY", lambda r: r[1].name),
                 ("PROBABILITY", lambda r: _probability(r[1].probability))))  # fmt: skip
    print()
    rows = [(kind, guess) for kind, guesses in prediction.attributes for guess in guesses]
    print_table(rows, (("TYPE", lambda r: r[0]), ("ATTRIBUTE", lambda r: r[1].name),
                       ("PROBABILITY", lambda r: _probability(r[1].probability))))  # fmt: skip
    print()
    print_table(prediction.landmarks, (("LANDMARK", lambda lm: lm.name), ("X", lambda lm: _pixels(lm.x)),
                                       ("Y", lambda lm: _pixels(lm.y))))  # fmt: skip
    print()
    if prediction.drawn:
        print(visible(f"drawn: {prediction.drawn}"))
    print(visible(f"({prediction.seconds:.1f} s with {prediction.python})"))
    return 0
