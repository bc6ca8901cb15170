"""train_one_epoch and evaluate, with everything they need passed in (no globals, no argparse)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from trainer.distributed import DistInfo, all_reduce_sum
from trainer.losses import LossWeights, compute_losses
from trainer.metrics import MetricAccumulator, heatmap_argmax
from trainer.model import ModelOutput
from trainer.progress import Meter, bar, duration


@dataclass(frozen=True)
class Runtime:
    """What was resolved at start: where and how the maths runs."""

    device: torch.device
    precision: str  # fp32, bf16 or fp16
    channels_last: bool
    dist: DistInfo = field(default_factory=DistInfo)

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.precision == "fp32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast(device_type=self.device.type, dtype=dtype)

    def to_device(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        moved = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
        if self.channels_last:
            moved["image"] = moved["image"].contiguous(memory_format=torch.channels_last)
        return moved


def resolve_runtime(device: str, precision: str, channels_last: str, dist: DistInfo) -> Runtime:
    """auto device = CUDA when present; auto precision = bf16 AMP on CUDA where supported, else
    fp16 (with a GradScaler), fp32 on the CPU; auto channels_last = on with CUDA or bf16."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            from trainer.errors import ConfigError

            raise ConfigError("device cuda was asked for but torch sees no CUDA device")
        if dist.enabled or dev.index is None:
            dev = torch.device("cuda", dist.local_rank if dist.enabled else torch.cuda.current_device())
    if precision == "auto":
        if dev.type == "cuda":
            precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        else:
            precision = "fp32"
    if precision == "fp16" and dev.type != "cuda":
        from trainer.errors import ConfigError

        raise ConfigError("fp16 needs CUDA; on the CPU use bf16 or fp32")
    if channels_last == "auto":
        use_cl = dev.type == "cuda" or precision == "bf16"
    else:
        use_cl = channels_last == "on"
    return Runtime(dev, precision, use_cl, dist)


def configure_backends(rt: Runtime) -> None:
    """On CUDA, let cuDNN time its convolution algorithms once per shape and keep the fastest:
    training feeds one fixed input size, so the one-off search pays for itself in the first
    steps. Off (PyTorch's default) elsewhere."""
    torch.backends.cudnn.benchmark = rt.device.type == "cuda"


class RunLog:
    """Progress lines on stdout (rank 0 only) and one JSON object per line in metrics.jsonl."""

    def __init__(self, run_dir: Path | None, enabled: bool, stream=None) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.path = run_dir / "metrics.jsonl" if run_dir is not None and enabled else None
        self._open_progress = False

    def line(self, text: str) -> None:
        if not self.enabled:
            return
        if self._open_progress:
            self.stream.write("\n")
            self._open_progress = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def progress(self, text: str) -> None:
        """A progress line: rewritten in place on a terminal, a plain line in a log file."""
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r" + text + "\x1b[K")
            self._open_progress = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def end_progress(self) -> None:
        """Finish a progress line left open on a terminal."""
        if self._open_progress:
            self.stream.write("\n")
            self.stream.flush()
            self._open_progress = False

    def record(self, obj: dict) -> None:
        if self.path is None:
            return
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(_finite({**obj, "time": round(time.time(), 3)})) + "\n")


def _finite(obj: dict) -> dict:
    """NaN (an undefined metric) and infinities become null: json.dumps would write NaN or
    Infinity, which are not JSON."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in obj.items()}


@dataclass
class Progress:
    """Counters that survive a resume: which epoch, how many batches of it, the global step."""

    epoch: int = 0
    epoch_step: int = 0
    global_step: int = 0


@dataclass(frozen=True)
class EpochOptions:
    epochs: int
    steps_in_epoch: int
    log_every: int
    grad_clip: float
    loss_weights: LossWeights
    heatmap_radius: float = 8.0


def attribute_scores(out: ModelOutput, score: str = "positive") -> torch.Tensor:
    """Per-attribute score that recall@k ranks by: the positive logit, as the paper's evaluator
    ranks (``positive``), or the logit margin, which ranks as the two-way softmax does (``margin``)."""
    logits = out.attributes.float()
    if score == "margin":
        return logits[..., 1] - logits[..., 0]
    if score != "positive":
        raise ValueError(f"unknown attribute score {score!r}")
    return logits[..., 1]


@contextlib.contextmanager
def eval_math(rt: Runtime):
    """fp32 evaluation on CUDA means fp32: no TF32 in convolutions or matrix products while it
    runs (PyTorch lets cuDNN use TF32 by default), restored afterwards."""
    if rt.device.type != "cuda" or rt.precision != "fp32":
        yield
        return
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def eval_runtime(rt: Runtime, eval_precision: str) -> Runtime:
    """The runtime evaluation uses: the training one with its own precision (fp32 by default,
    so the reported metrics do not depend on the training's AMP)."""
    if eval_precision == "auto":
        return rt
    if eval_precision == "fp16" and rt.device.type != "cuda":
        from trainer.errors import ConfigError

        raise ConfigError("fp16 needs CUDA; on the CPU evaluate in bf16 or fp32")
    return dataclasses.replace(rt, precision=eval_precision)


def train_one_epoch(
    model: nn.Module,
    loader: Iterable[dict[str, torch.Tensor]],
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler | None,
    rt: Runtime,
    opts: EpochOptions,
    progress: Progress,
    log: RunLog,
    after_step: Callable[[], bool] = lambda: False,
) -> bool:
    """Train until the loader or ``opts.steps_in_epoch`` runs out, or ``after_step`` says stop.

    ``progress`` is advanced in place after every optimizer step. Returns True when stopped
    early by ``after_step`` (e.g. a spot interruption), False when the epoch finished.
    """
    model.train()
    sums = torch.zeros(4, device=rt.device)
    seen, window_start = 0, time.perf_counter()
    meter = Meter(max(0, opts.steps_in_epoch - progress.epoch_step))  # this call's steps: the time left
    for batch in loader:
        if progress.epoch_step >= opts.steps_in_epoch:
            break
        batch = rt.to_device(batch)
        with rt.autocast():
            out = model(batch["image"])
        losses = compute_losses(out, batch, opts.loss_weights, opts.heatmap_radius)
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(losses["loss"]).backward()
            scaler.unscale_(optimizer)
        else:
            losses["loss"].backward()
        if opts.grad_clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), opts.grad_clip)
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        progress.epoch_step += 1
        progress.global_step += 1
        sums += torch.stack([losses[k].detach().float() for k in ("loss", "category", "attribute", "landmark")])
        seen += batch["image"].shape[0]
        meter.update(1, batch["image"].shape[0])
        if progress.epoch_step % opts.log_every == 0 or progress.epoch_step == opts.steps_in_epoch:
            _log_window(log, sums, seen, window_start, optimizer, rt, opts, progress, meter.eta_s)
            sums.zero_()
            seen, window_start = 0, time.perf_counter()
        if after_step():
            return True
    return False


def _log_window(log: RunLog, sums, seen, start, optimizer, rt: Runtime, opts: EpochOptions, progress: Progress,
                eta_s: float) -> None:
    steps = max(1, (progress.epoch_step - 1) % opts.log_every + 1)
    loss, cat, attr, lmk = (sums / steps).tolist()  # one device sync per log window, not per step
    rate = seen * rt.dist.world_size / max(time.perf_counter() - start, 1e-9)
    lr = optimizer.param_groups[0]["lr"]
    log.progress(
        f"epoch {progress.epoch + 1}/{opts.epochs} {bar(progress.epoch_step, opts.steps_in_epoch)} "
        f"step {progress.epoch_step}/{opts.steps_in_epoch} {rate:.1f} img/s ETA {duration(eta_s)} "
        f"loss {loss:.4f} (category {cat:.4f} attribute {attr:.4f} landmark {lmk:.5f}) lr {lr:.2e}")
    log.record({"kind": "train", "epoch": progress.epoch + 1, "epochs": opts.epochs, "step": progress.global_step,
                "epoch_step": progress.epoch_step, "steps_per_epoch": opts.steps_in_epoch, "loss": loss,
                "loss_category": cat, "loss_attribute": attr, "loss_landmark": lmk, "lr": lr, "images_per_s": rate,
                "epoch_eta_s": round(eta_s, 3)})


def evaluate(model: nn.Module, loader: Iterable[dict[str, torch.Tensor]], rt: Runtime,
             attribute_types: torch.Tensor, loss_weights: LossWeights,
             heatmap_radius: float = 8.0, attribute_score: str = "positive",
             log: RunLog | None = None, label: str = "eval", log_every: int = 20) -> dict[str, float]:
    """The paper's metrics and the mean losses over a loader, summed across processes.

    With ``log``, a progress bar (batches, images/s, time left) every ``log_every`` batches and
    at the end, as training shows.
    """
    model.eval()
    acc = MetricAccumulator(attribute_types)
    loss_sums = torch.zeros(5, dtype=torch.float64)  # images, loss, category, attribute, landmark
    meter = Meter(len(loader) if hasattr(loader, "__len__") else 0)
    with torch.inference_mode(), eval_math(rt):
        for batch in loader:
            batch = rt.to_device(batch)
            with rt.autocast():
                out = model(batch["image"])
            losses = compute_losses(out, batch, loss_weights, heatmap_radius)
            n = batch["image"].shape[0]
            loss_sums += torch.tensor([n] + [losses[k].item() * n for k in ("loss", "category", "attribute", "landmark")],
                                      dtype=torch.float64)
            acc.update(out.category, attribute_scores(out, attribute_score), heatmap_argmax(out.heatmaps.float()), batch)
            meter.update(1, n * rt.dist.world_size)
            if log is not None and (meter.done % log_every == 0 or meter.done == meter.total):
                log.progress(meter.line(label, "batches"))
    if log is not None and meter.done == 0:
        log.progress(meter.line(label, "batches"))
    acc.load_state(all_reduce_sum(acc.state(), rt.dist, rt.device))
    loss_sums = all_reduce_sum(loss_sums, rt.dist, rt.device)
    result = acc.compute()
    n = max(loss_sums[0].item(), 1)
    for i, key in enumerate(("loss", "loss_category", "loss_attribute", "loss_landmark"), start=1):
        result[key] = loss_sums[i].item() / n
    return result
