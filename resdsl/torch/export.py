"""Artifacts of a compiled network: PyTorch source (.py), torch.export (.pt2), ONNX (.onnx) and
weights (.safetensors). Each is written through `files.atomic_path`: a failure leaves no file.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import os
import warnings
from pathlib import Path
from typing import Any, Callable

import networkx as nx
import torch
from torch import nn

from ..analysis.allocation import check_activations
from ..core.errors import ExportError
from ..core.escape import python_docstring_text, python_literal
from ..core.files import atomic_path, write_atomic
from ..core.names import prefixes
from ..core.preprocess import FILE_NAME
from ..core.units import human
from ..core.version import __version__
from ..netgraph.infer import totals
from ..netgraph.ops import fmt
from . import init as torch_init, modules as torch_modules
from .backend import GeneratedModule, norm_types, residual_bns
from .carried import add_onnx_metadata, pt2_extra_files, python_constants, record_of

EXPORT_BATCH = 2  # the example batch an export traces (the batch size stays dynamic)

def needs_package(doing: str, package: str) -> ExportError:
    """An optional package missing for an artifact (the `export` extra installs them all)."""
    return ExportError(f"{doing} needs the '{package}' package", hint="pip install 'resdsl[export]'")


def check_packages(suffixes) -> None:
    """Raise E910 naming the first missing package any of these artifacts needs (the table of
    what needs what is core/extras.py's)."""
    from ..core.extras import missing

    for suffix in suffixes:
        found = missing(suffix) if suffix in (".onnx", ".safetensors") else None
        if found:
            what = "weights" if suffix == ".safetensors" else suffix.lstrip(".").upper()
            raise needs_package(f"writing {what}", found[0])


def example_input(graph: nx.DiGraph, batch: int = EXPORT_BATCH) -> torch.Tensor:
    check_activations(graph, batch, "an export")  # before torch allocates the example
    return torch.randn(batch, *graph.graph["input"])


@contextlib.contextmanager
def _eval_mode(module: nn.Module):
    """Exports trace inference: BN uses its running statistics, dropout is off."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


def _batch_dims() -> dict:
    return {"x": {0: torch.export.Dim("batch", min=1)}}


def _batch_and_spatial_dims() -> dict:
    # height and width dynamic where the network allows (a global pool before the fc); an fc
    # reading a whole feature map (VGG) fixes them, and torch.export keeps them static
    auto = torch.export.Dim.AUTO
    return {"x": {0: torch.export.Dim("batch", min=1), 2: auto, 3: auto}}


# -- .pt2 --------------------------------------------------------------------------------------

def write_pt2(module: nn.Module, graph: nx.DiGraph, path: str | Path) -> None:
    """`torch.export` in inference mode, with a dynamic batch size, and dynamic height and width
    where the network allows other input sizes; read with `torch.export.load`."""
    with _eval_mode(module), _quiet("torch.export"):
        program = torch.export.export(module, (example_input(graph),),
                                      dynamic_shapes=_batch_and_spatial_dims())
    with atomic_path(path) as tmp, open(tmp, "wb") as f:  # a file: the temporary name is no .pt2
        torch.export.save(program, f, extra_files=pt2_extra_files(record_of(module)))


# -- .onnx -------------------------------------------------------------------------------------

def write_onnx(module: nn.Module, graph: nx.DiGraph, path: str | Path) -> None:
    """ONNX through torch's exporter (needs `onnxscript`), checked with `onnx.checker`.

    Input `input` (batch x C x H x W, batch dynamic); outputs named as the network's outputs.
    """
    try:
        import onnx
        import onnxscript  # noqa: F401  (torch's exporter needs it; say so before it fails)
    except ImportError as err:
        raise needs_package("writing ONNX", err.name) from None
    names = [o.name for o in graph.graph["outputs"]]
    with atomic_path(path) as tmp, _eval_mode(module), _quiet("torch.onnx"):
        torch.onnx.export(module, (example_input(graph),), str(tmp), input_names=["input"],
                          output_names=names, dynamic_shapes=_batch_dims(), dynamo=True,
                          external_data=False, verbose=False)
        onnx.checker.check_model(str(tmp))
        add_onnx_metadata(tmp, record_of(module))


@contextlib.contextmanager
def _quiet(logger: str):
    """torch's exporters print progress, log missing optional packages and warn about their own
    deprecations: keep the command line's output to what resdsl says."""
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(None), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        log.setLevel(level)


# -- .safetensors ------------------------------------------------------------------------------

def write_weights(module: nn.Module, path: str | Path) -> None:
    """The state_dict as safetensors (no pickle): `safetensors.torch.load_file` reads it back."""
    try:
        from safetensors.torch import save_file
    except ImportError:
        raise needs_package("writing weights", "safetensors") from None
    state = {key: value.detach().contiguous() for key, value in module.state_dict().items()}
    with atomic_path(path) as tmp:
        about = {"format": "pt", "network": type(module).__name__}
        record = record_of(module)
        save_file(state, str(tmp), metadata={**about, **({"preprocess": record.text()} if record else {})})


def _weights_file(path: Path) -> Path:
    """A run folder of `resdsl train` stands for its final weights, or its last checkpoint."""
    if not path.is_dir():
        return path
    if (path / "weights.safetensors").is_file():
        return path / "weights.safetensors"
    pointer = path / "checkpoint.json"
    if pointer.is_file():
        import json

        try:
            return path / json.loads(pointer.read_text())["file"]
        except (ValueError, KeyError, TypeError):
            raise ExportError(f"{pointer} is not a resdsl checkpoint record") from None
    raise ExportError(f"{path} is a folder without weights.safetensors or checkpoint.json",
                      hint="give a .safetensors file, a torch state_dict, or a run folder of "
                           "'resdsl train'")


def _misfit_hint(state: dict[str, Any], own: dict[str, Any]) -> str:
    """Why a checkpoint's names do not fit: one prefix on every key (a wrapper such as DDP's
    `module.`) is said as such; otherwise the network differs."""
    heads = {key.partition(".")[0] for key in state}
    if len(heads) == 1:
        head = heads.pop() + "."
        if set(own) <= {key[len(head):] for key in state}:
            return (f"every key of the checkpoint starts with '{head}' (a wrapper around the "
                    f"model): save model.state_dict() itself, or strip '{head}' from the keys")
    return ("the checkpoint must come from the same network (resdsl keeps torchvision's names: "
            "layer1.0.conv1.weight, fc.bias)")


def _weights_bytes(path: Path) -> bytes:
    """A weights file's bytes, as every file a command reads: a regular file (a FIFO would hang)
    within RESDSL_MAX_WEIGHTS_BYTES."""
    from ..core.files import FileProblem, read_limited
    from ..core.limits import LIMITS

    try:
        return read_limited(path, LIMITS.weights_bytes, "RESDSL_MAX_WEIGHTS_BYTES")
    except FileProblem as problem:
        raise ExportError(f"cannot read weights from {path}: {problem.reason}") from None


def read_weights(module: nn.Module, path: str | Path) -> None:
    """Trained weights into `module`, names and shapes exactly: a .safetensors file, or a torch
    checkpoint (.pt/.pth: a state_dict, or a dict holding one under 'state_dict' or 'model'),
    read without unpickling code (`weights_only`)."""
    path = _weights_file(Path(path))
    state: dict[str, Any]  # tensors by name; a torch checkpoint may wrap them in a dict of its own
    raw = _weights_bytes(path)
    try:
        if path.suffix.lower() == ".safetensors":
            from safetensors.torch import load

            state = load(raw)
        else:
            state = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
            for key in ("state_dict", "model"):
                if isinstance(state, dict) and isinstance(state.get(key), dict):
                    state = state[key]
    except ImportError:
        raise needs_package("reading .safetensors", "safetensors") from None
    except Exception as err:  # not a checkpoint at all: say which file, not torch's internals
        raise ExportError(f"cannot read weights from {path}: {type(err).__name__}: {err}",
                          hint="give a .safetensors file or a torch state_dict (.pt, .pth)") from None
    if "rng.cpu" in state and any(k.startswith("model.") for k in state):
        # a training checkpoint of resdsl's (train/checkpoint.py): the model's tensors under
        # `model.`, beside the optimizer's and the RNG's
        state = {k[len("model."):]: v for k, v in state.items() if k.startswith("model.")}
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    reshaped = [f"{k} {tuple(state[k].shape)} for {tuple(own[k].shape)}" for k in own
                if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    problems = [f"{len(v)} {what} ({', '.join(v[:3])}{', ...' if len(v) > 3 else ''})"
                for what, v in (("missing", missing), ("unexpected", unexpected),
                                ("of another shape", reshaped)) if v]
    if problems:
        raise ExportError(f"{path} does not fit {type(module).__name__}: " + "; ".join(problems),
                          hint=_misfit_hint(state, own))
    module.load_state_dict(state, strict=True)


def export(module: nn.Module, path: str | os.PathLike[str]) -> Path:
    """Write a compiled module (`resdsl.load`, trained or not) as the suffix of `path` says:
    .py (standalone source), .pt2 (torch.export), .onnx, or .safetensors (its weights)."""
    path = Path(path)
    graph = getattr(module, "graph", None)
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        write_weights(module, path)
        record = record_of(module)
        if record is not None:  # beside the weights, as in a run folder
            write_atomic(path.parent / FILE_NAME, record.text())
        return path
    if suffix not in WRITERS:
        raise ExportError(f"cannot write '{suffix or path.name}' files",
                          hint="use .py, .pt2, .onnx or .safetensors")
    if graph is None:
        raise ExportError("only a module compiled by resdsl (resdsl.load) can be exported: "
                          "it carries the typed graph (model.graph) the artifact is written from")
    WRITERS[suffix](module, graph, path)
    return path


# -- .py ---------------------------------------------------------------------------------------

def write_python(module: nn.Module, graph: nx.DiGraph, path: str | Path) -> None:
    write_atomic(path, python_source(module, graph))


def python_source(module: nn.Module, graph: nx.DiGraph) -> str:
    """A standalone module needing only torch: the same submodules under the same names, in the
    same containers (stages as `nn.Sequential`, blocks with their own forward), the same
    straight-line forwards, the same initialization."""
    name = type(module).__name__
    layers = set(graph)
    classes = _block_classes(module, name)
    calls = []
    for path, sub in module.named_modules():
        if not path or _parents_in(path, layers):
            continue  # the network itself, or a part of a layer (SE's fc1) its constructor makes
        made = constructor(sub) if path in layers else _container(sub, classes)
        calls.append(f'        attach(self, {python_literal(path)}, {made})')
    for path, param in module.named_parameters():
        if path in layers:  # a layer that is a bare parameter (`layer_scale`), on its block
            parent, _, own = path.rpartition(".")
            made = f"nn.Parameter(torch.full({tuple(param.shape)!r}, {graph.nodes[path]['args']['init']!r}))"
            calls.append(f"        self.get_submodule({python_literal(parent)})"
                         f".register_parameter({python_literal(own)}, {made})")
    local_classes = {type(m) for p, m in module.named_modules() if p in layers
                     and type(m).__module__ == torch_modules.__name__}
    helpers = [inspect.getsource(cls) for cls in sorted(local_classes, key=lambda c: c.__name__)]
    helpers += [inspect.getsource(torch_modules.attach), inspect.getsource(torch_init.init_weights)]
    helpers += [f"class {written}({'nn.Sequential' if issubclass(cls, nn.Sequential) else 'nn.Module'}):"
                f"\n    \"\"\"A block: its forward, called by its container's.\"\"\"\n\n"
                f"{_indented(cls.code)}" for cls, written in classes.items()]
    figures = totals(graph)
    source_file = graph.graph["span"].source.name if graph.graph.get("span") else "<string>"
    bns = "".join(f'\n        {python_literal(bn)},' for bn in residual_bns(graph))
    norms = [_class_source(cls) for cls in norm_types(graph, dict(module.named_modules()))]
    norms_tuple = f"({', '.join(norms)}{',' if len(norms) == 1 else ''})"
    return "\n".join([
        f'"""{python_docstring_text(graph.graph["name"])}: compiled by resdsl {__version__} from '
        f'{python_docstring_text(source_file)}.',
        "",
        f"{figures['params']:,} params, {human(figures['macs'])} multiply-adds, input "
        f"{fmt(graph.graph['input'])}. Needs only torch:",
        "",
        f"    model = {name}()                     # He initialization, as resdsl.load",
        "    model.load_state_dict(safetensors.torch.load_file(\"weights.safetensors\"))",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Iterable",
        "",
        "import torch",
        "import torch.nn.functional as F",
        "from torch import nn",
        "",
        *python_constants(record_of(module)),
        *["\n" + h.rstrip() + "\n" for h in helpers],
        "",
        f"class {name}(nn.Module):",
        f"    input_shape = {tuple(graph.graph['input'])!r}",
        f"    norm_types = {norms_tuple}  # the norms, started at scale 1 and shift 0",
        f"    residual_bns = ({bns}\n    )  # the norms zero_init_residual starts at zero",
        "",
        "    def __init__(self, zero_init_residual: bool = False):",
        "        super().__init__()",
        *calls,
        "        init_weights(self, self.norm_types, self.residual_bns if zero_init_residual else ())",
        "",
        _indented(module.code),
        "",
    ])


def _parents_in(path: str, layers: set[str]) -> list[str]:
    return [p for p in prefixes(path) if p in layers]


def _indented(code: str) -> str:
    return "\n".join("    " + line if line.strip() else "" for line in
                     code.strip("\n").rstrip().splitlines())


def _block_classes(module: nn.Module, network: str) -> dict[type[GeneratedModule], str]:
    """The generated container classes, each under a name of its own in the file."""
    names: dict[type[GeneratedModule], str] = {}
    taken = {network}
    for sub in module.modules():
        if sub is module or not isinstance(sub, GeneratedModule) or type(sub) in names:
            continue
        cls = type(sub)
        written, n = cls.__name__, 1
        while written in taken:
            n += 1
            written = f"{cls.__name__}{n}"
        taken.add(written)
        names[cls] = written
    return names


def _container(sub: nn.Module, classes: dict[type[GeneratedModule], str]) -> str:
    if isinstance(sub, GeneratedModule) and type(sub) in classes:
        return f"{classes[type(sub)]}()"
    if type(sub) is nn.Sequential:
        return "nn.Sequential()"
    return "nn.Module()"


def _class_source(cls: type) -> str:
    """How the written file names a layer's class: `nn.Conv2d`, or one of ours it copies."""
    if getattr(nn, cls.__name__, None) is cls:
        return f"nn.{cls.__name__}"
    if cls.__module__ == torch_modules.__name__:
        return cls.__name__
    raise ExportError(f"cannot write {cls.__module__}.{cls.__name__} as source")


def constructor(layer: nn.Module) -> str:
    """Source that builds `layer` again: `nn.Conv2d(3, 64, kernel_size=(7, 7), ...)`.

    Read from the constructor's signature and the attributes torch keeps under the same names;
    arguments equal to their defaults are left out.
    """
    cls = type(layer)
    qualified = _class_source(cls)
    args = []
    for param in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if param.name in ("device", "dtype") or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.name == "bias" and not isinstance(getattr(layer, "bias", None), bool):
            value = layer.bias is not None  # the constructor takes a flag, the module a tensor
        elif hasattr(layer, param.name):
            value = getattr(layer, param.name)
        else:
            raise ExportError(f"cannot write {cls.__name__} as source: its '{param.name}' is not "
                              "kept on the module")
        if param.default is param.empty:
            args.append(repr(value))
        elif not _is_default(value, param.default):
            args.append(f"{param.name}={value!r}")
    return f"{qualified}({', '.join(args)})"


def _is_default(value, default) -> bool:
    # torch keeps `dilation=1` as (1, 1)
    if isinstance(value, tuple) and not isinstance(default, tuple):
        return all(v == default for v in value)
    return value == default


WRITERS: dict[str, Callable[[nn.Module, nx.DiGraph, Path], None]] = {
    ".py": write_python, ".pt2": write_pt2, ".onnx": write_onnx,
}
