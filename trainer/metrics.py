"""The paper's metrics, vectorised over batches and summed so shards and batches just add up.

- category top-k accuracy;
- attribute recall@k per type and over all attributes: per image, rank the attributes of a type
  by their positive score; hits = ground-truth positives found in that top-k; recall = total hits
  / total positives over all images;
- landmark normalised error: Euclidean distance in [0, 1] coordinates of the input, visible
  landmarks only, per landmark and the mean of the per-landmark errors.
"""

from __future__ import annotations

import torch

from trainer.layout import ATTRIBUTE_TYPE_NAMES, LANDMARK_NAMES

TOP_K = (1, 3, 5)
RECALL_K = (3, 5)


def topk_correct(logits: torch.Tensor, target: torch.Tensor, ks=TOP_K) -> torch.Tensor:
    """Number of rows whose target is within the top k, for each k: (len(ks),) float64."""
    top = logits.topk(min(max(ks), logits.shape[1]), dim=1).indices
    hit = top == target[:, None]
    return torch.stack([hit[:, :k].any(dim=1).sum() for k in ks]).double()


def attribute_hits(scores: torch.Tensor, labels: torch.Tensor, groups: list[torch.Tensor],
                   ks=RECALL_K) -> tuple[torch.Tensor, torch.Tensor]:
    """Hits (len(groups), len(ks)) and positives (len(groups),) summed over the batch.

    scores (B, A) positive-class scores; labels (B, A) 1 for a positive; each group is the
    index tensor of the attributes ranked together (one per type, plus all of them).
    """
    hits = torch.zeros(len(groups), len(ks), dtype=torch.float64)
    positives = torch.zeros(len(groups), dtype=torch.float64)
    for g, idx in enumerate(groups):
        s, y = scores[:, idx], labels[:, idx].double()
        order = s.topk(min(max(ks), idx.numel()), dim=1).indices
        found = y.gather(1, order)  # (B, kmax): 1 where a ranked attribute is a true positive
        cumulative = found.cumsum(dim=1)
        for j, k in enumerate(ks):
            hits[g, j] = cumulative[:, min(k, order.shape[1]) - 1].sum()
        positives[g] = y.sum()
    return hits, positives


def landmark_distances(pred: torch.Tensor, target: torch.Tensor, visible: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum of distances (8,) and count of visible landmarks (8,) over the batch."""
    dist = torch.linalg.vector_norm(pred.double() - target.double(), dim=-1)
    mask = visible.double()
    return (dist * mask).sum(dim=0), mask.sum(dim=0)


def heatmap_argmax(heatmaps: torch.Tensor) -> torch.Tensor:
    """(B, 8, H, W) -> (B, 8, 2) landmark positions in [0, 1] (x, y), pixel centres."""
    b, n, h, w = heatmaps.shape
    flat = heatmaps.reshape(b, n, h * w).argmax(dim=-1)
    x = (flat % w).float() + 0.5
    y = torch.div(flat, w, rounding_mode="floor").float() + 0.5
    return torch.stack([x / w, y / h], dim=-1)


class MetricAccumulator:
    """Sums of the counts behind every metric; ``state()`` is a flat tensor for all_reduce."""

    def __init__(self, attribute_types: torch.Tensor) -> None:
        types = attribute_types.cpu()
        self.type_ids = sorted(int(t) for t in types.unique())
        self.groups = [torch.nonzero(types == t).flatten() for t in self.type_ids]
        self.groups.append(torch.arange(types.numel()))
        n_groups = len(self.groups)
        self._sizes = [1, len(TOP_K), n_groups * len(RECALL_K), n_groups, 8, 8]
        self._state = torch.zeros(sum(self._sizes), dtype=torch.float64)

    def _parts(self) -> list[torch.Tensor]:
        return list(self._state.split(self._sizes))

    def update(self, category_logits: torch.Tensor, attribute_scores: torch.Tensor,
               landmark_pred: torch.Tensor, batch: dict[str, torch.Tensor]) -> None:
        count, top, hits, positives, dist, visible = self._parts()
        count += category_logits.shape[0]
        top += topk_correct(category_logits.float().cpu(), batch["category"].cpu())
        h, p = attribute_hits(attribute_scores.float().cpu(), batch["attributes"].cpu(), self.groups)
        hits += h.flatten()
        positives += p
        d, v = landmark_distances(landmark_pred.cpu(), batch["landmarks"].cpu(), batch["visible"].cpu())
        dist += d
        visible += v

    def state(self) -> torch.Tensor:
        return self._state

    def load_state(self, state: torch.Tensor) -> None:
        self._state = state.to(torch.float64).cpu().clone()

    def compute(self) -> dict[str, float]:
        """Flat dict: category_top1/3/5, attr_<type>_recall@3/5, landmark_<name>, landmark_mean (percent / fraction)."""
        count, top, hits, positives, dist, visible = self._parts()
        out: dict[str, float] = {"images": int(count.item())}
        for k, c in zip(TOP_K, top.tolist(), strict=True):
            out[f"category_top{k}"] = 100.0 * c / max(count.item(), 1)
        names = [ATTRIBUTE_TYPE_NAMES.get(t, f"type{t}") for t in self.type_ids] + ["all"]
        hits = hits.view(len(self.groups), len(RECALL_K))
        for g, name in enumerate(names):
            for j, k in enumerate(RECALL_K):
                # No positives of a type: recall is undefined, reported as NaN (null in JSON).
                out[f"attr_{name}_recall@{k}"] = (100.0 * hits[g, j].item() / positives[g].item()
                                                  if positives[g] > 0 else float("nan"))
        errors = []
        for i, name in enumerate(LANDMARK_NAMES):
            if visible[i] > 0:
                err = (dist[i] / visible[i]).item()
                out["landmark_" + name.replace(" ", "_")] = err
                errors.append(err)
        out["landmark_mean"] = sum(errors) / len(errors) if errors else float("nan")
        return out
