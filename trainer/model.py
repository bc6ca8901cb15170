"""The landmark-attention network of DEEPFASHION.md, for any input side that is a multiple of 32.

VGG16's convolutional stages come from torchvision (``make_layers`` with the "D" layout, no
download). The stages are split at conv4_3: conv1-conv4 run once, the attention refines conv4_3,
and the *same* conv5 modules then run once on the refined features. No second copy of conv5
exists and none is computed twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.vgg import cfgs, make_layers

from trainer.errors import ConfigError

NUM_LANDMARKS = 8
# Index of the max-pool right after conv4_3's ReLU in torchvision's VGG16 "D" feature stack.
_POOL4_INDEX = 23
_HEAD_GRID = 7  # the heads see a 7x7 grid, as VGG16's classifier does at 224 px


def _scaled(channels: int, width: float) -> int:
    return max(4, int(round(channels * width)))


def _conv(cin: int, cout: int, k: int = 3) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2), nn.ReLU(inplace=True))


class LandmarkBranch(nn.Module):
    """conv4_3 (stride 8) -> 8 heatmaps at input resolution via three stride-2 transposed convs."""

    def __init__(self, cin: int, width: float) -> None:
        super().__init__()
        c64, c128, c32, c16 = (_scaled(c, width) for c in (64, 128, 32, 16))
        self.reduce = nn.Sequential(_conv(cin, c64, 1), _conv(c64, c64), _conv(c64, c128), _conv(c128, c128))
        stages = []
        for cin_, cout in ((c128, c64), (c64, c32), (c32, c16)):
            stages += [nn.ConvTranspose2d(cin_, cin_, 4, stride=2, padding=1), nn.ReLU(inplace=True),
                       _conv(cin_, cout)]
        self.upsample = nn.Sequential(*stages)
        self.out = nn.Conv2d(c16, NUM_LANDMARKS, 1)

    def forward(self, conv4: torch.Tensor) -> torch.Tensor:
        return self.out(self.upsample(self.reduce(conv4)))


def _unet_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, inplace=True),
    )


class AttentionUNet(nn.Module):
    """[conv4_3, landmark map] -> A in (-1, 1) per conv4_3 channel; two down-sampling levels."""

    def __init__(self, cin: int, cout: int, width: float) -> None:
        super().__init__()
        b = _scaled(32, width)
        self.enc0, self.enc1, self.mid = _unet_block(cin, b), _unet_block(b, 2 * b), _unet_block(2 * b, 4 * b)
        self.up1 = nn.ConvTranspose2d(4 * b, 2 * b, 2, stride=2)
        self.dec1 = _unet_block(4 * b, 2 * b)
        self.up0 = nn.ConvTranspose2d(2 * b, b, 2, stride=2)
        self.dec0 = _unet_block(2 * b, b)
        self.out = nn.Conv2d(b, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e0 = self.enc0(x)
        e1 = self.enc1(F.max_pool2d(e0, 2))
        m = self.mid(F.max_pool2d(e1, 2))
        d1 = self.dec1(torch.cat([self.up1(m), e1], dim=1))
        d0 = self.dec0(torch.cat([self.up0(d1), e0], dim=1))
        return torch.tanh(self.out(d0))


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
        layout = [v if v == "M" else _scaled(v, width) for v in cfgs["D"]]
        features = make_layers(layout)
        self.backbone = features[:_POOL4_INDEX]  # conv1_1 … conv4_3 + ReLU, stride 8
        self.conv5 = features[_POOL4_INDEX:]  # pool4, conv5_1 … conv5_3, pool5: run once, after attention
        c4, c5 = _scaled(512, width), _scaled(512, width)
        self.landmarks = LandmarkBranch(c4, width)
        self.attention = AttentionUNet(c4 + 1, c4, width)
        hidden = _scaled(1024, width)
        self.category_head = Head(c5 * _HEAD_GRID**2, hidden, num_categories)
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
        # The strongest landmark response at each place, brought down to conv4_3's grid.
        landmark_map = F.adaptive_max_pool2d(heatmaps.amax(dim=1, keepdim=True), conv4.shape[-2:])
        attention = self.attention(torch.cat([conv4, landmark_map.to(conv4.dtype)], dim=1))
        refined = (1 + attention) * conv4
        pooled = F.adaptive_avg_pool2d(self.conv5(refined), _HEAD_GRID).flatten(1)
        attributes = self.attribute_head(pooled).unflatten(1, (self.num_attributes, 2))
        return ModelOutput(self.category_head(pooled), attributes, heatmaps)

    def load_backbone(self, path: Path | str) -> None:
        """Load torchvision VGG16 weights (keys ``features.N.*``) into conv1-conv5.

        Raises ConfigError when the file is missing or its shapes do not match this width.
        """
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise ConfigError(f"backbone weights not found: {path}") from None
        state = state.get("state_dict", state)
        mine = {}
        for key, value in state.items():
            if not key.startswith("features."):
                continue
            index, rest = key.split(".", 2)[1:]
            index = int(index)
            # Slicing a Sequential keeps the layer names, so conv5_1 is still "24" in self.conv5.
            target = f"{'backbone' if index < _POOL4_INDEX else 'conv5'}.{index}.{rest}"
            mine[target] = value
        if not mine:
            raise ConfigError(f"{path} holds no 'features.N' VGG16 weights")
        try:
            missing = self.load_state_dict(mine, strict=False).missing_keys
        except RuntimeError as exc:
            raise ConfigError(f"{path} does not fit this network: {exc}") from None
        vgg_missing = [k for k in missing if k.startswith(("backbone.", "conv5."))]
        if vgg_missing:
            raise ConfigError(f"{path} lacks {len(vgg_missing)} backbone tensors, e.g. {vgg_missing[0]}")


def parameter_report(model: nn.Module) -> dict[str, int]:
    """Parameter counts per top-level part and in total."""
    report = {name: sum(p.numel() for p in child.parameters()) for name, child in model.named_children()}
    report["total"] = sum(p.numel() for p in model.parameters())
    return report


def format_parameter_report(report: dict[str, int]) -> str:
    return "\n".join(f"{name:<16}{count / 1e6:>9.3f} M" for name, count in report.items())
