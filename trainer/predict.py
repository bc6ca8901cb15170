"""Inference on any machine: load a checkpoint (saved on a GPU or not) on the CPU, eval mode,
inference_mode, and the same preprocessing as evaluation (bounding-box crop when given, else the
whole image; resize; ImageNet normalisation). Also the ``eval`` command.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from trainer import checkpoint as ckpt
from trainer.config import TrainConfig
from trainer.data import crop_box, load_image, to_input
from trainer.errors import CheckpointError, ConfigError
from trainer.layout import ATTRIBUTE_TYPE_NAMES, LANDMARK_NAMES
from trainer.model import LandmarkAttentionNet


@dataclass(frozen=True)
class LoadedModel:
    model: LandmarkAttentionNet
    config: TrainConfig
    meta: dict[str, Any]
    device: torch.device


def load_for_inference(path: Path | str, device: str = "cpu") -> LoadedModel:
    """Rebuild the network from the checkpoint's own config (no backbone download or file) and
    load its weights with map_location, so a CUDA-saved file opens on a CPU-only machine."""
    state = ckpt.load(path)
    meta = state.get("meta")
    if not isinstance(state.get("config"), dict) or not _labels_ok(meta) or not isinstance(state["model"], dict):
        raise CheckpointError(f"{path} lacks the config, labels or weights a trainer checkpoint carries")
    try:
        config = TrainConfig.from_dict(state["config"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{path} carries a config this trainer cannot use: {exc}") from None
    dev = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else
                       "cpu" if device == "auto" else device)
    model = LandmarkAttentionNet(len(meta["category_names"]), len(meta["attribute_names"]), config.width)
    ckpt.load_weights(model, state["model"], path)
    model.to(dev).eval()  # eval: BatchNorm uses its running statistics, not one image's
    return LoadedModel(model, config, meta, dev)


def _labels_ok(meta: Any) -> bool:
    if not isinstance(meta, dict):
        return False
    lists = [meta.get(k) for k in ("category_names", "attribute_names", "attribute_types")]
    return (all(isinstance(v, list) for v in lists) and len(lists[1]) == len(lists[2])
            and all(isinstance(n, str) for n in lists[0] + lists[1]) and all(isinstance(t, int) for t in lists[2]))


def _printable(text: str) -> str:
    """A label from a checkpoint as plain text: control characters (terminal escapes) shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def predict_image(loaded: LoadedModel, image_path: Path | str,
                  bbox: tuple[int, int, int, int] | None = None, top_attributes: int = 3) -> dict[str, Any]:
    """Top-5 categories, the top attributes of each type, and the 8 landmarks of one image.

    Landmarks are given in the original image's pixels and in [0, 1] of the crop.
    """
    img = load_image(Path(image_path))
    box = crop_box(bbox, img.size)
    x = to_input(img, box, loaded.config.image_size).unsqueeze(0).to(loaded.device)
    with torch.inference_mode():
        out = loaded.model(x)
    from trainer.engine import attribute_scores
    from trainer.metrics import heatmap_argmax

    meta = loaded.meta
    probs = out.category.float().softmax(dim=1)[0]
    top = probs.topk(min(5, probs.numel()))
    categories = [{"name": meta["category_names"][i], "probability": round(p, 4)}
                  for p, i in zip(top.values.tolist(), top.indices.tolist(), strict=True)]
    attr_prob = out.attributes.float().softmax(dim=-1)[0, :, 1]
    scores = attribute_scores(out, loaded.config.attribute_score)[0]
    types = torch.tensor(meta["attribute_types"])
    attributes: dict[str, list[dict[str, Any]]] = {}
    for t in sorted(set(meta["attribute_types"])):
        idx = torch.nonzero(types == t).flatten()
        best = idx[scores[idx].topk(min(top_attributes, idx.numel())).indices]
        attributes[ATTRIBUTE_TYPE_NAMES.get(t, "attributes")] = [
            {"name": meta["attribute_names"][i], "probability": round(attr_prob[i].item(), 4)} for i in best.tolist()]
    uv = heatmap_argmax(out.heatmaps.float())[0]
    x1, y1, x2, y2 = box
    landmarks = [{"name": name, "x": round(x1 + u * (x2 - x1), 1), "y": round(y1 + v * (y2 - y1), 1),
                  "u": round(u, 4), "v": round(v, 4)}
                 for name, (u, v) in zip(LANDMARK_NAMES, uv.tolist(), strict=True)]
    return {"image": str(image_path), "box": list(box), "categories": categories,
            "attributes": attributes, "landmarks": landmarks}


def draw_landmarks(image_path: Path | str, result: dict[str, Any], out: Path | str) -> None:
    from PIL import ImageDraw

    img = load_image(Path(image_path))
    draw = ImageDraw.Draw(img)
    draw.rectangle(result["box"], outline=(255, 0, 0), width=2)
    for i, lm in enumerate(result["landmarks"]):
        x, y = lm["x"], lm["y"]
        colour = (0, 200, 0) if i % 2 == 0 else (0, 120, 255)  # left green, right blue
        draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour, outline=(0, 0, 0))
    img.save(out)


def format_result(result: dict[str, Any]) -> str:
    lines = [_printable(result["image"]), "  categories:"]
    lines += [f"    {c['probability']:7.2%}  {_printable(c['name'])}" for c in result["categories"]]
    lines.append("  attributes:")
    for kind, items in result["attributes"].items():
        lines.append(f"    {kind:<8} " + ", ".join(f"{_printable(a['name'])} ({a['probability']:.0%})" for a in items))
    lines.append("  landmarks (x, y in image pixels):")
    lines += [f"    {lm['name']:<16} {lm['x']:7.1f} {lm['y']:7.1f}" for lm in result["landmarks"]]
    if result.get("drawn"):
        lines.append(f"  drawn: {_printable(result['drawn'])}")
    return "\n".join(lines)


def predict_command(args: argparse.Namespace) -> int:
    if args.bbox and len(args.images) > 1:
        raise ConfigError("--bbox applies to one image; give one image with it")
    loaded = load_for_inference(args.checkpoint, args.device)
    for n, image in enumerate(args.images):
        result = predict_image(loaded, image, tuple(args.bbox) if args.bbox else None, args.top_attributes)
        if args.draw and n == 0:
            draw_landmarks(image, result, args.draw)
            result["drawn"] = str(args.draw)  # where the marked picture went
        print(json.dumps(result) if args.json else format_result(result), flush=True)
    return 0


def evaluate_checkpoint(args: argparse.Namespace) -> int:
    """``eval``: the paper's metrics of a checkpoint on one split of a dataset.

    fp32 unless ``--precision`` says otherwise, on CUDA too (strict: no TF32), so the figures
    do not depend on the GPU's fast paths. Progress goes to stderr; the metrics to stdout.
    """
    import sys

    from torch.utils.data import DataLoader

    from trainer.data import DeepFashionDataset, load_index
    from trainer.distributed import DistInfo
    from trainer.engine import RunLog, evaluate, resolve_runtime
    from trainer.losses import LossWeights

    loaded = load_for_inference(args.checkpoint, "cpu")
    cfg = loaded.config
    rt = resolve_runtime(args.device, args.precision, "auto", DistInfo())
    model = loaded.model.to(rt.device)
    if rt.channels_last:
        model.to(memory_format=torch.channels_last)
    index = load_index(args.data_root)
    if index.num_categories != len(loaded.meta["category_names"]):
        raise ConfigError(f"the checkpoint has {len(loaded.meta['category_names'])} categories, "
                          f"the dataset {index.num_categories}")
    score = args.attribute_score or cfg.attribute_score
    progress = RunLog(None, True, sys.stderr)
    progress.line(f"eval {args.checkpoint} on {args.split}: device {rt.device}, precision {rt.precision}, "
                  f"attributes ranked by {score} score")
    loader = DataLoader(DeepFashionDataset(index, args.split, cfg.image_size), batch_size=args.batch_size,
                        num_workers=args.workers)
    metrics = evaluate(model, loader, rt, torch.tensor(index.attribute_types),
                       LossWeights(cfg.loss_weight_category, cfg.loss_weight_attribute, cfg.loss_weight_landmark),
                       cfg.heatmap_radius, score, log=progress, label=f"eval {args.split}",
                       log_every=args.log_every)
    progress.end_progress()
    if args.json:
        print(json.dumps({"split": args.split, "precision": rt.precision, "attribute_score": score,
                          **{k: (None if isinstance(v, float) and v != v else v) for k, v in metrics.items()}}))
    else:
        for key, value in metrics.items():
            print(f"{key:<32} {value:.4f}" if isinstance(value, float) else f"{key:<32} {value}")
    return 0
