"""The paper's losses: category CE + attribute CE (class weights 0.1/1) + masked heatmap MSE
averaged over all maps of the batch."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from trainer.model import ModelOutput

ATTRIBUTE_CLASS_WEIGHTS = (0.1, 1.0)  # negative, positive: positives are rare
REFERENCE_SIZE = 224


@dataclass(frozen=True)
class LossWeights:
    category: float = 1.0
    attribute: float = 20.0
    landmark: float = 10.0


def target_heatmaps(landmarks: torch.Tensor, visible: torch.Tensor, height: int, width: int,
                    radius_at_224: float = 8.0) -> torch.Tensor:
    """exp(-0.5·d/R) around each landmark, d the pixel distance, R scaled with the input size.

    landmarks (B, 8, 2) in [0, 1] (x, y) of the input; visible (B, 8). Invisible landmarks get
    zero maps. Returns (B, 8, H, W) float32.
    """
    radius = radius_at_224 * (height * width) ** 0.5 / REFERENCE_SIZE
    ys = torch.arange(height, device=landmarks.device, dtype=torch.float32) + 0.5
    xs = torch.arange(width, device=landmarks.device, dtype=torch.float32) + 0.5
    px = landmarks[..., 0:1, None] * width  # (B, 8, 1, 1)
    py = landmarks[..., 1:2, None] * height
    dist = torch.sqrt((xs.view(1, 1, 1, -1) - px) ** 2 + (ys.view(1, 1, -1, 1) - py) ** 2)
    return torch.exp(-0.5 * dist / radius) * visible[..., None, None].float()


def heatmap_loss(pred: torch.Tensor, target: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
    """Squared error of the visible landmarks' maps, averaged over every map of the batch.

    The maps of invisible landmarks count as zero error but stay in the average (B x 8 maps of
    H x W pixels), as the paper's reference code computes it: a batch with few visible
    landmarks gets a smaller landmark loss, not a larger weight per landmark.
    """
    squared = (pred.float() - target) ** 2
    return (squared * visible[..., None, None].float()).mean()


def compute_losses(out: ModelOutput, batch: dict[str, torch.Tensor], weights: LossWeights,
                   radius_at_224: float = 8.0) -> dict[str, torch.Tensor]:
    """{'loss', 'category', 'attribute', 'landmark'}; 'loss' is the weighted total."""
    category = F.cross_entropy(out.category.float(), batch["category"])
    class_weights = torch.tensor(ATTRIBUTE_CLASS_WEIGHTS, device=out.attributes.device)
    attribute = F.cross_entropy(out.attributes.float().reshape(-1, 2), batch["attributes"].reshape(-1),
                                weight=class_weights)
    h, w = out.heatmaps.shape[-2:]
    target = target_heatmaps(batch["landmarks"], batch["visible"], h, w, radius_at_224)
    landmark = heatmap_loss(out.heatmaps, target, batch["visible"])
    total = weights.category * category + weights.attribute * attribute + weights.landmark * landmark
    return {"loss": total, "category": category, "attribute": attribute, "landmark": landmark}
