"""``python -m trainer {synth,train,eval,predict,bench}``; ``python -m trainer CMD --help`` for options.

Exit status: 0 success, 2 bad input (the message says which file, line or option),
75 training stopped for a spot interruption after saving a checkpoint (see trainer/spot.py).
"""

from __future__ import annotations

import argparse
import sys

from trainer.config import add_config_arguments
from trainer.errors import TrainerError


def _synth(args: argparse.Namespace) -> int:
    from trainer.synth import write_dataset

    garments = write_dataset(args.out, images=args.images, seed=args.seed, categories=args.categories,
                             variation_type=args.variation_type)
    print(f"wrote {len(garments)} images and 7 annotation files under {args.out}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from trainer.config import config_from_args
    from trainer.train import Trainer

    return Trainer(config_from_args(args)).run()


def _eval(args: argparse.Namespace) -> int:
    from trainer.predict import evaluate_checkpoint

    return evaluate_checkpoint(args)


def _predict(args: argparse.Namespace) -> int:
    from trainer.predict import predict_command

    return predict_command(args)


def _bench(args: argparse.Namespace) -> int:
    from trainer.bench import bench_command

    return bench_command(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synth", help="write a synthetic dataset in the benchmark's layout")
    p.add_argument("out", help="dataset root to create")
    p.add_argument("--images", type=int, default=200, help="number of images (default 200)")
    p.add_argument("--seed", type=int, default=0, help="seed; the same seed writes the same files")
    p.add_argument("--categories", type=int, default=8, help="how many of the 50 categories to draw")
    p.add_argument("--variation-type", action="store_true",
                   help="add the Landmark Detection benchmark's variation_type column")
    p.set_defaults(func=_synth)

    p = sub.add_parser("train", help="train (torchrun-aware); exit status 75 after a spot interruption")
    add_config_arguments(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("eval", help="the paper's metrics of a checkpoint on a split")
    p.add_argument("checkpoint")
    p.add_argument("--data-root", required=True)
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--device", default="auto")
    p.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16", "fp16"))
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_eval)

    p = sub.add_parser("predict", help="categories, attributes and landmarks of images, on any machine")
    p.add_argument("checkpoint")
    p.add_argument("images", nargs="+")
    p.add_argument("--bbox", type=int, nargs=4, metavar=("X1", "Y1", "X2", "Y2"),
                   help="crop to this box first, as training did (one image only)")
    p.add_argument("--top-attributes", type=int, default=3, help="attributes shown per type")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", action="store_true", help="print one JSON object per image")
    p.add_argument("--draw", metavar="OUT.png", help="save the (first) image with its landmarks marked")
    p.set_defaults(func=_predict)

    p = sub.add_parser("bench", help="ours vs a plain fp32 baseline: training images/s, latency")
    from trainer.bench import add_bench_arguments

    add_bench_arguments(p)
    p.set_defaults(func=_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except TrainerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
