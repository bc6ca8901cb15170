"""Training runs: what was launched (the ledger), what the trainer wrote (metrics records,
checkpoints), what follows from it (progress, cost, over-confidence) and a prediction.

Values only; ``console.runs`` reads and derives them, ``console.format.runs`` words them.
Anything read from a host, a bucket or a checkpoint (names, labels, metric keys) is kept as
it came: a screen shows it as text, never as markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class RunState(StrEnum):
    RUNNING = "running"  # its job runs (or ran when last looked at)
    FINISHED = "finished"  # the trainer exited 0
    FAILED = "failed"  # another exit status
    INTERRUPTED = "interrupted"  # exit 75 / interrupted.json: stopped for a spot notice, resumable
    LOST = "lost"  # the job ended without an exit status, or is gone from its host


@dataclass(frozen=True, slots=True)
class TrainRequest:
    """What to train where: the train form's and ``awsconsole train``'s answer.

    ``gpus``: ``"1"`` one process (``python -m trainer train``), ``"all"`` one process per
    GPU of each node (``torchrun --nproc_per_node gpu``), or a count. Several hosts make a
    multi-node group (one job per node, torchrun's rendezvous from PET_* variables).
    ``trainer_args`` pass to ``trainer train`` exactly as given.
    """

    hosts: tuple[str, ...]
    trainer_args: tuple[str, ...]
    name: str = ""
    gpus: str = "1"
    cwd: str = "~"
    env: tuple[tuple[str, str], ...] = ()
    master_addr: str = ""
    master_port: int = 29500


@dataclass(frozen=True, slots=True)
class TrainDefaults:
    """What the train form starts with where the place suggests more than the trainer's own
    defaults (the demo: its synthetic dataset on one of its instances).

    ``synth_args``: ``python -m trainer synth`` options that make a small synthetic dataset in
    the ``--data-root`` folder when it has none; empty for a folder used as it is.
    """

    request: TrainRequest
    synth_args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RunNode:
    """One host a run trains on: its job and, when the host is a known instance, what it is
    and costs."""

    host: str
    job_id: str
    instance_id: str | None = None
    instance_type: str | None = None
    price_per_hour: float | None = None
    #: where the price came from ("spot", "pricing-api", "table"), None when unknown
    price_source: str | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One training launch as the ledger keeps it (``console.runs.ledger``)."""

    id: str
    name: str
    started: dt.datetime
    #: the exact argv the job ran
    command: tuple[str, ...]
    trainer_args: tuple[str, ...]
    gpus: str
    cwd: str
    #: the run folder on the first node, absolute (config.json, metrics.jsonl, checkpoints)
    run_dir: str
    nodes: tuple[RunNode, ...]
    state: RunState = RunState.RUNNING
    group: str | None = None
    #: ``git -C CWD rev-parse HEAD`` on the host at launch; None outside a git work tree
    git_commit: str | None = None
    #: whether that work tree had uncommitted changes (``git status --porcelain``)
    git_dirty: bool | None = None
    s3_uri: str | None = None
    #: the trainer's resolved config (``config.json``: "config" and "derived"), once written
    config: Mapping[str, object] | None = None
    exit_code: int | None = None
    ended: dt.datetime | None = None
    #: the latest evaluation's metrics, and the best one's (by category top-1)
    final_metrics: Mapping[str, float | None] = field(default_factory=dict)
    best_metrics: Mapping[str, float | None] = field(default_factory=dict)
    epochs_done: int | None = None
    epochs_total: int | None = None
    last_step: int | None = None
    #: global step of the latest checkpoint (``last.pt.json``), for resuming
    checkpoint_step: int | None = None
    #: the run this one continues (a relaunch), and the checkpoint it resumed from
    continues: str | None = None
    resumed_from: str | None = None
    #: bytes of metrics.jsonl already folded into the fields above
    metrics_offset: int = 0
    #: lines of metrics.jsonl that were not metrics records (not JSON, no kind, too long):
    #: skipped, and named by ``awsconsole runs``
    metrics_skipped: int = 0

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(node.host for node in self.nodes)

    @property
    def primary(self) -> RunNode:
        """Node 0: its run folder holds metrics.jsonl and the checkpoints (rank 0 writes)."""
        return self.nodes[0]

    @property
    def price_per_hour(self) -> float | None:
        """What all nodes cost together per hour; None when any node's price is unknown."""
        prices = [node.price_per_hour for node in self.nodes]
        if not prices or any(price is None for price in prices):
            return None
        return float(sum(prices))  # type: ignore[arg-type]

    @property
    def finished(self) -> bool:
        return self.state is not RunState.RUNNING

    @property
    def metrics_path(self) -> str:
        return f"{self.run_dir.rstrip('/')}/metrics.jsonl"


@dataclass(frozen=True, slots=True)
class LedgerProblem:
    """A line of the ledger file that could not be read (kept in the file as it is)."""

    path: str
    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class RunListing:
    """The ledger's runs (newest first), its unreadable lines, and the runs whose host could
    not be asked about their job this time (run id -> why)."""

    runs: tuple[RunRecord, ...]
    problems: tuple[LedgerProblem, ...] = ()
    errors: Mapping[str, str] = field(default_factory=dict)


# --- what the trainer writes: metrics.jsonl ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttributeRecall:
    """Attribute recall@3 and @5 (percent) of one attribute type, or of all (``"all"``)."""

    type: str
    at3: float | None = None
    at5: float | None = None


@dataclass(frozen=True, slots=True)
class MetricRecord:
    """One line of ``metrics.jsonl``; a field the line lacks (or holds as something else) is
    None. ``kind`` is ``start``, ``train``, ``eval`` or ``end`` (another kind is kept, with
    what it shares). ``offset`` is the line's byte offset in the file: two records with the
    same offset are the same line."""

    kind: str
    offset: int = 0
    #: seconds since the epoch, when the trainer wrote the line
    time: float | None = None
    #: train: the epoch in progress (1-based); eval/start/end: epochs completed
    epoch: int | None = None
    epochs: int | None = None
    #: global optimizer step
    step: int | None = None
    epoch_step: int | None = None
    steps_per_epoch: int | None = None
    loss: float | None = None
    loss_category: float | None = None
    loss_attribute: float | None = None
    loss_landmark: float | None = None
    lr: float | None = None
    images_per_s: float | None = None
    #: train: seconds left in this epoch's training steps
    epoch_eta_s: float | None = None
    #: eval: which split was evaluated, and the paper's metrics (percent; landmark error in
    #: [0, 1] of the input)
    split: str | None = None
    category_top1: float | None = None
    category_top3: float | None = None
    category_top5: float | None = None
    attribute_recall: tuple[AttributeRecall, ...] = ()
    landmark_error: float | None = None
    landmark_errors: tuple[tuple[str, float | None], ...] = ()
    epoch_seconds: float | None = None
    eval_seconds: float | None = None
    #: start: the checkpoint resumed from; end: why it ended and the exit status
    resumed_from: str | None = None
    reason: str | None = None
    exit_status: int | None = None

    def recall(self, attribute_type: str = "all", k: int = 5) -> float | None:
        for recall in self.attribute_recall:
            if recall.type == attribute_type:
                return recall.at3 if k == 3 else recall.at5 if k == 5 else None
        return None


@dataclass(frozen=True, slots=True)
class OverConfidence:
    """Validation loss rose at every one of the last ``epochs`` evaluations while top-1
    accuracy never fell and rose overall (the rule: ``console.runs.derive``)."""

    epochs: int
    first_epoch: int | None
    last_epoch: int | None
    loss_from: float
    loss_to: float
    accuracy_from: float
    accuracy_to: float
    split: str | None = None


@dataclass(frozen=True, slots=True)
class RunProgress:
    """What follows from a run's records, its price and the clock (``console.runs.derive``)."""

    epochs_done: int | None = None
    epochs_total: int | None = None
    step: int | None = None
    #: the mean of the recent epochs' durations (seconds)
    epoch_seconds: float | None = None
    eta_seconds: float | None = None
    elapsed_seconds: float | None = None
    price_per_hour: float | None = None
    cost_so_far: float | None = None
    projected_cost: float | None = None
    over_confident: OverConfidence | None = None
    latest_train: MetricRecord | None = None
    latest_eval: MetricRecord | None = None
    best_eval: MetricRecord | None = None


# --- checkpoints and predictions -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A checkpoint file in a run folder on a host, under an S3 prefix or in a local folder,
    with what its sidecar (``NAME.json``) says. Without a usable sidecar only the size and
    the modification time are known (``sidecar_problem`` says why, when there was one)."""

    #: the text that names it for ``download``/``predict``: ``/path``, ``HOST:/path``, ``s3://b/k``
    location: str
    name: str
    size: int | None = None
    modified: dt.datetime | None = None
    has_sidecar: bool = False
    sidecar_problem: str | None = None
    #: "full" (resumable, last.pt) or "weights" (best.pt)
    kind: str | None = None
    epoch: int | None = None
    epoch_step: int | None = None
    step: int | None = None
    reason: str | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    #: the epoch whose evaluation ``metrics`` are
    metrics_epoch: int | None = None
    config_digest: str | None = None
    saved_at: dt.datetime | None = None

    @property
    def when(self) -> dt.datetime | None:
        """When it was saved (the sidecar's word, else the file's modification time)."""
        return self.saved_at or self.modified


@dataclass(frozen=True, slots=True)
class Guess:
    """A category or an attribute the model names, with its probability (0-1)."""

    name: str
    probability: float | None = None


@dataclass(frozen=True, slots=True)
class LandmarkGuess:
    """A landmark in the image's pixels (``x``, ``y``) and in [0, 1] of the crop (``u``, ``v``)."""

    name: str
    x: float | None = None
    y: float | None = None
    u: float | None = None
    v: float | None = None


@dataclass(frozen=True, slots=True)
class Prediction:
    """``python -m trainer predict CHECKPOINT IMAGE --json`` run on this machine."""

    image: str
    #: the checkpoint file the trainer loaded (a local copy of ``source``)
    checkpoint: str
    #: the checkpoint as the user named it (``HOST:path``, ``s3://…`` or a local path)
    source: str
    box: tuple[int, ...] = ()
    categories: tuple[Guess, ...] = ()
    #: attribute type -> the top attributes of that type
    attributes: tuple[tuple[str, tuple[Guess, ...]], ...] = ()
    landmarks: tuple[LandmarkGuess, ...] = ()
    #: the picture with its landmarks marked, None when none was drawn
    drawn: str | None = None
    #: the interpreter that ran the trainer
    python: str = ""
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class CompareColumn:
    """One figure runs are compared on (``console.runs.compare`` reads it from an eval
    record): its key, header, unit ("percent", "error" or "loss") and which way is better."""

    key: str
    title: str
    unit: str
    higher_is_better: bool


#: the comparison's figures, in the table's order
COMPARE_COLUMNS: tuple[CompareColumn, ...] = (
    CompareColumn("category_top1", "Top-1", "percent", True),
    CompareColumn("category_top3", "Top-3", "percent", True),
    CompareColumn("category_top5", "Top-5", "percent", True),
    CompareColumn("attr_recall@3", "Attr R@3", "percent", True),
    CompareColumn("attr_recall@5", "Attr R@5", "percent", True),
    CompareColumn("landmark_mean", "Landmark err", "error", False),
    CompareColumn("val_loss", "Val loss", "loss", False),
)


@dataclass(frozen=True, slots=True)
class RunComparison:
    """One run's row of a comparison: its best figure per column key (None: never
    evaluated), how many epochs were evaluated, its cost (None: no price known), and the
    evaluations of its current session by epoch (for the compare charts)."""

    run: RunRecord
    best: Mapping[str, float | None]
    epochs: int
    cost: float | None
    evaluations: tuple[MetricRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class Comparison:
    """Runs side by side: their rows in the order asked, the rows leading each column key
    (and "cost"), and the runs whose metrics could not be read ("name (id): why")."""

    rows: tuple[RunComparison, ...]
    leaders: Mapping[str, frozenset[int]]
    notes: tuple[str, ...] = ()
