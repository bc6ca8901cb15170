"""Network shapes for several input sizes, the reference's layer plan and parameter counts,
conv5 computed once, losses."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from tests.trainer.conftest import REPO, trainer_env
from trainer.losses import LossWeights, compute_losses, heatmap_loss, target_heatmaps
from trainer.model import LandmarkAttentionNet, parameter_report


@pytest.fixture(scope="module")
def small_net() -> LandmarkAttentionNet:
    torch.manual_seed(0)
    return LandmarkAttentionNet(num_categories=7, num_attributes=20, width=0.125).eval()


@pytest.mark.parametrize("size", [(32, 32), (64, 64), (96, 96), (64, 128), (192, 192), (256, 256)])
def test_output_shapes_follow_the_input(small_net, size):
    with torch.inference_mode():
        out = small_net(torch.randn(2, 3, *size))
    assert out.category.shape == (2, 7)
    assert out.attributes.shape == (2, 20, 2)
    assert out.heatmaps.shape == (2, 8, *size)


def test_input_not_a_multiple_of_32_is_refused(small_net):
    with pytest.raises(ValueError, match="multiples of 32"):
        small_net(torch.randn(1, 3, 48, 64))


def test_full_network_parameter_counts_match_the_reference_layer_plan():
    net = LandmarkAttentionNet(num_categories=50, num_attributes=1000)
    report = parameter_report(net)
    # The reference's own blocks: landmark branch 447,496 and attention U-Net 574,944 parameters.
    assert report["landmarks"] == 447_496
    assert report["attention"] == 574_944
    assert report["backbone"] == 7_635_264  # VGG16 conv1_1-conv4_3
    assert report["conv5"] == 7_079_424  # 3 x (512*512*9 + 512), present exactly once
    assert report["category_head"] == 25088 * 1024 + 1024 + 1024 * 50 + 50
    assert report["attribute_head"] == 25088 * 1024 + 1024 + 1024 * 2000 + 2000
    # The reference had 76,298,024 with 48 categories: ours + 2 x 1024 + 2 fewer outputs + its
    # unused 7,079,424-parameter conv5 copy.
    assert report["total"] == 69_220_650
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d) and m.in_channels == 512 and m.out_channels == 512 and m.kernel_size == (3, 3)]
    assert len(convs) == 5  # conv4_2, conv4_3, conv5_1, conv5_2, conv5_3: no second conv5


def _layers(module: torch.nn.Module) -> list[tuple[str, int, int, int, int]]:
    return [(type(m).__name__, m.in_channels, m.out_channels, m.kernel_size[0], m.stride[0])
            for m in module.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d)]


def test_landmark_branch_and_attention_follow_the_reference_plan():
    net = LandmarkAttentionNet(num_categories=50, num_attributes=1000)
    C, T = "Conv2d", "ConvTranspose2d"
    assert _layers(net.landmarks) == [
        (C, 512, 64, 1, 1), (C, 64, 64, 3, 1), (C, 64, 64, 3, 1), (C, 64, 128, 3, 1),
        (T, 128, 64, 4, 2), (C, 64, 64, 3, 1), (C, 64, 64, 3, 1),
        (T, 64, 32, 4, 2), (C, 32, 32, 3, 1), (C, 32, 32, 3, 1),
        (T, 32, 16, 4, 2), (C, 16, 16, 3, 1),
        (C, 16, 8, 1, 1),
    ]
    assert _layers(net.attention) == [
        (C, 513, 32, 1, 1),  # in: [landmark map, conv4_3]
        (C, 32, 64, 4, 2), (C, 64, 128, 4, 2),  # down, BatchNorm after each
        (C, 128, 128, 1, 1), (T, 128, 128, 1, 1),  # bottom
        (T, 256, 64, 4, 2), (T, 128, 32, 4, 2),  # up, each after its skip connection
        (T, 64, 512, 1, 1),  # out, tanh
    ]
    norms = [m.num_features for m in net.attention.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms == [64, 128, 128, 64, 32]


def test_attention_sees_the_landmark_map_resized_bilinearly():
    torch.manual_seed(1)
    net = LandmarkAttentionNet(num_categories=7, num_attributes=20, width=0.125).eval()
    seen = {}
    net.attention.register_forward_hook(lambda module, args, out: seen.update(x=args[0]))
    net.landmarks.register_forward_hook(lambda module, args, out: seen.update(maps=out, conv4=args[0]))
    with torch.inference_mode():
        net(torch.randn(1, 3, 96, 96))
    expected = torch.nn.functional.interpolate(seen["maps"].amax(dim=1, keepdim=True), size=(12, 12),
                                               mode="bilinear", align_corners=False)
    assert seen["x"].shape[1] == seen["conv4"].shape[1] + 1
    assert torch.allclose(seen["x"][:, :1], expected)
    assert torch.equal(seen["x"][:, 1:], seen["conv4"])
    pooled = torch.nn.functional.adaptive_max_pool2d(seen["maps"].amax(dim=1, keepdim=True), (12, 12))
    assert not torch.allclose(seen["x"][:, :1], pooled)  # not max-pooling


@pytest.mark.slow
def test_the_paper_network_runs_at_192_and_256_pixels():
    torch.manual_seed(0)
    net = LandmarkAttentionNet(num_categories=50, num_attributes=1000).eval()
    with torch.inference_mode():
        for side in (192, 256):
            out = net(torch.randn(1, 3, side, side))
            assert out.heatmaps.shape == (1, 8, side, side)
            assert out.category.shape == (1, 50) and out.attributes.shape == (1, 1000, 2)
            assert torch.isfinite(out.category).all()


def test_every_parameter_gets_a_gradient(small_net):
    net = LandmarkAttentionNet(num_categories=7, num_attributes=20, width=0.125).train()
    batch = {
        "category": torch.tensor([1, 2]),
        "attributes": torch.randint(0, 2, (2, 20)),
        "landmarks": torch.rand(2, 8, 2),
        "visible": torch.ones(2, 8, dtype=torch.bool),
    }
    out = net(torch.randn(2, 3, 64, 64))
    compute_losses(out, batch, LossWeights())["loss"].backward()
    unused = [n for n, p in net.named_parameters() if p.grad is None]
    assert unused == []


def test_target_heatmap_peaks_at_the_landmark_and_scales_with_size():
    lm = torch.tensor([[[0.25, 0.5]] * 8])
    vis = torch.ones(1, 8, dtype=torch.bool)
    vis[0, 3] = False
    small = target_heatmaps(lm, vis, 64, 64)
    big = target_heatmaps(lm, vis, 128, 128)
    peak = small[0, 0].flatten().argmax().item()
    assert (peak // 64, peak % 64) in {(31, 15), (31, 16), (32, 15), (32, 16)}
    assert small[0, 3].abs().sum() == 0  # invisible: zero map
    # R grows with the input, so the same relative offset has the same value.
    assert torch.allclose(small[0, 0, 32, 16 + 8], big[0, 0, 64, 32 + 16], atol=0.02)


def test_heatmap_loss_averages_over_every_map_with_invisible_ones_at_zero():
    pred = torch.zeros(2, 8, 4, 4)
    target = torch.ones(2, 8, 4, 4)
    visible = torch.zeros(2, 8, dtype=torch.bool)
    assert heatmap_loss(pred, target, visible) == 0
    visible[0, 2] = True  # one map of sixteen is wrong everywhere (error 1 per pixel)
    assert heatmap_loss(pred, target, visible) == pytest.approx(1 / 16)
    visible[1, :] = True  # nine of sixteen
    assert heatmap_loss(pred, target, visible) == pytest.approx(9 / 16)


def test_backbone_weights_load_into_conv1_to_conv5(tmp_path):
    from torchvision.models.vgg import cfgs, make_layers

    from trainer.errors import ConfigError

    # A torchvision-style VGG16 state dict ("features.N.weight") at the same reduced width.
    layout = [v if v == "M" else max(4, round(v * 0.125)) for v in cfgs["D"]]
    features = make_layers(layout)
    for p in features.parameters():
        torch.nn.init.uniform_(p)
    path = tmp_path / "vgg16.pth"
    torch.save({f"features.{k}": v for k, v in features.state_dict().items()}, path)
    net = LandmarkAttentionNet(num_categories=7, num_attributes=20, width=0.125)
    net.load_backbone(path)
    assert torch.equal(net.backbone[0].weight, features[0].weight)  # conv1_1
    assert torch.equal(net.conv5[1].weight, features[24].weight)  # conv5_1
    assert torch.equal(net.conv5[5].weight, features[28].weight)  # conv5_3
    with pytest.raises(ConfigError, match="does not fit"):
        LandmarkAttentionNet(num_categories=7, num_attributes=20, width=0.25).load_backbone(path)
    with pytest.raises(ConfigError, match="not found"):
        net.load_backbone(tmp_path / "missing.pth")


def test_a_pickled_module_as_backbone_names_what_to_pass_instead(tmp_path):
    from torchvision.models.vgg import cfgs, make_layers

    from trainer.errors import ConfigError

    path = tmp_path / "vgg16_module.pt"
    torch.save(make_layers([v if v == "M" else 4 for v in cfgs["D"]]), path)  # torch.save(model)
    net = LandmarkAttentionNet(num_categories=7, num_attributes=20, width=0.125)
    with pytest.raises(ConfigError) as err:
        net.load_backbone(path)
    message = str(err.value)
    assert "pickled module (torch.nn.modules.container.Sequential)" in message
    assert "state dict" in message and "vgg16-397923af.pth" in message and "\n" not in message


def test_the_vgg16_stages_are_torchvisions_module_for_module_without_importing_it():
    from torchvision.models.vgg import cfgs, make_layers

    from trainer.model import VGG16_LAYOUT, vgg_features

    assert list(VGG16_LAYOUT) == cfgs["D"]
    ours, theirs = vgg_features(list(VGG16_LAYOUT)), make_layers(cfgs["D"])
    assert str(ours) == str(theirs)  # the same modules, with the same arguments, in order
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: v.shape for k, v in theirs.state_dict().items()
    }
    # a trainer process never loads torchvision (a second of start-up for every command)
    script = "import sys, trainer.train, trainer.predict; print('torchvision' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=REPO, env=trainer_env(), timeout=240)  # fmt: skip
    assert loaded.stdout.strip() == "False", loaded.stderr
