"""Fine-tuning: start a run from trained weights (`--init`) and keep some layers fixed (`--freeze`).

The weights come from a resdsl run folder (its weights.safetensors), a .safetensors file, or a
torch state_dict file (torchvision's and timm's checkpoints), read with torch.load's
weights_only=True, which unpickles tensors and plain containers only. A tensor whose name the
network has with another shape (a classifier for another class count, a first conv for other
input channels) keeps its fresh initialisation, and the run says which ones did.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..core.errors import ResdslError

# where training frameworks keep the model's state_dict inside a checkpoint file
NESTED = ("state_dict", "model", "model_state_dict", "state_dict_ema")


class InitError(ResdslError):
    code = "E1161"


class FreezeError(ResdslError):
    code = "E1162"


@dataclass
class Started:
    """What --init did: tensors loaded, and the names it could not use."""

    source: str
    loaded: list[str] = field(default_factory=list)
    reshaped: list[str] = field(default_factory=list)     # kept fresh: another shape
    unknown: list[str] = field(default_factory=list)      # in the file, not in the network
    missing: list[str] = field(default_factory=list)      # in the network, not in the file

    def lines(self) -> list[str]:
        out = [f"init: {len(self.loaded)} tensors from {self.source}"]
        if self.reshaped:
            out.append(f"init: kept fresh (another shape in the file): {', '.join(self.reshaped)}")
        if self.missing:
            out.append(f"init: not in the file, kept fresh: {', '.join(_few(self.missing))}")
        if self.unknown:
            out.append(f"init: in the file but not in the network, ignored: {', '.join(_few(self.unknown))}")
        return out


def _few(names: list[str], limit: int = 8) -> list[str]:
    return names if len(names) <= limit else [*names[:limit], f"... ({len(names) - limit} more)"]


def read_weights(source: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a run folder, a .safetensors file or a torch state_dict file, by name."""
    from .checkpoint import CheckpointError, load_weights

    path = Path(source)
    if path.is_dir():
        path = path / "weights.safetensors"
        if not path.is_file():
            raise InitError(f"'{source}' is a folder without weights.safetensors",
                            hint="give a finished run's folder, a .safetensors file or a torch state_dict file")
    if path.suffix == ".safetensors":
        try:
            return load_weights(path)
        except CheckpointError as err:
            raise InitError(err.message, hint=err.hint) from None
    return _torch_file(path)


def _torch_file(path: Path) -> dict[str, torch.Tensor]:
    import io

    from .checkpoint import CheckpointError, read_file

    try:
        raw = read_file(path)  # within the size limit on weights files
    except CheckpointError as err:
        raise InitError(err.message, hint=err.hint) from None
    try:
        data = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 (a pickle that is not weights, a broken zip, ...)
        first = (str(err).splitlines() or [type(err).__name__])[0][:200]
        raise InitError(f"'{path}' is not a torch state_dict file: {first}",
                        hint="torch.load(..., weights_only=True) reads tensors and plain containers only") from None
    for key in NESTED:
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            data = data[key]
            break
    if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise InitError(f"'{path}' holds no state_dict (a mapping of names to tensors)")
    return {_plain(str(k)): v for k, v in data.items()}


def _plain(name: str) -> str:
    """A name as the module itself has it: DataParallel's and torch.compile's prefixes removed."""
    for prefix in ("module.", "_orig_mod."):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name


def start_from(model: torch.nn.Module, source: str | Path) -> Started:
    """Load what fits of `source` into `model` (in place)."""
    tensors = read_weights(source)
    own = model.state_dict()
    done = Started(str(source))
    fits = {}
    for name, value in tensors.items():
        if name not in own:
            done.unknown.append(name)
        elif own[name].shape != value.shape:
            done.reshaped.append(f"{name} {list(value.shape)} -> {list(own[name].shape)}")
        else:
            fits[name] = value.to(own[name].dtype)
    done.loaded = list(fits)
    done.missing = [n for n in own if n not in tensors]
    if not fits:
        raise InitError(f"none of the {len(tensors)} tensors of '{source}' is one of the network's by name",
                        hint=f"the network's names start {', '.join(list(own)[:3])}; "
                             f"the file's {', '.join(list(tensors)[:3])}")
    model.load_state_dict({**own, **fits})
    return done


def freeze(model: torch.nn.Module, patterns: list[str]) -> list[str]:
    """Stop gradients of the parameters whose names match a pattern (fnmatch); their names."""
    names = [n for n, _ in model.named_parameters()]
    frozen = []
    for pattern in patterns:
        matched = fnmatch.filter(names, pattern)
        if not matched:
            raise FreezeError(f"--freeze '{pattern}' matches none of the network's parameters",
                              hint=f"names look like {', '.join(names[:4])}; 'conv1.*' or 'layer1.*'")
        frozen += [n for n in matched if n not in frozen]
    for name, param in model.named_parameters():
        if name in frozen:
            param.requires_grad_(False)
    return frozen
