"""A Caffe deploy `.prototxt` (the paper's authors released their ResNets so) as layers: read with
a Lark grammar of the protobuf text format (grammar/prototxt.lark), each Caffe layer mapped to an
op of the table, BatchNorm and its Scale one `bn`. Caffe's flat names (`res2a_branch2a`) are given
the paths their pattern means (`res2.0.branch2a`), so that the blocks fold as the bundled ones."""

from __future__ import annotations

import re
from typing import Any

from lark import Lark, Transformer, v_args
from lark.exceptions import LarkError

from ..core.resources import grammar_file
from ..netgraph.ops import OPS, sliding
from .errors import FormatError, UnsayableError
from .layers import Imported, Layer

# Caffe's layer types -> the op of the table that computes them (Scale joins its BatchNorm)
_TYPES = {"Convolution": "conv", "BatchNorm": "bn", "ReLU": "relu", "Sigmoid": "sigmoid",
          "Pooling": "pool", "InnerProduct": "fc", "Eltwise": "eltwise", "Concat": "concat",
          "Softmax": "softmax", "Dropout": "dropout", "Scale": "scale_of_bn"}
# `res2a_branch2a`, `bn2a_branch2a`, `scale4b22_branch2c`: stage, block letter (or b + number),
# branch
_RESNET_NAME = re.compile(r"^(res|bn|scale)(\d+)([a-z])(\d*)(?:_(\w+))?$")


@v_args(inline=True)
class _ToDict(Transformer):
    def start(self, *items):
        return _group(items)

    def field(self, name, value):
        return str(name), value

    def message(self, name, *items):
        return str(name), _group(items)

    def string(self, token):
        return str(token)[1:-1]

    def number(self, token):
        text = str(token)
        return float(text) if any(c in text for c in ".eE") else int(text)

    def word(self, token):
        return {"true": True, "false": False}.get(str(token), str(token))


def _group(items) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for name, value in items:
        out.setdefault(name, []).append(value)
    return out


def parse(text: str, where: str) -> dict[str, list[Any]]:
    grammar = grammar_file().with_name("prototxt.lark").read_text()
    try:
        return _ToDict().transform(Lark(grammar, parser="lalr").parse(text))
    except LarkError as err:
        raise FormatError(f"{where} is not protobuf text: {str(err).splitlines()[0]}") from None


def read(text: str, where: str, name: str) -> Imported:
    """The layers of a Caffe deploy file."""
    net = parse(text, where)
    shape = _input_shape(net, where)
    imported = Imported(name, shape)
    imported.add(Layer("input", "input", {"shape": shape}, [], "", False, shape))
    tops = {top: "input" for top in net.get("input", ["data"])}
    problems: list[UnsayableError] = []
    for layer in net.get("layer", []) + net.get("layers", []):
        _one(imported, layer, tops, problems)
    if problems:
        from ..core.errors import ErrorGroup

        raise problems[0] if len(problems) == 1 else ErrorGroup(problems)
    imported.output = next(reversed(imported.layers))
    return imported


def _input_shape(net: dict, where: str) -> tuple[int, ...]:
    dims = net.get("input_dim") or [d for s in net.get("input_shape", []) for d in s.get("dim", [])]
    if len(dims) != 4:
        raise FormatError(f"{where} gives no input of 4 dimensions (input_dim or input_shape)")
    return tuple(int(d) for d in dims[1:])


def _one(imported: Imported, layer: dict, tops: dict[str, str], problems: list) -> None:
    kind = _first(layer, "type")
    name = _first(layer, "name")
    op = _TYPES.get(kind)
    if op is None:
        problems.append(UnsayableError(f"the language cannot say Caffe's {kind} layer {name}"))
        return
    bottoms = [tops[b] for b in layer.get("bottom", [])]
    top = _first(layer, "top")
    if op == "scale_of_bn":  # the scale and shift of the BatchNorm before it
        previous = imported.layers[bottoms[0]]
        if previous.op != "bn" or previous.args["scale"]:
            problems.append(UnsayableError(f"the language cannot say Caffe's Scale {name} "
                                           "without a BatchNorm before it"))
        previous.args["scale"] = True
        return
    args = _arguments(op, layer)
    if args.get("ceil") and bottoms:  # Caffe's rounding, said only where it changes the size
        args["ceil"] = _ceil_matters(args, imported.layers[bottoms[0]].out_shape)
    op = args.pop("op", op)
    node_id = _path(name)
    scope = node_id.rpartition(".")[0]
    module = op in ("conv", "bn", "fc") or op.endswith("pool")
    if not module:  # functions get the names the compiler gives them
        node_id = imported.free_id(scope, op)
    args = OPS[op].defaults(args)
    shape = OPS[op].shape(args, [imported.layers[b].out_shape for b in bottoms])
    imported.add(Layer(node_id, op, args, bottoms, scope, module, shape))
    tops[top] = node_id


def _arguments(op: str, layer: dict) -> dict:
    if op == "conv":
        p = _param(layer, "convolution_param")
        return {"kernel": _size(p, "kernel"), "out": p["num_output"], "stride": _size(p, "stride", 1),
                "padding": _size(p, "pad", 0), "groups": p.get("group", 1),
                "dilation": p.get("dilation", 1), "bias": p.get("bias_term", True)}
    if op == "bn":  # scale: true once its Scale layer is read
        return {"eps": _param(layer, "batch_norm_param").get("eps", 1e-5), "momentum": 0.1,
                "scale": False}
    if op == "pool":
        p = _param(layer, "pooling_param")
        kind = "maxpool" if p.get("pool", "MAX") == "MAX" else "avgpool"
        if p.get("global_pooling"):
            return {"op": "avgpool", "kernel": None, "stride": None, "padding": None, "ceil": False,
                    "include_pad": True}
        out = {"op": kind, "kernel": _size(p, "kernel"), "stride": _size(p, "stride", 1),
               "padding": _size(p, "pad", 0), "ceil": True}  # Caffe rounds windows up
        return out | ({"include_pad": True} if kind == "avgpool" else {})
    if op == "fc":
        p = _param(layer, "inner_product_param")
        return {"out": p["num_output"], "bias": p.get("bias_term", True)}
    if op == "eltwise":
        kind = _param(layer, "eltwise_param").get("operation", "SUM")
        return {"op": "add" if kind == "SUM" else "mul"} | ({"drop": 0.0, "project_from": None}
                                                          if kind == "SUM" else {})
    if op == "dropout":
        return {"p": _param(layer, "dropout_param").get("dropout_ratio", 0.5)}
    if op == "softmax":
        return {"groups": 1}
    return {}


def _ceil_matters(args: dict, shape: tuple[int, ...]) -> bool:
    sizes = [[sliding(n, k, s, p, 1, ceil) for n, k, s, p in
              zip(shape[1:], args["kernel"], args["stride"], args["padding"])] for ceil in (False, True)]
    return sizes[0] != sizes[1]


def _param(layer: dict, key: str) -> dict:
    found = layer.get(key, [{}])[0]
    return {k: v[0] for k, v in found.items()}


def _size(p: dict, key: str, default: int | None = None) -> tuple[Any, Any]:
    if f"{key}_h" in p:
        return (p[f"{key}_h"], p[f"{key}_w"])
    value = p.get(f"{key}_size", p.get(key, default))
    return (value, value)


def _first(layer: dict, key: str) -> Any:
    return layer.get(key, [""])[0]


def _path(name: str) -> str:
    """`res2a_branch2a` -> `res2.0.branch2a`, `bn4b22_branch2c` -> `res4.22.bn_branch2c`."""
    found = _RESNET_NAME.match(name)
    if not found:
        return name
    kind, stage, letter, number, rest = found.groups()
    index = int(number) if number else ord(letter) - ord("a")
    rest = rest or "sum"  # `res2a` is the block's sum
    return f"res{stage}.{index}." + (rest if kind == "res" else f"{kind}_{rest}")


def read_file(path: str, name: str) -> Imported:
    """The layers of the deploy file at `path` (regular files only, at most 16 MB)."""
    from ..core.files import FileProblem, read_limited

    try:
        data = read_limited(path, 16_000_000, "a smaller file")
    except FileProblem as problem:
        raise FormatError(f"cannot read {path}: {problem.reason}") from None
    return read(data.decode("utf-8", errors="replace"), path, name)
