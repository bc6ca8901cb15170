"""Network shapes for several input sizes, parameter budget, conv5 computed once, losses."""

from __future__ import annotations

import pytest
import torch

from trainer.losses import LossWeights, compute_losses, heatmap_loss, target_heatmaps
from trainer.model import LandmarkAttentionNet, parameter_report


@pytest.fixture(scope="module")
def small_net() -> LandmarkAttentionNet:
    torch.manual_seed(0)
    return LandmarkAttentionNet(num_categories=7, num_attributes=20, width=0.125).eval()


@pytest.mark.parametrize("size", [(32, 32), (64, 64), (96, 96), (64, 128)])
def test_output_shapes_follow_the_input(small_net, size):
    with torch.inference_mode():
        out = small_net(torch.randn(2, 3, *size))
    assert out.category.shape == (2, 7)
    assert out.attributes.shape == (2, 20, 2)
    assert out.heatmaps.shape == (2, 8, *size)


def test_input_not_a_multiple_of_32_is_refused(small_net):
    with pytest.raises(ValueError, match="multiples of 32"):
        small_net(torch.randn(1, 3, 48, 64))


def test_full_network_parameter_count_and_no_spare_conv5():
    net = LandmarkAttentionNet(num_categories=50, num_attributes=1000)
    report = parameter_report(net)
    # VGG16 convolutions 14.71M + two 25088->1024 heads 51.4M + outputs 2.1M + branches ~1.4M.
    # The reference had 76.3M including 7.08M of conv5 weights that never ran.
    assert 68e6 < report["total"] < 71e6
    assert abs(report["conv5"] - 7_079_424) < 1  # 3 x (512*512*9 + 512), present exactly once
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d) and m.in_channels == 512 and m.out_channels == 512 and m.kernel_size == (3, 3)]
    assert len(convs) == 5  # conv4_2, conv4_3, conv5_1, conv5_2, conv5_3: no second conv5


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


def test_heatmap_loss_ignores_invisible_maps():
    pred = torch.zeros(1, 8, 4, 4)
    target = torch.ones(1, 8, 4, 4)
    visible = torch.zeros(1, 8, dtype=torch.bool)
    assert heatmap_loss(pred, target, visible) == 0
    visible[0, 2] = True
    assert heatmap_loss(pred, target, visible) == 1


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
