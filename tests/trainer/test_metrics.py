"""The paper's metrics against small examples worked out by hand."""

from __future__ import annotations

import math

import torch

from trainer.metrics import (
    MetricAccumulator,
    attribute_hits,
    heatmap_argmax,
    landmark_distances,
    topk_correct,
)


def test_topk_counts_rows_whose_target_is_in_the_top_k():
    logits = torch.tensor([
        [0.9, 0.5, 0.1, 0.0, -1.0, -2.0],  # target 0: top-1
        [0.1, 0.9, 0.8, 0.0, -1.0, -2.0],  # target 2: second -> top-3, top-5
        [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],    # target 1: fifth -> top-5 only
        [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],    # target 0: sixth -> none
    ])
    target = torch.tensor([0, 2, 1, 0])
    assert topk_correct(logits, target).tolist() == [1.0, 2.0, 3.0]


def test_attribute_recall_per_group_and_over_all():
    # 2 images, 6 attributes: type A = 0..2, type B = 3..5.
    scores = torch.tensor([
        [0.9, 0.1, 0.5, 0.8, 0.7, 0.2],
        [0.1, 0.2, 0.3, 0.9, 0.1, 0.0],
    ])
    labels = torch.tensor([
        [1, 1, 0, 0, 0, 1],
        [0, 0, 1, 0, 1, 0],
    ])
    groups = [torch.tensor([0, 1, 2]), torch.tensor([3, 4, 5]), torch.arange(6)]
    hits, positives = attribute_hits(scores, labels, groups, ks=(1, 2))
    # Type A, image 1: ranking 0,2,1 -> top1 {0} 1 hit, top2 {0,2} 1 hit; image 2: ranking 2,1,0 -> 1, 1.
    # Type B, image 1: ranking 3,4,5 -> 0, 0;  image 2: ranking 3,4,5 -> top1 0, top2 {3,4} 1.
    # All, image 1: ranking 0,3,4,2,5,1 -> top1 1, top2 1; image 2: ranking 3,2,1,... -> top1 0, top2 1.
    assert hits.tolist() == [[2.0, 2.0], [0.0, 1.0], [1.0, 2.0]]
    assert positives.tolist() == [3.0, 2.0, 5.0]


def test_landmark_error_ignores_invisible_landmarks():
    pred = torch.zeros(2, 8, 2)
    target = torch.zeros(2, 8, 2)
    target[0, 0] = torch.tensor([0.3, 0.4])  # distance 0.5, visible
    target[1, 0] = torch.tensor([0.6, 0.8])  # distance 1.0, visible
    target[0, 1] = torch.tensor([0.9, 0.9])  # invisible: must not count
    visible = torch.zeros(2, 8, dtype=torch.bool)
    visible[:, 0] = True
    visible[1, 1] = True  # right collar visible only in image 2, distance 0
    dist, count = landmark_distances(pred, target, visible)
    assert torch.allclose(dist[:2], torch.tensor([1.5, 0.0], dtype=torch.float64))
    assert count[:3].tolist() == [2.0, 1.0, 0.0]


def test_heatmap_argmax_returns_pixel_centres_in_unit_coordinates():
    maps = torch.zeros(1, 8, 4, 8)
    maps[0, 0, 1, 6] = 1.0  # row 1, column 6
    xy = heatmap_argmax(maps)
    assert torch.allclose(xy[0, 0], torch.tensor([6.5 / 8, 1.5 / 4]))


def test_accumulator_combines_batches_and_reports_undefined_recall_as_nan():
    types = torch.tensor([1, 1, 2, 2])
    acc = MetricAccumulator(types)
    batch = {
        "category": torch.tensor([1]),
        "attributes": torch.tensor([[1, 0, 0, 0]]),  # no positive of type 2
        "landmarks": torch.zeros(1, 8, 2),
        "visible": torch.tensor([[True] + [False] * 7]),
    }
    pred = torch.zeros(1, 8, 2)
    pred[0, 0] = torch.tensor([0.0, 0.25])
    acc.update(torch.tensor([[0.0, 1.0, 0.5]]), torch.tensor([[0.2, 0.9, 0.0, 0.0]]), pred, batch)
    acc.update(torch.tensor([[2.0, 1.0, 0.5]]), torch.tensor([[0.2, 0.9, 0.0, 0.0]]), pred, batch)
    m = acc.compute()
    assert m["images"] == 2
    assert m["category_top1"] == 50.0 and m["category_top3"] == 100.0
    assert m["attr_texture_recall@3"] == 100.0  # attribute 0 ranks second of two, within top-3
    assert math.isnan(m["attr_fabric_recall@3"])
    assert m["landmark_left_collar"] == 0.25
    assert "landmark_right_collar" not in m  # never visible
    assert m["landmark_mean"] == 0.25


def test_attribute_recall_ranks_by_the_positive_logit_unless_the_margin_is_asked_for():
    from trainer.engine import attribute_scores
    from trainer.model import ModelOutput

    # Attribute 0: logits (5, 6), margin 1; attribute 1: logits (-4, 2), margin 6.
    logits = torch.tensor([[[5.0, 6.0], [-4.0, 2.0], [0.0, -1.0]]])
    out = ModelOutput(torch.zeros(1, 2), logits, torch.zeros(1, 8, 4, 4))
    assert attribute_scores(out).tolist() == [[6.0, 2.0, -1.0]]  # the paper's evaluator: positive logit
    assert attribute_scores(out, "margin").tolist() == [[1.0, 6.0, -1.0]]
    labels = torch.tensor([[0, 1, 0]])
    groups = [torch.arange(3)]
    hits_positive, _ = attribute_hits(attribute_scores(out), labels, groups, ks=(1,))
    hits_margin, _ = attribute_hits(attribute_scores(out, "margin"), labels, groups, ks=(1,))
    assert hits_positive.tolist() == [[0.0]] and hits_margin.tolist() == [[1.0]]
