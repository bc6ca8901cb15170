"""torchrun support: one process per device, rendezvous from torchrun's environment variables.

``torchrun --nproc_per_node=N -m trainer train …`` on one node, or with ``--nnodes``,
``--node_rank`` and ``--rdzv_endpoint`` across nodes. NCCL on GPUs, gloo on the CPU. Only rank 0
logs and writes files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init(device_kind: str) -> DistInfo:
    """Join the process group when started by torchrun (WORLD_SIZE > 1); else a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    info = DistInfo(int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0")), world)
    backend = "nccl" if device_kind == "cuda" else "gloo"
    if device_kind == "cuda":
        torch.cuda.set_device(info.local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return info


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_sum(tensor: torch.Tensor, info: DistInfo, device: torch.device) -> torch.Tensor:
    """Sum a tensor over all processes (returned on the CPU); a no-op for a single process."""
    if not info.enabled:
        return tensor
    moved = tensor.to(device)
    dist.all_reduce(moved, op=dist.ReduceOp.SUM)
    return moved.cpu()


def any_rank(flags: list[bool], info: DistInfo, device: torch.device) -> list[bool]:
    """Each flag True on every process when it is True on any (so all stop at the same step);
    one all_reduce for all of them."""
    if not info.enabled:
        return flags
    summed = all_reduce_sum(torch.tensor([1.0 if f else 0.0 for f in flags]), info, device)
    return [v > 0 for v in summed.tolist()]


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()
