"""Weights saved by the paper's public code, converted to this network (``import-reference``).

The reference code saves ``net.state_dict()`` of its whole network. Its layers map one to one
onto ours (trainer/README.md, "Weights from the reference code", has the table):

- ``vgg16_extractor.vgg.N`` (N < 23, conv1_1 … conv4_3) -> ``backbone.N``;
- ``conv5_1``/``conv5_2``/``conv5_3`` (the conv5 that runs after the attention) -> ``conv5.24``/``.26``/``.28``;
- ``lm_branch.conv1`` … ``conv10``, ``upconv1`` … ``upconv3`` -> ``landmarks.reduce``/``up1``/``up2``/``up3``/``out``;
- ``attention_pred_net.model.…`` (nested U-Net blocks) -> ``attention.enter``/``down1``/``down2``/
  ``bottom``/``up2``/``up1``/``exit``;
- ``category_fc1``/``fc2``, ``attr_fc1``/``fc2`` -> ``category_head.fc1``/``fc2``, ``attribute_head.fc1``/``fc2``
  (the attribute outputs keep the reference's order: 1000 negative logits, then 1000 positive).

Three things are left out on purpose: the extractor's own conv5 (``vgg16_extractor.vgg.24/26/28``),
which the reference computes but never uses, so it never trains; ``__step``, its step counter
(kept as the checkpoint's global step); and ``attr_loss_func.weight``, the attribute loss's
class weights (0.1, 1), which its loss module registers as a buffer and ours holds as constants.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import torch

from trainer.errors import CheckpointError

# The reference's layer name -> ours, for every layer with parameters (suffixes are kept).
_LANDMARK_LAYERS = {
    "conv1": "reduce.0", "conv2": "reduce.2", "conv3": "reduce.4", "conv4": "reduce.6",
    "upconv1": "up1.0", "conv5": "up1.2", "conv6": "up1.4",
    "upconv2": "up2.0", "conv7": "up2.2", "conv8": "up2.4",
    "upconv3": "up3.0", "conv9": "up3.2", "conv10": "out",
}
# Its U-Net is nested blocks, each a Sequential named "model": outer -> level 1 -> level 2 -> bottom.
_OUTER = "attention_pred_net.model.model."
_LEVEL1 = _OUTER + "1.model."
_LEVEL2 = _LEVEL1 + "3.model."
_BOTTOM = _LEVEL2 + "3.model."
_ATTENTION_LAYERS = {
    _OUTER + "0": "enter",
    _LEVEL1 + "1": "down1.0", _LEVEL1 + "2": "down1.1",
    _LEVEL2 + "1": "down2.0", _LEVEL2 + "2": "down2.1",
    _BOTTOM + "1": "bottom.0", _BOTTOM + "3": "bottom.2", _BOTTOM + "4": "bottom.3",
    _LEVEL2 + "5": "up2.0", _LEVEL2 + "6": "up2.1",
    _LEVEL1 + "5": "up1.0", _LEVEL1 + "6": "up1.1",
    _OUTER + "3": "exit",
}
_HEAD_LAYERS = {
    "conv5_1": "conv5.24", "conv5_2": "conv5.26", "conv5_3": "conv5.28",
    "category_fc1": "category_head.fc1", "category_fc2": "category_head.fc2",
    "attr_fc1": "attribute_head.fc1", "attr_fc2": "attribute_head.fc2",
}
_VGG = re.compile(r"vgg16_extractor\.vgg\.(\d+)\.(weight|bias)$")
_POOL4_INDEX = 23
STEP_KEY = "__step"
LOSS_WEIGHT_KEY = "attr_loss_func.weight"


def map_key(key: str) -> str | None:
    """Our state_dict key for one of the reference's, or None for a tensor left out on purpose
    (the unused conv5 copy, the step counter, the loss's class weights). Raises KeyError for a
    key it does not know."""
    if key in (STEP_KEY, LOSS_WEIGHT_KEY):
        return None
    vgg = _VGG.match(key)
    if vgg:
        index = int(vgg.group(1))
        return f"backbone.{index}.{vgg.group(2)}" if index < _POOL4_INDEX else None
    layer, _, suffix = key.rpartition(".")
    if layer.startswith("lm_branch.") and layer[len("lm_branch."):] in _LANDMARK_LAYERS:
        return f"landmarks.{_LANDMARK_LAYERS[layer[len('lm_branch.'):]]}.{suffix}"
    if layer in _ATTENTION_LAYERS:
        return f"attention.{_ATTENTION_LAYERS[layer]}.{suffix}"
    if layer in _HEAD_LAYERS:
        return f"{_HEAD_LAYERS[layer]}.{suffix}"
    raise KeyError(key)


def convert_state_dict(reference: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], list[str]]:
    """(our state dict, the reference keys left out). Raises CheckpointError for a key this
    network has no place for, or two keys that land on the same tensor."""
    ours: dict[str, torch.Tensor] = {}
    dropped: list[str] = []
    for key, value in reference.items():
        name = key.removeprefix("module.")  # saved from a DataParallel wrapper
        try:
            target = map_key(name)
        except KeyError:
            raise CheckpointError(f"the reference checkpoint has a tensor this network has no place for: {key}") from None
        if target is None:
            dropped.append(key)
        elif target in ours:
            raise CheckpointError(f"two tensors of the reference checkpoint map onto {target}")
        else:
            ours[target] = value
    return ours, dropped


def import_reference(source: Path, out: Path, data_root: str = "", image_size: int = 224) -> dict[str, Any]:
    """Convert the reference's saved state dict into a trainer checkpoint (weights only, like
    best.pt) that ``predict`` and ``eval`` load. Returns a summary for the command's output."""
    from trainer import checkpoint as ckpt
    from trainer.config import TrainConfig
    from trainer.model import LandmarkAttentionNet, parameter_report

    state = ckpt.load_file(source, "reference checkpoint",
                           "if you trust whoever made it, re-save its state dict once: python -c \"import torch; "
                           "torch.save(torch.load('PATH', weights_only=False).state_dict(), 'reference_state.pt')\"")
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{source} is not a state dict (a mapping of names to tensors)")
    weights, dropped = convert_state_dict(state)
    if "category_head.fc2.weight" not in weights or "attribute_head.fc2.weight" not in weights:
        raise CheckpointError(f"{source} lacks the category and attribute heads; import-reference takes "
                              "the whole network (WholeNetwork), not the landmark-only one")
    num_categories = weights["category_head.fc2.weight"].shape[0]
    num_attributes = weights["attribute_head.fc2.weight"].shape[0] // 2
    model = LandmarkAttentionNet(num_categories, num_attributes)
    result = model.load_state_dict(weights, strict=False)
    if result.missing_keys:
        raise CheckpointError(f"{source} lacks {len(result.missing_keys)} tensors of the network, "
                              f"e.g. {result.missing_keys[0]}")
    meta = _labels(num_categories, num_attributes, data_root)
    config = TrainConfig(image_size=image_size, data_root=data_root)
    step = int(state[STEP_KEY]) if isinstance(state.get(STEP_KEY), torch.Tensor) and state[STEP_KEY].numel() == 1 else 0
    ckpt.save_weights(out, model, config, meta, epoch=0, global_step=step,
                      extra={"source": f"reference code checkpoint {source.name}"})
    return {"tensors": len(weights), "dropped": dropped, "categories": num_categories,
            "attributes": num_attributes, "parameters": parameter_report(model)["total"], "step": step,
            "labels": "dataset files" if data_root else "built in"}


def _labels(num_categories: int, num_attributes: int, data_root: str) -> dict[str, Any]:
    """Names for the outputs: from the dataset's two list files, else the benchmark's category
    list and numbered attributes (their types unknown: type 0)."""
    if data_root:
        from trainer import layout
        from trainer.annotations import read_named_types

        root = Path(data_root)
        cat_names, cat_types = read_named_types(root, layout.CATEGORY_CLOTH)
        attr_names, attr_types = read_named_types(root, layout.ATTR_CLOTH)
        if len(cat_names) < num_categories or len(attr_names) != num_attributes:
            raise CheckpointError(f"the checkpoint has {num_categories} categories and {num_attributes} attributes; "
                                  f"{data_root} lists {len(cat_names)} and {len(attr_names)}")
        return {"category_names": cat_names[:num_categories], "category_types": cat_types[:num_categories],
                "attribute_names": attr_names, "attribute_types": attr_types}
    from trainer.layout import BENCHMARK_CATEGORIES

    cats = list(BENCHMARK_CATEGORIES[:num_categories])
    cats += [(f"category {i + 1}", 0) for i in range(len(cats), num_categories)]
    return {"category_names": [n for n, _ in cats], "category_types": [t for _, t in cats],
            "attribute_names": [f"attribute {i + 1}" for i in range(num_attributes)],
            "attribute_types": [0] * num_attributes}


def import_reference_command(args: argparse.Namespace) -> int:
    summary = import_reference(Path(args.checkpoint), Path(args.out), args.data_root or "", args.image_size)
    print(f"converted {summary['tensors']} tensors ({summary['parameters']:,} parameters, "
          f"{summary['categories']} categories, {summary['attributes']} attributes, step {summary['step']}) "
          f"into {args.out}; left out {len(summary['dropped'])} tensors: the unused conv5 copy, the step counter "
          f"and the attribute loss's class weights")
    if not args.data_root:
        print("labels: the benchmark's category names; attributes numbered, types unknown "
              "(pass --data-root to take both from Anno/list_category_cloth.txt and Anno/list_attr_cloth.txt)")
    return 0
