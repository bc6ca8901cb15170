"""``python -m trainer bench``: our training and inference set-up vs a straightforward baseline
of the same network, in the same process, on the same weights and batches.

Ours: on CUDA, AMP (bf16 where supported, else fp16 with a GradScaler) and channels_last; on the
CPU, bf16 autocast and channels_last. Baseline: fp32, NCHW, no compile, the optimiser re-created
at the start of the epoch (as the reference did). Prints training images/s, single-image
latency and an equal-results check (the baseline's and our outputs on the same inputs).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import json
import statistics
import time
from dataclasses import dataclass

import torch

from trainer.distributed import DistInfo
from trainer.engine import Runtime, attribute_scores, resolve_runtime
from trainer.losses import LossWeights, compute_losses
from trainer.metrics import heatmap_argmax
from trainer.model import LandmarkAttentionNet, parameter_report


@dataclass(frozen=True)
class Setup:
    name: str
    rt: Runtime
    recreate_optimizer: bool
    cudnn_benchmark: bool = False  # PyTorch's default is off
    tf32: bool | None = None  # None: PyTorch's defaults (cuDNN TF32 on, matmul TF32 off)
    compile: bool = False


@contextlib.contextmanager
def backend_flags(setup: Setup):
    """The process-wide cuDNN/TF32 switches as ``setup`` wants them, restored afterwards, so
    that one set-up's flags never leak into the other's timings."""
    saved = (torch.backends.cudnn.benchmark, torch.backends.cudnn.allow_tf32,
             torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.benchmark = setup.cudnn_benchmark
    if setup.tf32 is not None:
        torch.backends.cudnn.allow_tf32 = setup.tf32
        torch.backends.cuda.matmul.allow_tf32 = setup.tf32
    try:
        yield
    finally:
        (torch.backends.cudnn.benchmark, torch.backends.cudnn.allow_tf32,
         torch.backends.cuda.matmul.allow_tf32) = saved


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _batch(n: int, size: int, num_categories: int, num_attributes: int, gen: torch.Generator) -> dict[str, torch.Tensor]:
    return {
        "image": torch.randn(n, 3, size, size, generator=gen),
        "category": torch.randint(0, num_categories, (n,), generator=gen),
        "attributes": (torch.rand(n, num_attributes, generator=gen) < 0.01).long(),
        "landmarks": torch.rand(n, 8, 2, generator=gen),
        "visible": torch.rand(n, 8, generator=gen) < 0.8,
    }


def _prepare(model: torch.nn.Module, setup: Setup) -> torch.nn.Module:
    model = model.to(setup.rt.device)
    if setup.rt.channels_last:
        model = model.to(memory_format=torch.channels_last)
    if setup.compile:
        model = torch.compile(model)
    return model


def train_throughput(base: LandmarkAttentionNet, setup: Setup, batches, warmup: int) -> tuple[float, list[float]]:
    """Images/s over the timed batches (after ``warmup`` untimed ones) and the losses seen."""
    model = _prepare(copy.deepcopy(base), setup).train()
    rt = setup.rt
    scaler = torch.amp.GradScaler("cuda") if rt.precision == "fp16" else None
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    losses, images, elapsed = [], 0, 0.0
    for i, cpu_batch in enumerate(batches):
        if i == warmup and setup.recreate_optimizer:
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)  # "a new epoch", as the reference did
        _sync(rt.device)
        start = time.perf_counter()
        batch = rt.to_device(cpu_batch)
        with rt.autocast():
            out = model(batch["image"])
        loss = compute_losses(out, batch, LossWeights())["loss"]
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        losses.append(loss.item())
        _sync(rt.device)
        if i >= warmup:
            elapsed += time.perf_counter() - start
            images += cpu_batch["image"].shape[0]
    return images / elapsed, losses


def latency(base: LandmarkAttentionNet, setup: Setup, size: int, runs: int) -> float:
    """Median seconds for one image: eval mode, inference_mode."""
    model = _prepare(copy.deepcopy(base), setup).eval()
    x = torch.randn(1, 3, size, size)
    times = []
    with torch.inference_mode():
        for i in range(runs + 2):
            _sync(setup.rt.device)
            start = time.perf_counter()
            batch = setup.rt.to_device({"image": x})
            with setup.rt.autocast():
                out = model(batch["image"])
            out.category.float().cpu()
            if i >= 2:
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def outputs(base: LandmarkAttentionNet, setup: Setup, images: torch.Tensor):
    model = _prepare(copy.deepcopy(base), setup).eval()
    with torch.inference_mode(), setup.rt.autocast():
        out = model(setup.rt.to_device({"image": images})["image"])
    return (out.category.float().cpu(), attribute_scores(out).float().cpu(),
            heatmap_argmax(out.heatmaps.float()).cpu())


def compare(base: LandmarkAttentionNet, ours: Setup, reference: Setup, images: torch.Tensor) -> dict[str, float]:
    """How far our outputs are from the baseline's on the same weights and images."""
    c0, a0, l0 = outputs(base, reference, images)
    c1, a1, l1 = outputs(base, ours, images)
    p0, p1 = c0.softmax(1), c1.softmax(1)
    top5_0 = a0.topk(5, dim=1).indices
    top5_1 = a1.topk(5, dim=1).indices
    return {
        "category_top1_agreement": (c0.argmax(1) == c1.argmax(1)).float().mean().item(),
        "category_prob_max_abs_diff": (p0 - p1).abs().max().item(),
        "category_logit_rel_error": ((c0 - c1).norm() / c0.norm().clamp(min=1e-12)).item(),
        "attribute_top5_overlap": (top5_0[:, :, None] == top5_1[:, None, :]).any(-1).float().mean().item(),
        "landmark_mean_shift": (l0 - l1).norm(dim=-1).mean().item(),
    }


# The equal-results check passes when every figure is within its tolerance.
TOLERANCES = {
    "category_top1_agreement": (">=", 0.95),
    "category_prob_max_abs_diff": ("<=", 0.05),
    "attribute_top5_overlap": (">=", 0.9),
    "landmark_mean_shift": ("<=", 0.02),  # in [0, 1] of the input: 4.5 px at 224
}


def _within(key: str, value: float) -> str:
    if key not in TOLERANCES:
        return ""
    op, limit = TOLERANCES[key]
    ok = value >= limit if op == ">=" else value <= limit
    return f"{'ok' if ok else 'OUT'} ({op} {limit:g})"


def _val_images(data_root: str, size: int, count: int) -> torch.Tensor:
    from trainer.data import DeepFashionDataset, load_index

    ds = DeepFashionDataset(load_index(data_root), "val", size)
    return torch.stack([ds[i]["image"] for i in range(min(count, len(ds)))])


def bench_command(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    probe = resolve_runtime(args.device, "fp32", "off", DistInfo())
    # CUDA: AMP as training uses it (bf16 where supported, else fp16); CPU: bf16 autocast.
    ours_rt = resolve_runtime(str(probe.device), "bf16" if probe.device.type == "cpu" else "auto", "on", DistInfo())
    base_rt = Runtime(ours_rt.device, "fp32", False)
    on_cuda = ours_rt.device.type == "cuda"
    ours = Setup(f"ours ({ours_rt.precision} autocast, channels_last"
                 f"{', cuDNN autotune' if on_cuda else ''})", ours_rt, False, cudnn_benchmark=on_cuda)
    strict = on_cuda and args.baseline_tf32 == "off"
    baseline = Setup(f"baseline (fp32{' strict, no TF32' if strict else ''}, NCHW)", base_rt, True,
                     tf32=False if strict else None)
    compiled = dataclasses.replace(ours, name=ours.name + " + torch.compile", compile=True)
    num_categories, num_attributes = 50, 1000
    model = LandmarkAttentionNet(num_categories, num_attributes, args.width)
    if args.checkpoint:
        from trainer.predict import load_for_inference

        loaded = load_for_inference(args.checkpoint)
        model = loaded.model
        num_categories, num_attributes = len(loaded.meta["category_names"]), len(loaded.meta["attribute_names"])
        args.width, args.image_size = loaded.config.width, loaded.config.image_size
    gen = torch.Generator().manual_seed(args.seed)
    batches = [_batch(args.batch_size, args.image_size, num_categories, num_attributes, gen)
               for _ in range(args.warmup + args.steps)]
    params = parameter_report(model)["total"]
    print(f"device {ours_rt.device} ({torch.get_num_threads()} CPU threads), input {args.image_size}px, "
          f"width {args.width}, {params / 1e6:.2f}M parameters, batch {args.batch_size}, "
          f"{args.steps} timed steps after {args.warmup} warm-up", flush=True)

    with backend_flags(baseline):
        base_ips, base_losses = train_throughput(model, baseline, batches, args.warmup)
        base_lat = latency(model, baseline, args.image_size, args.latency_runs)
    with backend_flags(ours):
        ours_ips, ours_losses = train_throughput(model, ours, batches, args.warmup)
        ours_lat = latency(model, ours, args.image_size, args.latency_runs)
    comp_ips = comp_lat = None
    if args.compile:
        with backend_flags(compiled):
            comp_ips, _ = train_throughput(model, compiled, batches, args.warmup)
            comp_lat = latency(model, compiled, args.image_size, args.latency_runs)
    images = (_val_images(args.data_root, args.image_size, args.compare_images) if args.data_root
              else torch.randn(args.compare_images, 3, args.image_size, args.image_size, generator=gen))
    check = compare(model, ours, baseline, images)

    rows = [
        ("training images/s (higher is better)", f"{base_ips:.2f}", f"{ours_ips:.2f}", f"{ours_ips / base_ips:.2f}x"),
        ("single-image latency s (lower is better)", f"{base_lat:.4f}", f"{ours_lat:.4f}", f"{ours_lat / base_lat:.2f}x"),
        ("loss after the timed steps", f"{base_losses[-1]:.4f}", f"{ours_losses[-1]:.4f}",
         f"{ours_losses[-1] / base_losses[-1]:.3f}x"),
    ]
    if comp_ips is not None:
        rows += [
            ("training images/s, ours + torch.compile", f"{base_ips:.2f}", f"{comp_ips:.2f}",
             f"{comp_ips / base_ips:.2f}x"),
            ("latency s, ours + torch.compile", f"{base_lat:.4f}", f"{comp_lat:.4f}", f"{comp_lat / base_lat:.2f}x"),
        ]
    w = max(len(r[0]) for r in rows) + 2
    print(f"\n{'':<{w}}{'baseline':>12}{'ours':>12}{'ours/base':>12}")
    for label, b, o, ratio in rows:
        print(f"{label:<{w}}{b:>12}{o:>12}{ratio:>12}")
    print(f"\nours = {ours.name}; baseline = {baseline.name}, optimiser re-created each epoch")
    source = f"{len(images)} val images of {args.data_root}" if args.data_root else f"{len(images)} noise images"
    weights = args.checkpoint or "random initial weights"
    print(f"equal results (same weights: {weights}; inputs: {source}):")
    for key, value in check.items():
        print(f"  {key:<30}{value:>8.4f}  {_within(key, value)}")
    if args.json_out:
        figures = {
            "device": str(ours_rt.device),
            "device_name": torch.cuda.get_device_name(ours_rt.device) if on_cuda else "cpu",
            "torch": torch.__version__, "image_size": args.image_size, "batch_size": args.batch_size,
            "steps": args.steps, "warmup": args.warmup, "parameters": params,
            "baseline": baseline.name, "ours": ours.name,
            "train_images_per_s": {"baseline": base_ips, "ours": ours_ips, "ours_compiled": comp_ips},
            "latency_s": {"baseline": base_lat, "ours": ours_lat, "ours_compiled": comp_lat},
            "equal_results": check,
        }
        with open(args.json_out, "w") as f:
            json.dump(figures, f, indent=2)
    return 0
