"""The landmark-attention network of DEEPFASHION.md, layer for layer as the paper's public code
builds it, for any input side that is a multiple of 32.

VGG16's convolutional stages are built here as torchvision's ``make_layers`` builds its "D"
layout (the same modules at the same indices, so its state dicts load), without importing
torchvision: that import costs every trainer process a second at start-up. The stages are split at conv4_3: conv1-conv4 run once, the attention refines conv4_3,
and the *same* conv5 modules then run once on the refined features. The reference code keeps a
second, unused copy of conv5 inside its VGG extractor (7.08M parameters that never receive a
gradient); this network has none, and ``trainer.reference`` drops that copy when importing.

Parameters at width 1.0: landmark branch 447,496; attention U-Net 574,944; with 50 categories
and 1000 attributes 69,220,650 in all (README, "Layer plan").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from trainer.errors import ConfigError

NUM_LANDMARKS = 8
#: VGG16's convolutional layout (configuration "D" of the VGG paper): output channels of each
#: 3x3 convolution, "M" a 2x2 max-pool
VGG16_LAYOUT: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
                                       512, 512, 512, "M", 512, 512, 512, "M")  # fmt: skip
# Index of the max-pool right after conv4_3's ReLU in torchvision's VGG16 "D" feature stack.
_POOL4_INDEX = 23
_HEAD_GRID = 7  # the heads see a 7x7 grid, as VGG16's classifier does at 224 px
_LEAK = 0.2  # LeakyReLU slope on the U-Net's way down


def vgg_features(plan: list[int | str]) -> nn.Sequential:
    """Conv 3x3 (padding 1) + ReLU per number, a 2x2 max-pool per "M", in one Sequential:
    ``features.N`` indexes as in torchvision's VGG without batch norm."""
    layers: list[nn.Module] = []
    channels = 3
    for step in plan:
        if step == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(channels, int(step), kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            channels = int(step)
    return nn.Sequential(*layers)


def _scaled(channels: int, width: float) -> int:
    return max(4, int(round(channels * width)))


def _conv_relu(cin: int, cout: int, k: int = 3) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, k, padding=k // 2), nn.ReLU(inplace=True)]


def _up_relu(cin: int, cout: int) -> list[nn.Module]:
    """A stride-2 transposed convolution that doubles the side exactly (kernel 4, padding 1)."""
    return [nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1), nn.ReLU(inplace=True)]


class LandmarkBranch(nn.Module):
    """conv4_3 (stride 8) -> 8 heatmaps at input resolution.

    1x1 conv to 64, 3x3 convs at 64, 64 and 128 channels; then three stride-2 transposed convs
    that halve the channels (128->64->32->16), followed by two 3x3 convs at 64, two at 32 and one
    at 16; a 1x1 conv gives the 8 maps. ReLU after every layer but the last.
    """

    def __init__(self, cin: int, width: float) -> None:
        super().__init__()
        c16, c32, c64, c128 = (_scaled(c, width) for c in (16, 32, 64, 128))
        self.reduce = nn.Sequential(*_conv_relu(cin, c64, 1), *_conv_relu(c64, c64), *_conv_relu(c64, c64),
                                    *_conv_relu(c64, c128))
        self.up1 = nn.Sequential(*_up_relu(c128, c64), *_conv_relu(c64, c64), *_conv_relu(c64, c64))
        self.up2 = nn.Sequential(*_up_relu(c64, c32), *_conv_relu(c32, c32), *_conv_relu(c32, c32))
        self.up3 = nn.Sequential(*_up_relu(c32, c16), *_conv_relu(c16, c16))
        self.out = nn.Conv2d(c16, NUM_LANDMARKS, 1)

    def forward(self, conv4: torch.Tensor) -> torch.Tensor:
        return self.out(self.up3(self.up2(self.up1(self.reduce(conv4)))))


class AttentionUNet(nn.Module):
    """[conv4_3, landmark map] -> A in (-1, 1) per conv4_3 channel: a pix2pix-style U-Net.

    A 1x1 conv to 32 channels, two 4x4 stride-2 convs with BatchNorm (32->64->128; LeakyReLU
    before each), a 1x1 bottleneck at 128, then 4x4 stride-2 transposed convs with BatchNorm back
    up (ReLU before each), each level concatenated with its skip connection, and a 1x1 transposed
    conv to 512 channels with tanh. The skip connections carry the LeakyReLU'd features, as the
    reference's in-place activation leaves them; imported weights therefore give its outputs.
    """

    def __init__(self, cin: int, cout: int, width: float) -> None:
        super().__init__()
        b = _scaled(32, width)
        self.enter = nn.Conv2d(cin, b, 1, bias=False)
        self.down1 = nn.Sequential(nn.Conv2d(b, 2 * b, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(2 * b))
        self.down2 = nn.Sequential(nn.Conv2d(2 * b, 4 * b, 4, stride=2, padding=1, bias=False),
                                   nn.BatchNorm2d(4 * b))
        self.bottom = nn.Sequential(nn.Conv2d(4 * b, 4 * b, 1, bias=False), nn.ReLU(inplace=True),
                                    nn.ConvTranspose2d(4 * b, 4 * b, 1), nn.BatchNorm2d(4 * b))
        self.up2 = nn.Sequential(nn.ConvTranspose2d(8 * b, 2 * b, 4, stride=2, padding=1, bias=False),
                                 nn.BatchNorm2d(2 * b))
        self.up1 = nn.Sequential(nn.ConvTranspose2d(4 * b, b, 4, stride=2, padding=1, bias=False),
                                 nn.BatchNorm2d(b))
        self.exit = nn.ConvTranspose2d(2 * b, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip0 = F.leaky_relu(self.enter(x), _LEAK)
        skip1 = F.leaky_relu(self.down1(skip0), _LEAK)
        skip2 = F.leaky_relu(self.down2(skip1), _LEAK)
        level2 = torch.cat([skip2, self.bottom(skip2)], dim=1)
        level1 = torch.cat([skip1, self.up2(F.relu(level2))], dim=1)
        level0 = torch.cat([skip0, self.up1(F.relu(level1))], dim=1)
        return torch.tanh(self.exit(F.relu(level0)))


class Head(nn.Module):
    def __init__(self, cin: int, hidden: int, cout: int) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(cin, hidden), nn.Linear(hidden, cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(x), inplace=True))


@dataclass(frozen=True)
class ModelOutput:
    category: torch.Tensor  # (B, C) logits
    attributes: torch.Tensor  # (B, A, 2) logits: [negative, positive]
    heatmaps: torch.Tensor  # (B, 8, H, W) at input resolution


class LandmarkAttentionNet(nn.Module):
    """VGG16 + landmark upsampling branch + landmark-driven attention + category/attribute heads."""

    def __init__(self, num_categories: int, num_attributes: int, width: float = 1.0) -> None:
        super().__init__()
        plan = [v if v == "M" else _scaled(v, width) for v in VGG16_LAYOUT]
        features = vgg_features(plan)
        self.backbone = features[:_POOL4_INDEX]  # conv1_1 … conv4_3 + ReLU, stride 8
        self.conv5 = features[_POOL4_INDEX:]  # pool4, conv5_1 … conv5_3, pool5: run once, after attention
        c4, c5 = _scaled(512, width), _scaled(512, width)
        self.landmarks = LandmarkBranch(c4, width)
        self.attention = AttentionUNet(c4 + 1, c4, width)
        hidden = _scaled(1024, width)
        self.category_head = Head(c5 * _HEAD_GRID**2, hidden, num_categories)
        # 2 x A outputs laid out as the reference's: all negative logits, then all positive ones.
        self.attribute_head = Head(c5 * _HEAD_GRID**2, hidden, 2 * num_attributes)
        self.num_attributes = num_attributes
        self._init_weights()

    def _init_weights(self) -> None:
        # Same scheme torchvision's VGG uses when built without pretrained weights.
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> ModelOutput:
        if x.shape[-1] % 32 or x.shape[-2] % 32:
            raise ValueError(f"input sides must be multiples of 32, got {tuple(x.shape[-2:])}")
        conv4 = self.backbone(x)
        heatmaps = self.landmarks(conv4)
        # The strongest landmark response at each place, resized (bilinear) to conv4_3's grid.
        landmark_map = F.interpolate(heatmaps.amax(dim=1, keepdim=True), size=conv4.shape[-2:],
                                     mode="bilinear", align_corners=False)
        attention = self.attention(torch.cat([landmark_map.to(conv4.dtype), conv4], dim=1))
        refined = (1 + attention) * conv4
        pooled = F.adaptive_avg_pool2d(self.conv5(refined), _HEAD_GRID).flatten(1)
        attributes = self.attribute_head(pooled).unflatten(1, (2, self.num_attributes)).transpose(1, 2)
        return ModelOutput(self.category_head(pooled), attributes, heatmaps)

    def load_backbone(self, path: Path | str) -> None:
        """Load torchvision VGG16 weights (keys ``features.N.*``) into conv1-conv5.

        Raises ConfigError when the file is missing, is not a plain state dict (e.g. a pickled
        module), or its shapes do not match this width.
        """
        from trainer.weights_file import WeightsFileError, load_plain

        try:
            state = load_plain(path, "backbone file", _BACKBONE_HINT + "; to convert a model you trust once: "
                               f"python -c \"import torch; torch.save(torch.load('{path}', weights_only=False)"
                               ".state_dict(), 'vgg16.pth')\"")
        except WeightsFileError as exc:
            raise ConfigError(str(exc)) from None
        if not isinstance(state, dict):
            raise ConfigError(f"{path} holds a {type(state).__name__}, not a state dict; {_BACKBONE_HINT}")
        state = state.get("state_dict", state)
        mine = {}
        for key, value in state.items():
            if not isinstance(key, str) or not key.startswith("features."):
                continue
            index, rest = key.split(".", 2)[1:]
            index = int(index)
            # Slicing a Sequential keeps the layer names, so conv5_1 is still "24" in self.conv5.
            target = f"{'backbone' if index < _POOL4_INDEX else 'conv5'}.{index}.{rest}"
            mine[target] = value
        if not mine:
            raise ConfigError(f"{path} holds no 'features.N' VGG16 weights; {_BACKBONE_HINT}")
        try:
            missing = self.load_state_dict(mine, strict=False).missing_keys
        except RuntimeError as exc:
            raise ConfigError(f"{path} does not fit this network: {_first_line(exc)}") from None
        vgg_missing = [k for k in missing if k.startswith(("backbone.", "conv5."))]
        if vgg_missing:
            raise ConfigError(f"{path} lacks {len(vgg_missing)} backbone tensors, e.g. {vgg_missing[0]}")


_BACKBONE_HINT = "pass a VGG16 state dict (keys 'features.N.weight'), e.g. torchvision's vgg16-397923af.pth"


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def parameter_report(model: nn.Module) -> dict[str, int]:
    """Parameter counts per top-level part and in total."""
    report = {name: sum(p.numel() for p in child.parameters()) for name, child in model.named_children()}
    report["total"] = sum(p.numel() for p in model.parameters())
    return report


def format_parameter_report(report: dict[str, int]) -> str:
    return "\n".join(f"{name:<16}{count:>12,}" for name, count in report.items())
