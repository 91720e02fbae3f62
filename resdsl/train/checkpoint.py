"""Checkpoints: tensors in safetensors, everything else in JSON; nothing is ever unpickled.

A run folder's `checkpoint.json` names the current `checkpoints/ckpt-ITER.safetensors` (model
weights under `model.`, SGD momentum under `optim.`, the torch RNG states under `rng.`) with its
SHA-256, and holds the optimizer's hyper-parameters, the schedule's state, the data position
and the seed. The tensor file is written first, atomically, then the JSON, atomically: a run
killed at any moment leaves either the old pair or the new one. `weights.safetensors` holds the
final model alone, with its `state_dict` keys, for `resdsl eval` and exports.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from ..core.errors import ResdslError
from ..core.files import atomic_path, write_atomic

FORMAT = "resdsl-checkpoint-1"


class CheckpointError(ResdslError):
    code = "E932"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tensors(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    out = {f"model.{k}": v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    for index, state in optimizer.state_dict()["state"].items():
        for name, value in state.items():
            if isinstance(value, torch.Tensor):
                out[f"optim.{index}.{name}"] = value.detach().cpu().contiguous().clone()
    out["rng.cpu"] = torch.get_rng_state()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, state in enumerate(torch.cuda.get_rng_state_all()):
            out[f"rng.cuda.{i}"] = state
    return out


def save(run_dir: Path, iteration: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
         state: dict[str, Any]) -> Path:
    """Write the checkpoint of `iteration` (iterations done so far) and point checkpoint.json at it."""
    from safetensors.torch import save_file

    folder = run_dir / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"ckpt-{iteration:08d}.safetensors"
    with atomic_path(target) as tmp:
        save_file(_tensors(model, optimizer), str(tmp), metadata={"format": FORMAT})
    groups = optimizer.state_dict()["param_groups"]
    record = {"format": FORMAT, "iteration": iteration, "file": f"checkpoints/{target.name}",
              "sha256": _sha256(target), "param_groups": groups, **state}
    write_atomic(run_dir / "checkpoint.json", json.dumps(record, indent=1) + "\n")
    for old in folder.glob("ckpt-*.safetensors"):  # only the one checkpoint.json names stays
        if old.name != target.name:
            old.unlink(missing_ok=True)
    return target


def save_weights(path: Path, model: torch.nn.Module, metadata: dict[str, str] | None = None) -> None:
    from safetensors.torch import save_file

    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"format": "pt", **(metadata or {})})


def load_weights(path: str | Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (OSError, SafetensorError) as err:
        raise CheckpointError(f"cannot read weights '{path}': {err}",
                              hint="weights are a .safetensors file, e.g. a run's weights.safetensors") from None


def load(run_dir: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """checkpoint.json's record and the tensors of the file it names (its hash checked)."""
    pointer = run_dir / "checkpoint.json"
    if not pointer.is_file():
        raise CheckpointError(f"nothing to resume in '{run_dir}': no checkpoint.json",
                              hint="a run writes one every checkpoint.every iterations; start without --resume")
    try:
        record = json.loads(pointer.read_text())
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{pointer} is not JSON ({err.msg})") from None
    if record.get("format") != FORMAT:
        raise CheckpointError(f"{pointer} is not a resdsl checkpoint ({record.get('format')!r})")
    tensor_file = run_dir / record["file"]
    if not tensor_file.is_file() or _sha256(tensor_file) != record["sha256"]:
        raise CheckpointError(f"{tensor_file} is missing or does not match checkpoint.json's hash")
    return record, load_weights(tensor_file)


def restore(record: dict[str, Any], tensors: dict[str, torch.Tensor], model: torch.nn.Module,
            optimizer: torch.optim.Optimizer) -> None:
    model_state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    model.load_state_dict(model_state, strict=True)
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": record["param_groups"]})
    torch.set_rng_state(tensors["rng.cpu"])
    cuda = [tensors[k] for k in sorted((t for t in tensors if t.startswith("rng.cuda.")),
                                       key=lambda t: int(t.rsplit(".", 1)[1]))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda[: torch.cuda.device_count()])
