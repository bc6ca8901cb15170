"""Runs compared: each column's best over a run's current evaluations, the leaders of each
column (ties shared, nothing to lead alone), and the curves the compare charts overlay."""

from __future__ import annotations

import datetime as dt

from console.models import COMPARE_COLUMNS, RunNode, RunRecord
from console.runs.compare import as_record, compare, leaders
from console.runs.metrics import parse_record
from console.ui.runs.series import COMPARE_CHARTS, RUN_COLOURS, comparison_series

STARTED = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def run(name: str) -> RunRecord:
    return RunRecord(id=f"run-{name}", name=name, started=STARTED, command=(), trainer_args=(),
                     gpus="1", cwd="~", run_dir=f"/r/{name}", nodes=(RunNode("local", "j"),))  # fmt: skip


def evaluation(epoch: int, top1: float, top5: float, landmark: float, loss: float,
               recall5: float | None = None, split: str = "val"):  # fmt: skip
    fields = {"kind": "eval", "split": split, "epoch": epoch, "step": epoch * 10,
              "category_top1": top1, "category_top3": top1 + 10, "category_top5": top5,
              "landmark_mean": landmark, "loss": loss}  # fmt: skip
    if recall5 is not None:
        fields["attr_all_recall@5"] = recall5
        fields["attr_all_recall@3"] = recall5 - 5
    return parse_record(fields)


def start(resumed_from: str | None = None):
    return parse_record({"kind": "start", "step": 0, "resumed_from": resumed_from})


def test_each_column_takes_its_own_best_epoch_and_only_the_current_session():
    records = [
        start(), evaluation(1, 90.0, 99.0, 0.01, 0.1),  # an older session in the same folder
        start(), evaluation(1, 40.0, 80.0, 0.09, 2.0, recall5=20.0),
        evaluation(2, 55.0, 78.0, 0.07, 2.2, recall5=25.0),
        start(resumed_from="/r/a/last.pt"), evaluation(3, 50.0, 79.0, 0.08, 1.9),
    ]  # fmt: skip

    (row,) = compare([(run("a"), records, 1.5)])

    assert row.epochs == 3
    assert row.best == {"category_top1": 55.0, "category_top3": 65.0, "category_top5": 80.0,
                        "attr_recall@3": 20.0, "attr_recall@5": 25.0, "landmark_mean": 0.07,
                        "val_loss": 1.9}  # fmt: skip
    assert row.cost == 1.5
    assert set(row.best) == {column.key for column in COMPARE_COLUMNS}
    # the evaluations the charts draw: the current session's, one per epoch
    assert [r.epoch for r in row.evaluations] == [1, 2, 3]


def test_leaders_are_the_best_row_of_each_column_and_ties_share_it():
    rows = compare([
        (run("a"), [evaluation(1, 60.0, 90.0, 0.05, 1.0)], 3.0),
        (run("b"), [evaluation(1, 70.0, 90.0, 0.06, 0.9)], 1.0),
        (run("c"), [], None),  # never evaluated, no price
    ])  # fmt: skip

    lead = leaders(rows)

    assert lead["category_top1"] == {1}
    assert lead["category_top5"] == {0, 1}  # a tie
    assert lead["landmark_mean"] == {0}  # lower is better
    assert lead["val_loss"] == {1}
    assert lead["cost"] == {1}
    assert lead["attr_recall@5"] == frozenset()  # nobody has it
    assert rows[2].best["category_top1"] is None and rows[2].epochs == 0


def test_a_column_only_one_run_has_leads_nothing():
    rows = compare([(run("a"), [evaluation(1, 60.0, 90.0, 0.05, 1.0, recall5=30.0)], None),
                    (run("b"), [evaluation(1, 50.0, 80.0, 0.05, 1.0)], 2.0)])  # fmt: skip

    lead = leaders(rows)

    assert lead["attr_recall@5"] == frozenset() and lead["cost"] == frozenset()
    assert lead["category_top1"] == {0}


def test_the_json_row_names_the_run_and_its_best_figures():
    (row,) = compare([(run("a"), [evaluation(2, 60.0, 90.0, 0.05, 1.0)], 0.25)])

    assert as_record(row) == {
        "id": "run-a", "name": "a", "hosts": ["local"], "state": "running",
        "epochs_evaluated": 1, "best": dict(row.best), "cost": 0.25,
    }  # fmt: skip


def test_the_compare_charts_overlay_one_curve_per_run_by_epoch_labelled_by_position():
    a = [evaluation(1, 40.0, 80.0, 0.09, 2.0), evaluation(2, 55.0, 85.0, 0.07, 1.8)]
    b = [evaluation(1, 45.0, 82.0, 0.08, 1.9, recall5=30.0)]

    rows = compare([(run("a"), [start(), *a], None), (run("b"), b, None), (run("c"), [], None)])

    series = comparison_series([row.evaluations for row in rows])

    assert set(series) == {chart.id for chart in COMPARE_CHARTS}
    top1 = {curve.label: (curve.points, curve.style) for curve in series["top1"]}
    assert top1 == {"#1": ([(1.0, 40.0), (2.0, 55.0)], RUN_COLOURS[0]),
                    "#2": ([(1.0, 45.0)], RUN_COLOURS[1])}  # fmt: skip
    # a curve only where the run has points: recall@5 is run #2's alone
    assert [curve.label for curve in series["attr5"]] == ["#2"]
