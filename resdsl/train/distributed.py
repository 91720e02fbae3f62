"""Many processes through torch.distributed: joining the process group torchrun set up, and
starting one through torch's own launcher (`torch.distributed.run`, what `torchrun` is).

`resdsl train --nproc-per-node N ...` hands its own command line, less the launcher flags, to
`torch.distributed.run` as `-m resdsl train ...`; each process then finds RANK, WORLD_SIZE and
LOCAL_RANK in its environment and joins the group: gloo on CPU, nccl on GPU. `torchrun
--nproc-per-node N -m resdsl train ...` does the same by hand, with every rendezvous option of
torchrun's (several machines: --nnodes, --node-rank, --rdzv-endpoint).
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass

import torch


@dataclass
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def main(self) -> bool:
        """Rank 0: the one process that logs and writes files."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def pick_device(choice: str | None, local_rank: int = 0) -> torch.device:
    if choice in (None, "auto"):
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    from .data import DataError

    try:
        device = torch.device(choice)
    except (RuntimeError, ValueError, TypeError):
        device = None
    if device is None or device.type not in ("cpu", "cuda") or (device.index or 0) > 4096:
        raise DataError(f"--device {str(choice)[:80]!r} is not a device resdsl trains on",
                        hint="give cpu, cuda or cuda:N (or leave --device out: cuda when there is one)")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DataError("--device cuda, but torch sees no CUDA device",
                            hint="leave --device out (auto) or give --device cpu")
        if device.index is None:
            device = torch.device("cuda", local_rank)
    return device


def join(device_choice: str | None) -> World:
    """This process's place: joins the process group when torchrun started several."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World(device=pick_device(device_choice))
    import torch.distributed as dist

    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(device_choice, local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return World(dist.get_rank(), dist.get_world_size(), local_rank, device)


def leave(world: World, finished: bool = False) -> None:
    """Leave the process group; a run that finished waits for the others first, so that no
    process tears gloo's connections down while a peer still writes its last files (a peer
    aborted with "terminate called without an active exception")."""
    if world.distributed:
        import torch.distributed as dist

        if dist.is_initialized():
            gc.collect()  # a DDP reducer no longer used goes before the group it holds
            if finished:
                dist.barrier()
            dist.destroy_process_group()


def all_sum(world: World, values: torch.Tensor) -> torch.Tensor:
    """`values` summed over every process, in place; on a GPU the host does not wait for it."""
    if world.distributed:
        import torch.distributed as dist

        dist.all_reduce(values)
    return values


def same_text(world: World, text: str) -> str:
    """Rank 0's text on every process (as bytes in a tensor; torch's object broadcast pickles)."""
    if not world.distributed:
        return text
    import torch.distributed as dist

    data = torch.zeros(4096, dtype=torch.uint8, device=world.device)
    raw = text.encode()[:4096]
    data[:len(raw)] = torch.tensor(list(raw), dtype=torch.uint8)
    dist.broadcast(data, src=0)
    return bytes(data.cpu().tolist()).rstrip(b"\0").decode()


def barrier(world: World) -> None:
    if world.distributed:
        import torch.distributed as dist

        dist.barrier()


# Launcher flags that `resdsl train` takes and hands to torch.distributed.run, with their arity.
LAUNCH_FLAGS = {"--nproc-per-node": 1, "--nnodes": 1, "--node-rank": 1, "--master-addr": 1,
                "--master-port": 1, "--rdzv-endpoint": 1, "--rdzv-backend": 1, "--rdzv-id": 1}


def strip_launch_flags(argv: list[str]) -> list[str]:
    out, skip = [], 0
    for arg in argv:
        if skip:
            skip -= 1
            continue
        name = arg.split("=", 1)[0]
        if name in LAUNCH_FLAGS:
            skip = 0 if "=" in arg else LAUNCH_FLAGS[name]
            continue
        out.append(arg)
    return out


def launch(command: list[str], nproc: int, *, nnodes: str = "1", node_rank: int = 0,
           master_addr: str | None = None, master_port: int | None = None,
           rdzv_endpoint: str | None = None, rdzv_backend: str | None = None,
           rdzv_id: str | None = None) -> None:
    """Run `python -m resdsl COMMAND...` in `nproc` processes through torch.distributed.run."""
    from torch.distributed.run import get_args_parser, run

    args = [f"--nproc-per-node={nproc}", f"--nnodes={nnodes}", f"--node-rank={node_rank}"]
    single_node = nnodes in ("1", "1:1") and not (master_addr or rdzv_endpoint)
    if single_node:
        args.append("--standalone")
    for flag, value in (("--master-addr", master_addr), ("--master-port", master_port),
                        ("--rdzv-endpoint", rdzv_endpoint), ("--rdzv-backend", rdzv_backend),
                        ("--rdzv-id", rdzv_id)):
        if value is not None:
            args.append(f"{flag}={value}")
    args += ["--module", "resdsl", *command]
    run(get_args_parser().parse_args(args))
