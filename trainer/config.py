"""One frozen configuration object for training; every field documented, the CLI built from it.

The resolved configuration (these fields plus what was derived at start: device, precision,
world size, class counts) is written to ``<run_dir>/config.json`` so a run explains itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.errors import ConfigError

ATTRIBUTE_SCORES = ("positive", "margin")
#: fields that say where and how a run is carried out, not what it trains: left out of the digest,
#: so a run resumed elsewhere (another folder, data path, S3 prefix, worker count) keeps its digest
OPERATIONAL_FIELDS = frozenset({
    "data_root", "run_dir", "resume", "s3_uri", "s3_endpoint", "spot_watch", "imds_endpoint", "spot_poll_s",
    "workers", "threads", "log_every", "checkpoint_every", "device", "compile",
})


def _f(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class TrainConfig:
    data_root: str = _f("", "dataset root holding Anno/, Eval/ and img/ (the benchmark layout)")
    run_dir: str = _f("runs/default", "folder for config.json, metrics.jsonl and checkpoints")
    image_size: int = _f(224, "input side in pixels after the bounding-box crop; a multiple of 32")
    width: float = _f(1.0, "channel multiplier for every layer (1.0 = the paper's network)")
    batch_size: int = _f(16, "images per step on each process")
    epochs: int = _f(20, "number of epochs")
    lr: float = _f(1e-4, "Adam learning rate")
    lr_decay: float = _f(0.8, "learning-rate factor applied after every epoch")
    weight_decay: float = _f(0.0, "Adam weight decay")
    grad_clip: float = _f(0.0, "clip the gradient norm to this value; 0 = off, as the paper trained "
                                "(a limit such as 10 steadies runs with a raised learning rate)")
    seed: int = _f(0, "seed for weights, shuffling and augmentation")
    workers: int = _f(2, "data-loading worker processes per training process (0 = in-process)")
    threads: int = _f(0, "CPU threads torch may use per process (0 = torch's default)")
    augment: bool = _f(False, "light augmentation: horizontal flip and brightness/contrast jitter")
    device: str = _f("auto", "auto, cpu, cuda or cuda:N")
    precision: str = _f("auto", "training maths: auto (bf16/fp16 AMP on CUDA, fp32 on CPU), fp32, bf16 or fp16")
    eval_precision: str = _f("fp32", "evaluation maths: fp32 (strict, no TF32: the metrics the paper's "
                                     "table compares with), or auto/bf16/fp16 as for training")
    channels_last: str = _f("auto", "auto (on with CUDA or bf16), on or off")
    compile: str = _f("auto", "torch.compile the model: auto (on with CUDA), on or off")
    log_every: int = _f(20, "steps between progress lines and metrics.jsonl records")
    checkpoint_every: int = _f(0, "also save last.pt every N steps inside an epoch (0 = epoch end only)")
    max_steps_per_epoch: int = _f(0, "cap on steps per epoch (0 = the whole training split)")
    eval_split: str = _f("val", "split evaluated after each epoch (train, val or test)")
    resume: str = _f("", "'auto' (last.pt of run_dir, else of the S3 URI), a path to a last.pt, the s3:// URI of "
                         "one (fetched into run_dir first), or empty")
    backbone_weights: str = _f("", "ImageNet VGG16 state dict for conv1-conv5 (e.g. torchvision's vgg16-397923af.pth); "
                                       "without it the network starts from random weights")
    s3_uri: str = _f("", "upload every checkpoint to this s3://bucket/prefix")
    s3_endpoint: str = _f("", "S3 endpoint override (for S3-compatible stores and tests)")
    spot_watch: str = _f("auto", "auto (on when the metadata service answers), on or off")
    imds_endpoint: str = _f("http://169.254.169.254", "instance metadata service address")
    spot_poll_s: float = _f(5.0, "seconds between metadata-service polls")
    loss_weight_category: float = _f(1.0, "weight of the category cross-entropy")
    loss_weight_attribute: float = _f(20.0, "weight of the attribute cross-entropy")
    loss_weight_landmark: float = _f(10.0, "weight of the landmark heatmap MSE")
    heatmap_radius: float = _f(8.0, "R of the target heatmaps exp(-0.5*d/R) at 224 px, scaled with image_size")
    attribute_score: str = _f("positive", "what attribute recall@k ranks by: positive (the positive logit, as "
                                          "the paper's evaluator) or margin (positive minus negative logit)")

    def __post_init__(self) -> None:
        if self.image_size <= 0 or self.image_size % 32:
            raise ConfigError(f"image_size must be a positive multiple of 32, got {self.image_size}")
        if not 0 < self.width <= 4:
            raise ConfigError(f"width must be in (0, 4], got {self.width}")
        for name in ("batch_size", "epochs", "log_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("workers", "threads", "checkpoint_every", "max_steps_per_epoch", "grad_clip", "weight_decay"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.lr <= 0 or not 0 < self.lr_decay <= 1:
            raise ConfigError(f"lr must be > 0 and lr_decay in (0, 1], got {self.lr} and {self.lr_decay}")
        _choice("precision", self.precision, ("auto", "fp32", "bf16", "fp16"))
        _choice("eval_precision", self.eval_precision, ("auto", "fp32", "bf16", "fp16"))
        _choice("attribute_score", self.attribute_score, ATTRIBUTE_SCORES)
        _choice("channels_last", self.channels_last, ("auto", "on", "off"))
        _choice("compile", self.compile, ("auto", "on", "off"))
        _choice("spot_watch", self.spot_watch, ("auto", "on", "off"))
        _choice("eval_split", self.eval_split, ("train", "val", "test"))
        if self.s3_uri and not self.s3_uri.startswith("s3://"):
            raise ConfigError(f"s3_uri must start with s3://, got {self.s3_uri!r}")
        if self.spot_poll_s <= 0:
            raise ConfigError(f"spot_poll_s must be positive, got {self.spot_poll_s}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def digest(self) -> str:
        """``sha256:`` of the fields that define what is trained (OPERATIONAL_FIELDS left out):
        two checkpoints with the same digest come from the same recipe."""
        recipe = {k: v for k, v in self.to_dict().items() if k not in OPERATIONAL_FIELDS}
        return "sha256:" + hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build from a dict (a saved config.json or a checkpoint); unknown keys are ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def add_config_arguments(parser: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    """One ``--field-name`` option per TrainConfig field, with the field's help and default."""
    for f in dataclasses.fields(TrainConfig):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        kind = type(f.default)
        help_text = f"{f.metadata['help']} (default: {f.default!r})"
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            parser.add_argument(flag, type=kind, default=None, help=help_text)


def config_from_args(args: argparse.Namespace, **overrides: Any) -> TrainConfig:
    """A TrainConfig from the options the user gave; fields left out keep their defaults."""
    values = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(TrainConfig)
        if getattr(args, f.name, None) is not None
    }
    values.update(overrides)
    return TrainConfig(**values)


def write_resolved(config: TrainConfig, derived: dict[str, Any], run_dir: Path) -> Path:
    """Write ``config.json``: the fields plus what was derived at start (device, precision, …)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "config.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"config": config.to_dict(), "derived": derived}, indent=2) + "\n")
    tmp.replace(path)
    return path
