"""The ``train`` command: build everything from a TrainConfig, resume, train, evaluate, save.

Exit status: 0 when all epochs finished, EXIT_SPOT_INTERRUPTED (75) after a spot interruption
notice (a checkpoint was saved and uploaded first; ``--resume auto`` continues from it).
"""

from __future__ import annotations

import itertools
import json
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler, Sampler

from trainer import checkpoint as ckpt
from trainer import distributed
from trainer.config import TrainConfig, write_resolved
from trainer.data import DatasetIndex, DeepFashionDataset, load_index
from trainer.engine import (
    EpochOptions,
    Progress,
    RunLog,
    configure_backends,
    eval_runtime,
    evaluate,
    resolve_runtime,
    train_one_epoch,
)
from trainer.errors import CheckpointError, ConfigError
from trainer.losses import LossWeights
from trainer.model import LandmarkAttentionNet, format_parameter_report, parameter_report
from trainer.spot import EXIT_SPOT_INTERRUPTED, SpotWatcher, metadata_service_answers

BEST_METRIC = "category_top1"
# Written beside the checkpoint when a spot notice stopped the run (under torchrun the agent's
# own exit status is not 75, so the console can look for this file instead).
INTERRUPTED_MARKER = "interrupted.json"


class SkipSampler(Sampler[int]):
    """The base sampler's order with the first ``skip`` indices left out (mid-epoch resume)."""

    def __init__(self, base: DistributedSampler, skip: int = 0) -> None:
        self.base, self.skip = base, skip

    def __iter__(self):
        return itertools.islice(iter(self.base), self.skip, None)

    def __len__(self) -> int:
        return max(0, len(self.base) - self.skip)


class ShardSampler(Sampler[int]):
    """Evaluation shard: every world_size-th image, no padding, so each image counts once."""

    def __init__(self, length: int, rank: int, world: int) -> None:
        self.indices = list(range(rank, length, world))

    def __iter__(self):
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build_model(cfg: TrainConfig, index_meta: dict[str, Any]) -> LandmarkAttentionNet:
    return LandmarkAttentionNet(len(index_meta["category_names"]), len(index_meta["attribute_names"]), cfg.width)


def weights_line(cfg: TrainConfig, resume_path: Path | None) -> str:
    """The line that says, at start, where the network's weights come from."""
    if resume_path is not None:
        skipped = f" ({cfg.backbone_weights} not read: the checkpoint has every weight)" if cfg.backbone_weights else ""
        return f"weights: resumed from {resume_path}{skipped}"
    if cfg.backbone_weights:
        return f"weights: backbone conv1_1-conv5_3 loaded from {cfg.backbone_weights}; branches and heads random"
    return ("WARNING weights: RANDOM INITIALISATION of the whole network (no --backbone-weights); the paper's "
            "numbers need ImageNet VGG16 weights, e.g. --backbone-weights vgg16-397923af.pth")


def describe_index(index: DatasetIndex) -> str:
    where = {"built": f"parsed and cached in {index.cache_path}", "loaded": f"mapped from {index.cache_path}",
             "in memory": "parsed (no writable place for a cache)"}[index.cache_status]
    return f"index: {len(index):,} images, {where} in {index.seconds:.2f} s"


class Trainer:
    """One training run; ``run()`` returns the process exit status."""

    def __init__(self, cfg: TrainConfig) -> None:
        if not cfg.data_root:
            raise ConfigError("data_root is required (--data-root)")
        self.cfg = cfg
        self.run_dir = Path(cfg.run_dir)
        device_kind = "cuda" if cfg.device.startswith("cuda") or (cfg.device == "auto" and torch.cuda.is_available()) else "cpu"
        self.dist = distributed.init(device_kind)
        self.rt = resolve_runtime(cfg.device, cfg.precision, cfg.channels_last, self.dist)
        configure_backends(self.rt)
        self.log = RunLog(self.run_dir, self.dist.is_main)
        self.run_dir.mkdir(parents=True, exist_ok=True)  # every node: a resume may fetch into it
        if self.dist.is_main:
            ckpt.remove_stale_temporaries(self.run_dir)
        self._last_eval: tuple[int | None, dict[str, float]] = (None, {})  # (epoch, metrics) of the latest evaluation
        self.store = None
        if cfg.s3_uri:
            from trainer.s3 import CheckpointStore

            self.store = CheckpointStore(cfg.s3_uri, cfg.s3_endpoint)

    # ----- building -------------------------------------------------------------------------
    def _loaders(self, index: DatasetIndex, skip: int):
        cfg = self.cfg
        self.train_set = DeepFashionDataset(index, "train", cfg.image_size, cfg.augment, cfg.seed)
        eval_set = DeepFashionDataset(index, cfg.eval_split, cfg.image_size, False)
        if len(self.train_set) < cfg.batch_size * self.dist.world_size:
            raise ConfigError(f"the training split has {len(self.train_set)} images, fewer than one batch "
                              f"({cfg.batch_size} x {self.dist.world_size} processes)")
        self.base_sampler = DistributedSampler(self.train_set, num_replicas=self.dist.world_size,
                                               rank=self.dist.rank, shuffle=True, seed=cfg.seed, drop_last=True)
        self.train_sampler = SkipSampler(self.base_sampler, skip)
        common = {"num_workers": cfg.workers, "pin_memory": self.rt.device.type == "cuda"}
        train_loader = DataLoader(self.train_set, batch_size=cfg.batch_size, sampler=self.train_sampler,
                                  drop_last=True, **common)
        eval_loader = DataLoader(eval_set, batch_size=cfg.batch_size,
                                 sampler=ShardSampler(len(eval_set), self.dist.rank, self.dist.world_size), **common)
        return train_loader, eval_loader

    def _resume_source(self) -> Path | None:
        cfg = self.cfg
        if not cfg.resume:
            return None
        if cfg.resume.startswith("s3://"):
            return self._fetch_resume(cfg.resume)
        if cfg.resume != "auto":
            return Path(cfg.resume)
        last = self.run_dir / ckpt.LAST
        if last.is_file():
            return last
        if self.store is not None:
            # A fresh instance after a spot interruption: the run folder is empty, S3 is not.
            # One process per node fetches it (each node has its own run folder).
            if self.dist.local_rank == 0 and self.store.download(ckpt.LAST, last):
                self.log.line(f"fetched {self.store.uri}/{ckpt.LAST}")
            distributed.barrier(self.dist)
            if last.is_file():
                return last
        return None

    def _fetch_resume(self, uri: str) -> Path:
        """A checkpoint named by its S3 URI (a run continued on another instance): fetched into the
        run folder as last.pt, with its sidecar when there is one, by one process per node."""
        from trainer.s3 import CheckpointStore  # boto3 only for a run that uses S3

        prefix, _, name = uri.rpartition("/")
        store = CheckpointStore(prefix, self.cfg.s3_endpoint)
        last = self.run_dir / ckpt.LAST
        if self.dist.local_rank == 0:
            if not store.download(name, last):
                raise CheckpointError(f"{uri} does not exist: nothing to resume from")
            ckpt.sidecar_path(last).unlink(missing_ok=True)  # it described the folder's own last.pt
            store.download(name + ckpt.SIDECAR_SUFFIX, ckpt.sidecar_path(last))
            self.log.line(f"fetched {uri}")
        distributed.barrier(self.dist)
        return last

    # ----- running --------------------------------------------------------------------------
    def run(self) -> int:
        try:
            return self._run()
        finally:
            distributed.shutdown()

    def _run(self) -> int:
        cfg, rt, log = self.cfg, self.rt, self.log
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        seed_everything(cfg.seed)
        index = load_index(cfg.data_root)
        log.line(describe_index(index))
        self.meta = index.metadata()
        model = build_model(cfg, self.meta)
        resume_path = self._resume_source()
        state = ckpt.load_full(resume_path) if resume_path is not None else None
        if state is None and cfg.backbone_weights:
            model.load_backbone(cfg.backbone_weights)  # only for a fresh start: a checkpoint has them
        if state is not None:
            ckpt.load_weights(model, state["model"], resume_path)
        weights = weights_line(cfg, resume_path)
        log.line(weights)
        model.to(rt.device)
        if rt.channels_last:
            model.to(memory_format=torch.channels_last)
        use_compile = cfg.compile == "on" or (cfg.compile == "auto" and rt.device.type == "cuda")
        if use_compile:
            # In place: the module's state_dict keys stay as they are, so checkpoints load into
            # an uncompiled model (predict, eval, another machine) unchanged.
            model.compile()
        net = model
        if self.dist.enabled:
            net = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=[rt.device.index] if rt.device.type == "cuda" else None)
        optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=cfg.lr_decay)
        scaler = torch.amp.GradScaler("cuda") if rt.precision == "fp16" else None
        progress, best = Progress(), -math.inf
        if state is not None:
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            if scaler is not None and state.get("scaler"):
                scaler.load_state_dict(state["scaler"])
            progress = Progress(state["epoch"], state["epoch_step"], state["global_step"])
            best = state.get("best", -math.inf)
            ckpt.restore_rng(state["rng"])
            if state.get("metrics"):
                self._last_eval = (state.get("metrics_epoch", state["epoch"]), state["metrics"])
            log.line(f"resumed from {resume_path}: epoch {progress.epoch + 1}, "
                     f"{progress.epoch_step} batches done, global step {progress.global_step}")
            if self.dist.is_main:
                (self.run_dir / INTERRUPTED_MARKER).unlink(missing_ok=True)  # no longer true

        train_loader, eval_loader = self._loaders(index, progress.epoch_step * cfg.batch_size)
        steps_in_epoch = len(self.base_sampler) // cfg.batch_size
        if cfg.max_steps_per_epoch:
            steps_in_epoch = min(steps_in_epoch, cfg.max_steps_per_epoch)
        derived = {
            "device": str(rt.device), "precision": rt.precision, "channels_last": rt.channels_last,
            "compile": use_compile, "world_size": self.dist.world_size, "num_categories": index.num_categories,
            "num_attributes": index.num_attributes, "train_images": len(self.train_set),
            "steps_per_epoch": steps_in_epoch, "parameters": parameter_report(model),
            "torch": torch.__version__, "weights": weights,
            "eval_precision": eval_runtime(rt, cfg.eval_precision).precision,
            "index": {"status": index.cache_status, "cache": str(index.cache_path or ""),
                      "seconds": round(index.seconds, 3)},
        }
        if self.dist.is_main:
            write_resolved(cfg, derived, self.run_dir)
        log.record({"kind": "start", "epoch": progress.epoch, "epochs": cfg.epochs, "step": progress.global_step,
                    "epoch_step": progress.epoch_step, "steps_per_epoch": steps_in_epoch,
                    "world_size": self.dist.world_size, "batch_size": cfg.batch_size,
                    "train_images": len(self.train_set), "device": str(rt.device), "precision": rt.precision,
                    "resumed_from": str(resume_path) if resume_path is not None else None,
                    "config_digest": cfg.digest()})
        log.line(f"device {rt.device} precision {rt.precision} channels_last {rt.channels_last} "
                 f"compile {use_compile} processes {self.dist.world_size}; {len(self.train_set)} training images, "
                 f"{steps_in_epoch} steps per epoch")
        log.line(format_parameter_report(derived["parameters"]))

        watcher = self._start_watcher()
        self._parts = (model, optimizer, scheduler, scaler)
        opts = EpochOptions(cfg.epochs, steps_in_epoch, cfg.log_every, cfg.grad_clip,
                            LossWeights(cfg.loss_weight_category, cfg.loss_weight_attribute, cfg.loss_weight_landmark),
                            cfg.heatmap_radius)
        rebalance_saved = False

        def after_step() -> bool:
            nonlocal rebalance_saved
            local = [watcher is not None and watcher.interruption.is_set(),
                     watcher is not None and watcher.rebalance.is_set()]
            interrupted, rebalance = distributed.any_rank(local, self.dist, rt.device)
            if interrupted:
                return True
            if rebalance and not rebalance_saved:
                rebalance_saved = True
                self._save(progress, best, reason="rebalance recommendation")
            elif cfg.checkpoint_every and progress.global_step % cfg.checkpoint_every == 0 \
                    and progress.epoch_step < steps_in_epoch:
                self._save(progress, best, reason="periodic")
            return False

        try:
            while progress.epoch < cfg.epochs:
                self.base_sampler.set_epoch(progress.epoch)
                self.train_set.epoch = progress.epoch
                epoch_started = time.monotonic()
                stopped = train_one_epoch(net, train_loader, optimizer, scaler, rt, opts, progress, log, after_step)
                if stopped:
                    self._save(progress, best, reason="spot interruption", notice=watcher.detail if watcher else "")
                    distributed.barrier(self.dist)  # no process leaves before the checkpoint is safe
                    log.line(f"stopping for a spot interruption; exit status {EXIT_SPOT_INTERRUPTED}")
                    log.record({"kind": "end", "reason": "spot interruption", "epoch": progress.epoch,
                                "step": progress.global_step, "exit_status": EXIT_SPOT_INTERRUPTED})
                    return EXIT_SPOT_INTERRUPTED
                scheduler.step()
                self.train_sampler.skip = 0
                eval_started = time.monotonic()
                metrics = evaluate(net, eval_loader, eval_runtime(rt, cfg.eval_precision),
                                   torch.tensor(self.meta["attribute_types"]), opts.loss_weights,
                                   cfg.heatmap_radius, cfg.attribute_score, log=log,
                                   label=f"eval {cfg.eval_split}", log_every=cfg.log_every)
                progress.epoch, progress.epoch_step = progress.epoch + 1, 0
                ended = time.monotonic()
                self._report_eval(metrics, progress, epoch_seconds=ended - epoch_started,
                                  eval_seconds=ended - eval_started)
                score = metrics[BEST_METRIC]
                is_best = score > best
                best = max(best, score)
                self._save(progress, best, reason=f"end of epoch {progress.epoch}", is_best=is_best,
                           metrics=metrics)
        finally:
            if watcher is not None:
                watcher.stop()
        log.line(f"finished {cfg.epochs} epochs; best {BEST_METRIC} {best:.2f}")
        log.record({"kind": "end", "reason": "finished", "epoch": progress.epoch, "step": progress.global_step,
                    "exit_status": 0, "best": best})
        # every process reaches the end before any takes the process group down: gloo aborts
        # a rank whose peer closed first ("terminate called without an active exception")
        distributed.barrier(self.dist)
        return 0

    def _start_watcher(self) -> SpotWatcher | None:
        cfg = self.cfg
        if cfg.spot_watch == "off" or self.dist.local_rank != 0:
            return None
        if cfg.spot_watch == "auto" and not metadata_service_answers(cfg.imds_endpoint):
            self.log.line(f"no instance metadata service at {cfg.imds_endpoint}; spot watcher off")
            return None
        self.log.line(f"spot watcher polling {cfg.imds_endpoint} every {cfg.spot_poll_s:g} s")
        return SpotWatcher(cfg.imds_endpoint, cfg.spot_poll_s, log=print).start()

    def _report_eval(self, metrics: dict[str, float], progress: Progress, epoch_seconds: float,
                     eval_seconds: float) -> None:
        self.log.line(
            f"eval {self.cfg.eval_split} epoch {progress.epoch}: loss {metrics['loss']:.4f} "
            f"category top1/3/5 {metrics['category_top1']:.2f}/{metrics['category_top3']:.2f}/"
            f"{metrics['category_top5']:.2f} attribute recall@3/5 {metrics['attr_all_recall@3']:.2f}/"
            f"{metrics['attr_all_recall@5']:.2f} landmark error {metrics['landmark_mean']:.4f}")
        self.log.record({"kind": "eval", "split": self.cfg.eval_split, "epoch": progress.epoch,
                         "epochs": self.cfg.epochs, "step": progress.global_step, **metrics,
                         "epoch_seconds": round(epoch_seconds, 3), "eval_seconds": round(eval_seconds, 3)})
        self._last_eval = (progress.epoch, metrics)

    def _save(self, progress: Progress, best: float, reason: str, is_best: bool = False, notice: str = "",
              metrics: dict[str, float] | None = None) -> None:
        """Rank 0 writes last.pt (full state) and, for a new best, best.pt (weights only),
        atomically; then uploads them when an S3 URI is set."""
        if not self.dist.is_main:
            return
        model, optimizer, scheduler, scaler = self._parts
        state = {
            "format": ckpt.FORMAT, "kind": ckpt.KIND_FULL,
            "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(), "scaler": scaler.state_dict() if scaler else None,
            "epoch": progress.epoch, "epoch_step": progress.epoch_step, "global_step": progress.global_step,
            "best": best, "rng": ckpt.rng_state(), "config": self.cfg.to_dict(), "meta": self.meta,
            "reason": reason, "saved_at": time.time(),
            "metrics": {k: v for k, v in (metrics or {}).items() if v == v},  # NaN: undefined, left out
        }
        if metrics is not None:
            state["metrics_epoch"] = progress.epoch
        last = self.run_dir / ckpt.LAST
        ckpt.atomic_save(state, last)
        # the sidecar of a save inside an epoch carries the latest evaluation's metrics, with its epoch
        sidecar = ckpt.sidecar_info(state if metrics is not None else
                                    {**state, "metrics": self._last_eval[1], "metrics_epoch": self._last_eval[0]},
                                    self.cfg.digest())
        written = [last, ckpt.write_sidecar(last, sidecar)]
        if is_best:
            best_path = self.run_dir / ckpt.BEST
            ckpt.atomic_save(ckpt.weights_only_state(state), best_path)
            written += [best_path, ckpt.write_sidecar(best_path, {**sidecar, "kind": ckpt.KIND_WEIGHTS})]
        if notice:
            marker = self.run_dir / INTERRUPTED_MARKER
            marker.write_text(json.dumps({"notice": notice, "global_step": progress.global_step,
                                          "exit_status": EXIT_SPOT_INTERRUPTED}) + "\n")
        self.log.line(f"checkpoint ({reason}): {last}{' and best.pt' if is_best else ''} "
                      f"at global step {progress.global_step}")
        if self.store is not None:
            for path in written:  # each sidecar after its checkpoint: it never describes a file not there yet
                self.log.line(f"uploaded {self.store.upload(path)}")
