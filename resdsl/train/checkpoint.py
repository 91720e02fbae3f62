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
         state: dict[str, Any], extra: dict[str, torch.Tensor] | None = None, keep: int = 1) -> Path:
    """Write the checkpoint of `iteration` (iterations done so far) and point checkpoint.json at it;
    `extra` tensors (a model EMA's, under `ema.`) are kept beside the model's. The `keep` latest
    checkpoint files stay; checkpoint.json names the newest."""
    from safetensors.torch import save_file

    folder = run_dir / "checkpoints"
    target = folder / f"ckpt-{iteration:08d}.safetensors"
    with atomic_path(target) as tmp:
        _save_file(save_file, {**_tensors(model, optimizer), **(extra or {})}, tmp, target, {"format": FORMAT})
    groups = optimizer.state_dict()["param_groups"]
    record = {"format": FORMAT, "iteration": iteration, "file": f"checkpoints/{target.name}",
              "sha256": _sha256(target), "param_groups": groups, **state}
    write_atomic(run_dir / "checkpoint.json", json.dumps(record, indent=1) + "\n")
    # names sort by iteration (zero-padded); files of a run resumed from an earlier point sort after theirs
    older = sorted(p for p in folder.glob("ckpt-*.safetensors") if p.name < target.name)
    later = [p for p in folder.glob("ckpt-*.safetensors") if p.name > target.name]
    for old in older[: max(0, len(older) - (keep - 1))] + later:
        old.unlink(missing_ok=True)
    return target


def save_weights(path: Path, model: torch.nn.Module, metadata: dict[str, str] | None = None) -> None:
    from safetensors.torch import save_file

    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        _save_file(save_file, tensors, tmp, path, {"format": "pt", **(metadata or {})})


def _save_file(save_file, tensors, tmp: Path, target: Path, metadata: dict[str, str]) -> None:
    """safetensors' writer, a full disk or a refused write as the output error it is (E920)."""
    from safetensors import SafetensorError

    from ..core.files import OutputError

    try:
        save_file(tensors, str(tmp), metadata=metadata)
    except (OSError, SafetensorError) as err:
        raise OutputError(target, str(err).lower()) from None


def read_file(path: str | Path, what: str = "weights") -> bytes:
    """A weights or checkpoint file's bytes: a regular file within RESDSL_MAX_WEIGHTS_BYTES."""
    from ..core.files import FileProblem, read_limited
    from ..core.limits import LIMITS

    try:
        return read_limited(path, LIMITS.weights_bytes, "RESDSL_MAX_WEIGHTS_BYTES")
    except FileProblem as err:
        raise CheckpointError(f"cannot read {what} '{path}': {err.reason}") from None


def load_weights(path: str | Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load

    raw = read_file(path)
    try:
        return load(raw)
    except (OSError, SafetensorError, ValueError, TypeError, RuntimeError) as err:
        raise CheckpointError(f"cannot read weights '{path}': {err}",
                              hint="weights are a .safetensors file, e.g. a run's weights.safetensors") from None


def load(run_dir: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """checkpoint.json's record and the tensors of the file it names (its hash checked)."""
    pointer = run_dir / "checkpoint.json"
    if not pointer.exists():
        raise CheckpointError(f"nothing to resume in '{run_dir}': no checkpoint.json (the run stopped "
                              "before its first checkpoint, or this is not a run folder)",
                              hint="a run writes one every checkpoint.every iterations; start again "
                                   "without --resume in a new folder (-o)")
    try:
        record = json.loads(read_file(pointer, "checkpoint"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise CheckpointError(f"{pointer} is not JSON ({getattr(err, 'msg', err)})") from None
    check_record(record, pointer)
    tensor_file = (run_dir / record["file"]).resolve()
    if tensor_file.parent != (run_dir / "checkpoints").resolve():
        raise CheckpointError(f"{pointer} names '{record['file']}', which is not in the run's checkpoints/ folder")
    raw = read_file(tensor_file, "checkpoint")
    if hashlib.sha256(raw).hexdigest() != record["sha256"]:
        raise CheckpointError(f"{tensor_file} does not match checkpoint.json's hash")
    from safetensors import SafetensorError
    from safetensors.torch import load as load_bytes

    try:
        tensors = load_bytes(raw)
    except (SafetensorError, ValueError, TypeError, RuntimeError) as err:
        raise CheckpointError(f"cannot read checkpoint '{tensor_file}': {err}") from None
    missing = [k for k in ("rng.cpu",) if k not in tensors]
    if missing:
        raise CheckpointError(f"{tensor_file} lacks {', '.join(missing)}")
    return record, tensors


# checkpoint.json's keys and the JSON types each must have
_RECORD = {"format": str, "iteration": int, "file": str, "sha256": str, "param_groups": list,
           "schedule": dict, "seed": int, "epoch": int, "batch_in_epoch": int}


def check_record(record: Any, pointer: Path) -> None:
    """checkpoint.json holds what a resume reads, each of the right type (E932 otherwise)."""
    if not isinstance(record, dict):
        found = type(record).__name__
        raise CheckpointError(f"{pointer} is not a resdsl checkpoint (a JSON {found}, not an object)")
    if record.get("format") != FORMAT:
        raise CheckpointError(f"{pointer} is not a resdsl checkpoint (format {str(record.get('format'))[:40]!r})")
    for key, kind in _RECORD.items():
        value = record.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise CheckpointError(f"{pointer}: '{key}' is missing or not a JSON {kind.__name__}",
                                  hint="a run's checkpoint.json is written by resdsl; resume a folder it wrote")
    if record["iteration"] < 0 or not all(isinstance(g, dict) for g in record["param_groups"]):
        raise CheckpointError(f"{pointer}: 'iteration' or 'param_groups' is out of range")


def restore(record: dict[str, Any], tensors: dict[str, torch.Tensor], model: torch.nn.Module,
            optimizer: torch.optim.Optimizer) -> None:
    model_state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    try:
        model.load_state_dict(model_state, strict=True)
        state: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in tensors.items():
            if key.startswith("optim."):
                _, index, name = key.split(".", 2)
                state.setdefault(int(index), {})[name] = value
        optimizer.load_state_dict({"state": state, "param_groups": record["param_groups"]})
        torch.set_rng_state(tensors["rng.cpu"])
    except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as err:
        first = str(err).splitlines()[0][:300] if str(err) else type(err).__name__
        raise CheckpointError(f"the checkpoint does not fit this run's network and optimizer: {first}",
                              hint="resume with the network, --input and --param the run started with") from None
    cuda = [tensors[k] for k in sorted((t for t in tensors if t.startswith("rng.cuda.")),
                                       key=lambda t: int(t.rsplit(".", 1)[1]))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda[: torch.cuda.device_count()])
