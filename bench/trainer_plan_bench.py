"""CPU speed of the network's layer plan: the reference's plan (now) against the previous one.

    .venv/bin/python bench/trainer_plan_bench.py                  # 224 px, batch 8, 2 threads
    .venv/bin/python bench/trainer_plan_bench.py --steps 3 --threads 4

For each plan: seconds per training step at batch 8 (forward, losses, backward, Adam) and the
single-image predict latency (eval mode, inference_mode), for the plain fp32 baseline (NCHW) and
for our CPU set-up (bf16 autocast, channels_last). The plans take turns over several rounds and
the fastest figure counts, so that a busy moment on a shared machine does not decide; CPU seconds
(every thread's time, not the time spent waiting for a core) are printed next to wall seconds. The
previous plan is trainer/model.py as of ``--before``, loaded from git into a module of its own.
The goals of the CPU set-up stand for both plans: training throughput >= 3x the baseline's and
latency <= 0.6x of it.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

from trainer.bench import Setup, _batch, _prepare  # noqa: E402
from trainer.distributed import DistInfo  # noqa: E402
from trainer.engine import Runtime, resolve_runtime  # noqa: E402
from trainer.losses import LossWeights, compute_losses  # noqa: E402
from trainer.model import LandmarkAttentionNet, parameter_report  # noqa: E402

BEFORE = "ddf4073"  # trainer/model.py with the earlier landmark branch and attention U-Net


def previous_model_class(revision: str):
    source = subprocess.run(["git", "show", f"{revision}:trainer/model.py"], cwd=REPO, check=True,
                            capture_output=True).stdout
    path = Path(tempfile.mkdtemp()) / "model_before.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("model_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["model_before"] = module
    spec.loader.exec_module(module)
    return module.LandmarkAttentionNet


def step_times(base: torch.nn.Module, setup: Setup, batches, warmup: int) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of each timed training step (forward, losses, backward, Adam) after
    ``warmup`` untimed ones. CPU seconds add up every thread's time and do not count the time a
    busy machine keeps the process waiting."""
    model = _prepare(copy.deepcopy(base), setup).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    times = []
    for i, cpu_batch in enumerate(batches):
        wall, cpu = time.perf_counter(), time.process_time()
        batch = setup.rt.to_device(cpu_batch)
        with setup.rt.autocast():
            out = model(batch["image"])
        loss = compute_losses(out, batch, LossWeights())["loss"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if i >= warmup:
            times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return times


def latencies(base: torch.nn.Module, setup: Setup, size: int, runs: int) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of single-image inferences (eval mode, inference_mode), two untimed first."""
    model = _prepare(copy.deepcopy(base), setup).eval()
    x = torch.randn(1, 3, size, size)
    times = []
    with torch.inference_mode():
        for i in range(runs + 2):
            wall, cpu = time.perf_counter(), time.process_time()
            with setup.rt.autocast():
                model(setup.rt.to_device({"image": x})["image"]).category.float()
            if i >= 2:
                times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return times


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--steps", type=int, default=2, help="timed training steps per set-up and round")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--latency-runs", type=int, default=5, help="timed single-image inferences per round")
    p.add_argument("--rounds", type=int, default=3, help="rounds over both plans (the fastest step counts)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--before", default=BEFORE, help="git revision of the previous trainer/model.py")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    base_rt = Runtime(torch.device("cpu"), "fp32", False)
    ours_rt = resolve_runtime("cpu", "bf16", "on", DistInfo())
    setups = (Setup("baseline", base_rt, False), Setup("ours", ours_rt, False))
    gen = torch.Generator().manual_seed(0)
    batches = [_batch(args.batch_size, args.image_size, 50, 1000, gen) for _ in range(args.warmup + args.steps)]
    plans = {"previous plan": previous_model_class(args.before), "reference plan": LandmarkAttentionNet}
    steps: dict[tuple[str, str], list[tuple[float, float]]] = {}
    lat: dict[tuple[str, str], list[tuple[float, float]]] = {}
    load_before = os.getloadavg()[0]
    for round_no in range(args.rounds):
        for name, cls in plans.items():  # interleaved, so a busy moment hits both plans
            torch.manual_seed(0)
            model = cls(50, 1000)
            if round_no == 0:
                print(f"{name}: " + ", ".join(f"{k} {v:,}" for k, v in parameter_report(model).items()), flush=True)
            for setup in setups:
                steps.setdefault((name, setup.name), []).extend(step_times(model, setup, batches, args.warmup))
                lat.setdefault((name, setup.name), []).extend(
                    latencies(model, setup, args.image_size, args.latency_runs))
            del model
        print(f"round {round_no + 1}/{args.rounds} done", flush=True)

    print(f"\nCPU, {args.threads} threads, {args.image_size} px, {args.rounds} rounds; load average "
          f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after; fastest wall seconds, and fastest CPU "
          "seconds (all threads) in brackets")
    names = list(plans)
    print(f"{'':<34}" + "".join(f"{n:>24}" for n in names) + f"{'now/previous':>20}")
    for setup in setups:
        for label, table in ((f"train step s, batch {args.batch_size}", steps), ("predict latency s, 1 image", lat)):
            cells = [(min(w for w, _ in table[(n, setup.name)]), min(c for _, c in table[(n, setup.name)]))
                     for n in names]
            print(f"{label + ', ' + setup.name:<34}" + "".join(f"{f'{w:.3f} ({c:.3f})':>24}" for w, c in cells)
                  + f"{f'{cells[1][0] / cells[0][0]:.2f}x ({cells[1][1] / cells[0][1]:.2f}x)':>20}")
    print(f"\nbaseline = fp32, NCHW; ours = {ours_rt.precision} autocast, channels_last")
    print("ours against the baseline, wall (CPU) (goals: training throughput >= 3x, latency <= 0.6x):")
    def best(table, name: str, setup_name: str, which: int) -> float:
        return min(t[which] for t in table[(name, setup_name)])

    for name in names:
        speed = [best(steps, name, "baseline", w) / best(steps, name, "ours", w) for w in (0, 1)]
        late = [best(lat, name, "ours", w) / best(lat, name, "baseline", w) for w in (0, 1)]
        print(f"  {name:<16} throughput {speed[0]:.2f}x ({speed[1]:.2f}x), latency {late[0]:.2f}x ({late[1]:.2f}x): "
              f"{'met' if speed[0] >= 3 and late[0] <= 0.6 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
