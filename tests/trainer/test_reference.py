"""import-reference: the paper's public code's saved state dict, converted to this network.

REFERENCE_KEYS lists every tensor of the reference's whole network (``WholeNetwork``) as its
``state_dict()`` names them, with their shapes: facts read from its code (48 categories, 1000
attributes, 224 px).
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest
import torch

from tests.trainer.conftest import run_trainer
from trainer import checkpoint as ckpt
from trainer.errors import CheckpointError
from trainer.layout import BENCHMARK_CATEGORIES
from trainer.model import LandmarkAttentionNet
from trainer.reference import _labels, convert_state_dict, import_reference, map_key

REFERENCE_KEYS: list[tuple[str, tuple[int, ...]]] = [
    ("__step", ()),
    ("vgg16_extractor.vgg.0.weight", (64, 3, 3, 3)),
    ("vgg16_extractor.vgg.0.bias", (64,)),
    ("vgg16_extractor.vgg.2.weight", (64, 64, 3, 3)),
    ("vgg16_extractor.vgg.2.bias", (64,)),
    ("vgg16_extractor.vgg.5.weight", (128, 64, 3, 3)),
    ("vgg16_extractor.vgg.5.bias", (128,)),
    ("vgg16_extractor.vgg.7.weight", (128, 128, 3, 3)),
    ("vgg16_extractor.vgg.7.bias", (128,)),
    ("vgg16_extractor.vgg.10.weight", (256, 128, 3, 3)),
    ("vgg16_extractor.vgg.10.bias", (256,)),
    ("vgg16_extractor.vgg.12.weight", (256, 256, 3, 3)),
    ("vgg16_extractor.vgg.12.bias", (256,)),
    ("vgg16_extractor.vgg.14.weight", (256, 256, 3, 3)),
    ("vgg16_extractor.vgg.14.bias", (256,)),
    ("vgg16_extractor.vgg.17.weight", (512, 256, 3, 3)),
    ("vgg16_extractor.vgg.17.bias", (512,)),
    ("vgg16_extractor.vgg.19.weight", (512, 512, 3, 3)),
    ("vgg16_extractor.vgg.19.bias", (512,)),
    ("vgg16_extractor.vgg.21.weight", (512, 512, 3, 3)),
    ("vgg16_extractor.vgg.21.bias", (512,)),
    ("vgg16_extractor.vgg.24.weight", (512, 512, 3, 3)),
    ("vgg16_extractor.vgg.24.bias", (512,)),
    ("vgg16_extractor.vgg.26.weight", (512, 512, 3, 3)),
    ("vgg16_extractor.vgg.26.bias", (512,)),
    ("vgg16_extractor.vgg.28.weight", (512, 512, 3, 3)),
    ("vgg16_extractor.vgg.28.bias", (512,)),
    ("lm_branch.conv1.weight", (64, 512, 1, 1)),
    ("lm_branch.conv1.bias", (64,)),
    ("lm_branch.conv2.weight", (64, 64, 3, 3)),
    ("lm_branch.conv2.bias", (64,)),
    ("lm_branch.conv3.weight", (64, 64, 3, 3)),
    ("lm_branch.conv3.bias", (64,)),
    ("lm_branch.conv4.weight", (128, 64, 3, 3)),
    ("lm_branch.conv4.bias", (128,)),
    ("lm_branch.upconv1.weight", (128, 64, 4, 4)),
    ("lm_branch.upconv1.bias", (64,)),
    ("lm_branch.conv5.weight", (64, 64, 3, 3)),
    ("lm_branch.conv5.bias", (64,)),
    ("lm_branch.conv6.weight", (64, 64, 3, 3)),
    ("lm_branch.conv6.bias", (64,)),
    ("lm_branch.upconv2.weight", (64, 32, 4, 4)),
    ("lm_branch.upconv2.bias", (32,)),
    ("lm_branch.conv7.weight", (32, 32, 3, 3)),
    ("lm_branch.conv7.bias", (32,)),
    ("lm_branch.conv8.weight", (32, 32, 3, 3)),
    ("lm_branch.conv8.bias", (32,)),
    ("lm_branch.upconv3.weight", (32, 16, 4, 4)),
    ("lm_branch.upconv3.bias", (16,)),
    ("lm_branch.conv9.weight", (16, 16, 3, 3)),
    ("lm_branch.conv9.bias", (16,)),
    ("lm_branch.conv10.weight", (8, 16, 1, 1)),
    ("lm_branch.conv10.bias", (8,)),
    ("attention_pred_net.model.model.0.weight", (32, 513, 1, 1)),
    ("attention_pred_net.model.model.1.model.1.weight", (64, 32, 4, 4)),
    ("attention_pred_net.model.model.1.model.2.weight", (64,)),
    ("attention_pred_net.model.model.1.model.2.bias", (64,)),
    ("attention_pred_net.model.model.1.model.2.running_mean", (64,)),
    ("attention_pred_net.model.model.1.model.2.running_var", (64,)),
    ("attention_pred_net.model.model.1.model.2.num_batches_tracked", ()),
    ("attention_pred_net.model.model.1.model.3.model.1.weight", (128, 64, 4, 4)),
    ("attention_pred_net.model.model.1.model.3.model.2.weight", (128,)),
    ("attention_pred_net.model.model.1.model.3.model.2.bias", (128,)),
    ("attention_pred_net.model.model.1.model.3.model.2.running_mean", (128,)),
    ("attention_pred_net.model.model.1.model.3.model.2.running_var", (128,)),
    ("attention_pred_net.model.model.1.model.3.model.2.num_batches_tracked", ()),
    ("attention_pred_net.model.model.1.model.3.model.3.model.1.weight", (128, 128, 1, 1)),
    ("attention_pred_net.model.model.1.model.3.model.3.model.3.weight", (128, 128, 1, 1)),
    ("attention_pred_net.model.model.1.model.3.model.3.model.3.bias", (128,)),
    ("attention_pred_net.model.model.1.model.3.model.3.model.4.weight", (128,)),
    ("attention_pred_net.model.model.1.model.3.model.3.model.4.bias", (128,)),
    ("attention_pred_net.model.model.1.model.3.model.3.model.4.running_mean", (128,)),
    ("attention_pred_net.model.model.1.model.3.model.3.model.4.running_var", (128,)),
    ("attention_pred_net.model.model.1.model.3.model.3.model.4.num_batches_tracked", ()),
    ("attention_pred_net.model.model.1.model.3.model.5.weight", (256, 64, 4, 4)),
    ("attention_pred_net.model.model.1.model.3.model.6.weight", (64,)),
    ("attention_pred_net.model.model.1.model.3.model.6.bias", (64,)),
    ("attention_pred_net.model.model.1.model.3.model.6.running_mean", (64,)),
    ("attention_pred_net.model.model.1.model.3.model.6.running_var", (64,)),
    ("attention_pred_net.model.model.1.model.3.model.6.num_batches_tracked", ()),
    ("attention_pred_net.model.model.1.model.5.weight", (128, 32, 4, 4)),
    ("attention_pred_net.model.model.1.model.6.weight", (32,)),
    ("attention_pred_net.model.model.1.model.6.bias", (32,)),
    ("attention_pred_net.model.model.1.model.6.running_mean", (32,)),
    ("attention_pred_net.model.model.1.model.6.running_var", (32,)),
    ("attention_pred_net.model.model.1.model.6.num_batches_tracked", ()),
    ("attention_pred_net.model.model.3.weight", (64, 512, 1, 1)),
    ("attention_pred_net.model.model.3.bias", (512,)),
    ("conv5_1.weight", (512, 512, 3, 3)),
    ("conv5_1.bias", (512,)),
    ("conv5_2.weight", (512, 512, 3, 3)),
    ("conv5_2.bias", (512,)),
    ("conv5_3.weight", (512, 512, 3, 3)),
    ("conv5_3.bias", (512,)),
    ("category_fc1.weight", (1024, 25088)),
    ("category_fc1.bias", (1024,)),
    ("category_fc2.weight", (48, 1024)),
    ("category_fc2.bias", (48,)),
    ("attr_fc1.weight", (1024, 25088)),
    ("attr_fc1.bias", (1024,)),
    ("attr_fc2.weight", (2000, 1024)),
    ("attr_fc2.bias", (2000,)),
    ("attr_loss_func.weight", (2,)),
]
# Tensors with no place in this network, on purpose: the VGG extractor's own conv5 (computed by
# the reference, never used), its step counter, and the attribute loss's class weights.
LEFT_OUT = {"__step", "attr_loss_func.weight"} | {f"vgg16_extractor.vgg.{i}.{p}" for i in (24, 26, 28)
                                                  for p in ("weight", "bias")}


def _is_parameter(key: str) -> bool:
    return not key.endswith(("running_mean", "running_var", "num_batches_tracked")) and key not in (
        "__step", "attr_loss_func.weight")


def test_the_table_is_the_reference_network():
    assert len(REFERENCE_KEYS) == len({k for k, _ in REFERENCE_KEYS}) == 103
    params = sum(torch.Size(s).numel() for k, s in REFERENCE_KEYS if _is_parameter(k))
    assert params == 76_298_024  # the reference's parameter count
    lm = sum(torch.Size(s).numel() for k, s in REFERENCE_KEYS if k.startswith("lm_branch."))
    unet = sum(torch.Size(s).numel() for k, s in REFERENCE_KEYS
               if k.startswith("attention_pred_net.") and _is_parameter(k))
    assert (lm, unet) == (447_496, 574_944)


def test_reference_keys_map_one_to_one_onto_ours_with_equal_shapes():
    ours = LandmarkAttentionNet(num_categories=48, num_attributes=1000).state_dict()
    targets: collections.Counter[str] = collections.Counter()
    left_out = set()
    for key, shape in REFERENCE_KEYS:
        target = map_key(key)
        if target is None:
            left_out.add(key)
            continue
        targets[target] += 1
        assert target in ours, (key, target)
        assert tuple(ours[target].shape) == shape, (key, target)
    assert left_out == LEFT_OUT
    assert all(count == 1 for count in targets.values())  # every tensor of ours used once …
    assert set(targets) == set(ours)  # … and every one of ours filled
    left_params = sum(torch.Size(s).numel() for k, s in REFERENCE_KEYS if k in LEFT_OUT and _is_parameter(k))
    assert left_params == 7_079_424  # the unused conv5 copy


def test_a_tensor_with_no_place_is_refused():
    with pytest.raises(CheckpointError, match="no place for: lm_branch.conv11.weight"):
        convert_state_dict({"lm_branch.conv11.weight": torch.zeros(1)})
    with pytest.raises(KeyError):
        map_key("attention_pred_net.model.model.2.weight")


def test_the_landmark_only_network_is_refused(tmp_path: Path):
    state = {k: torch.zeros(s) for k, s in REFERENCE_KEYS if k.startswith("lm_branch.")}
    torch.save(state, tmp_path / "lm.pkl")
    with pytest.raises(CheckpointError, match="lacks the category and attribute heads"):
        import_reference(tmp_path / "lm.pkl", tmp_path / "out.pt")
    assert not (tmp_path / "out.pt").exists()


@pytest.mark.slow
def test_import_reference_command_converts_a_saved_whole_network(tmp_path: Path):
    state = {k: torch.zeros(s, dtype=torch.int64 if k.endswith(("num_batches_tracked", "__step")) else torch.float32)
             for k, s in REFERENCE_KEYS}
    for k in state:
        if k.endswith("running_var"):
            state[k] += 1.0
    state["__step"] = torch.tensor(20_000)
    # Every hidden unit is 0, so the outputs are the last biases: category c scores c, and
    # attribute a's negative logit is a and its positive one 1000 + a, the reference's layout.
    state["category_fc2.bias"] = torch.arange(48, dtype=torch.float32)
    state["attr_fc2.bias"] = torch.arange(2000, dtype=torch.float32)
    source, out = tmp_path / "whole.pkl", tmp_path / "imported.pt"
    torch.save(state, source)
    result = run_trainer("import-reference", str(source), str(out))
    assert result.returncode == 0, result.stderr
    assert "69,218,600 parameters, 48 categories, 1000 attributes, step 20000" in result.stdout
    assert "left out 8 tensors" in result.stdout

    saved = torch.load(out, weights_only=True)  # plain data
    assert saved["kind"] == ckpt.KIND_WEIGHTS and "optimizer" not in saved and saved["global_step"] == 20_000
    assert saved["meta"]["category_names"] == [n for n, _ in BENCHMARK_CATEGORIES[:48]]
    from trainer.predict import load_for_inference

    loaded = load_for_inference(out)
    with torch.inference_mode():
        output = loaded.model(torch.randn(1, 3, 224, 224))
    assert output.category[0].tolist() == list(range(48))
    assert output.attributes[0, :, 0].tolist() == list(range(1000))
    assert output.attributes[0, :, 1].tolist() == list(range(1000, 2000))


def test_labels_come_from_the_dataset_files_when_given(tiny_dataset: Path):
    meta = _labels(48, 1000, str(tiny_dataset))
    assert meta["category_names"][:3] == ["Anorak", "Blazer", "Blouse"] and len(meta["category_names"]) == 48
    assert len(meta["attribute_names"]) == 1000 and set(meta["attribute_types"]) == {1, 2, 3, 4, 5}
    with pytest.raises(CheckpointError, match="lists 50 and 1000"):
        _labels(48, 999, str(tiny_dataset))
