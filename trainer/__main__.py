"""``python -m trainer {synth,train,eval,predict,bench,import-reference}``; ``python -m trainer CMD --help``
for options.

Exit status: 0 success, 2 bad input (the message says which file, line or option; a model file
that holds more than tensors and plain data is refused the same way), 75 training stopped for a
spot interruption after saving a checkpoint (see trainer/spot.py).
"""

from __future__ import annotations

import argparse
import sys

from trainer.config import ATTRIBUTE_SCORES, add_config_arguments
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


def _import_reference(args: argparse.Namespace) -> int:
    from trainer.reference import import_reference_command

    return import_reference_command(args)


def add_bench_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--width", type=float, default=1.0, help="channel multiplier (1.0 = the paper's network)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--steps", type=int, default=3, help="timed training steps per set-up")
    p.add_argument("--warmup", type=int, default=1, help="untimed steps first (kernel selection, caches)")
    p.add_argument("--latency-runs", type=int, default=10, help="timed single-image inferences")
    p.add_argument("--compare-images", type=int, default=16, help="images for the equal-results check")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint", help="use these trained weights (and their width and input size)")
    p.add_argument("--data-root", help="compare outputs on this dataset's val images, not noise")
    p.add_argument("--baseline-tf32", choices=("default", "off"), default="default",
                   help="CUDA baseline: PyTorch's default TF32 settings (cuDNN convolutions in TF32) "
                        "or strict fp32 everywhere")
    p.add_argument("--compile", action="store_true", help="also time ours with torch.compile")
    p.add_argument("--json-out", metavar="PATH", help="also write every figure to this JSON file")


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
    p.add_argument("checkpoint", help="best.pt, last.pt or an imported reference checkpoint")
    p.add_argument("--data-root", required=True)
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--device", default="auto")
    p.add_argument("--precision", default="fp32", choices=("auto", "fp32", "bf16", "fp16"),
                   help="fp32 (default, strict on CUDA: no TF32), or auto/bf16/fp16 autocast for speed")
    p.add_argument("--attribute-score", choices=ATTRIBUTE_SCORES,
                   help="rank attributes by the positive logit (the paper's evaluator) or the logit "
                        "margin (default: the checkpoint's training setting)")
    p.add_argument("--log-every", type=int, default=20, help="batches between progress lines in a log file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_eval)

    p = sub.add_parser("predict", help="categories, attributes and landmarks of images, on any machine")
    p.add_argument("checkpoint", help="best.pt, last.pt or an imported reference checkpoint")
    p.add_argument("images", nargs="+")
    p.add_argument("--bbox", type=int, nargs=4, metavar=("X1", "Y1", "X2", "Y2"),
                   help="crop to this box first, as training did (one image only)")
    p.add_argument("--top-attributes", type=int, default=3, help="attributes shown per type")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", action="store_true", help="print one JSON object per image")
    p.add_argument("--draw", metavar="OUT.png", help="save the (first) image with its landmarks marked")
    p.set_defaults(func=_predict)

    p = sub.add_parser("bench", help="ours vs a plain fp32 baseline: training images/s, latency")
    add_bench_arguments(p)
    p.set_defaults(func=_bench)

    p = sub.add_parser("import-reference", help="convert a checkpoint the paper's public code saved",
                       description="Convert the state dict the paper's public code saves (its whole network, "
                                   "48 categories) into a weights-only checkpoint that predict and eval load. "
                                   "The file is read weights-only: one holding anything but tensors is refused.")
    p.add_argument("checkpoint", help="the reference code's saved state dict (e.g. models/whole.pkl)")
    p.add_argument("out", help="the trainer checkpoint to write")
    p.add_argument("--data-root", help="take category and attribute names (and attribute types) from this "
                                       "dataset's Anno/list_category_cloth.txt and Anno/list_attr_cloth.txt")
    p.add_argument("--image-size", type=int, default=224, help="input side predict and eval use (default 224)")
    p.set_defaults(func=_import_reference)
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
