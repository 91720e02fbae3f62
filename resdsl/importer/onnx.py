"""An ONNX file as layers: each node mapped to an op of the table, its module path read from the
metadata torch's exporter writes (`namespace`: `.../layer1.0.bn1: ...BatchNorm2d/...`), so that
names, blocks and stages come back as the source had them. A convolution the exporter fused with
its BatchNorm (onnxscript's FuseBatchNormIntoConv) is a conv and its `bn` again. The check runs
the file with onnxruntime and the imported network with the file's weights (a fused BN set to
the identity) on a seeded input."""

from __future__ import annotations

from ..netgraph.ops import OPS
from .errors import FormatError, UnsayableError
from .layers import Imported, Layer

_PASSING = {"Reshape", "Flatten", "Identity", "Dropout"}  # before an fc, or nothing at evaluation
_ACTIVATIONS = {"Relu": "relu", "Sigmoid": "sigmoid", "HardSwish": "hardswish",
                "HardSigmoid": "hardsigmoid", "Gelu": "gelu"}


def read_onnx(path: str, name: str):
    """(the layers, the model proto) of an ONNX file."""
    import onnx
    from onnx import helper, numpy_helper

    try:
        model = onnx.load(path)
    except Exception as err:
        raise FormatError(f"cannot read {path} as ONNX: {err}") from None
    graph = model.graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    (source,) = [i for i in graph.input if i.name not in weights][:1] or [None]
    if source is None:
        raise FormatError(f"{path} has no input")
    dims = [d.dim_value for d in source.type.tensor_type.shape.dim]
    shape = tuple(int(d) for d in dims[1:])
    imported = Imported(name, shape)
    imported.add(Layer("input", "input", {"shape": shape}, [], "", False, shape))
    values = {source.name: "input"}
    problems: list[UnsayableError] = []
    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        meta = {p.key: p.value for p in node.metadata_props}
        _node(imported, node, attrs, meta, weights, values, problems)
    if problems:
        from ..core.errors import ErrorGroup

        raise problems[0] if len(problems) == 1 else ErrorGroup(problems)
    imported.output = values[graph.output[0].name]
    return imported, model


def _paths(meta: dict) -> list[str]:
    """The module paths of the namespace, outermost first: `layer1`, `layer1.0`, `layer1.0.bn1`."""
    parts = meta.get("namespace", "").split("/")[1:]
    return [p.split(":")[0].strip() for p in parts]


def _node(imported: Imported, node, attrs: dict, meta: dict, weights: dict, values: dict,
          problems: list) -> None:
    kind = node.op_type
    inputs = [values[i] for i in node.input if i in values]
    paths = _paths(meta)
    if kind in _PASSING or (kind == "Constant"):
        if inputs:
            values[node.output[0]] = inputs[0]
        return
    if kind == "Conv":
        _conv(imported, node, attrs, meta, weights, values, inputs)
        return
    if kind == "Gemm":
        w = weights[node.input[1]]
        out = w.shape[0] if attrs.get("transB", 0) else w.shape[1]
        path = node.input[1].rpartition(".")[0] or paths[-1]
        _add(imported, path, "fc", {"out": int(out), "bias": len(node.input) > 2}, inputs, values,
             node, module=True)
        return
    op, args = _simple(kind, attrs)
    if op is None:
        problems.append(UnsayableError(f"the language cannot say ONNX's {kind} ({node.name})"))
        return
    module = op in ("maxpool", "avgpool", "bn")
    if module and len(paths) > 1:
        _add(imported, paths[-2], op, args, inputs, values, node, module=True)
    else:
        scope = paths[-2] if len(paths) > 1 else ""
        _add(imported, scope, op, args, inputs, values, node, module=False)


def _simple(kind: str, attrs: dict) -> tuple[str | None, dict]:
    if kind in _ACTIVATIONS:
        return _ACTIVATIONS[kind], {}
    if kind in ("Add", "Mul", "Sum"):
        return ("add" if kind != "Mul" else "mul"), ({"drop": 0.0, "project_from": None}
                                                     if kind != "Mul" else {})
    if kind == "Concat":
        return "concat", {}
    if kind in ("GlobalAveragePool", "ReduceMean"):
        return "avgpool", {"kernel": None, "stride": None, "padding": None, "ceil": False,
                           "include_pad": True}
    if kind in ("MaxPool", "AveragePool"):
        pads = attrs.get("pads", [0, 0, 0, 0])
        args = {"kernel": tuple(attrs["kernel_shape"]), "stride": tuple(attrs.get("strides", [1, 1])),
                "padding": (pads[0], pads[1]), "ceil": bool(attrs.get("ceil_mode", 0))}
        if kind == "AveragePool":
            return "avgpool", {**args, "include_pad": bool(attrs.get("count_include_pad", 0))}
        return "maxpool", args
    if kind == "BatchNormalization":
        return "bn", {"eps": float(attrs.get("epsilon", 1e-5)), "momentum": 0.1, "scale": True}
    if kind == "Softmax":
        return "softmax", {"groups": 1}
    return None, {}


def _conv(imported: Imported, node, attrs: dict, meta: dict, weights: dict, values: dict,
          inputs: list[str]) -> None:
    w = weights[node.input[1]]
    pads = attrs.get("pads", [0, 0, 0, 0])
    path = node.input[1].rpartition(".")[0] if node.input[1].endswith(".weight") else node.name
    fused = "FuseBatchNormIntoConv" in meta.get("pkg.onnxscript.rewriter.rule_name", "")
    args = {"kernel": tuple(int(k) for k in attrs["kernel_shape"]), "out": int(w.shape[0]),
            "stride": tuple(attrs.get("strides", [1, 1])), "padding": (pads[0], pads[1]),
            "groups": int(attrs.get("group", 1)), "dilation": int(attrs.get("dilations", [1])[0]),
            "bias": len(node.input) > 2 and not fused}
    _add(imported, path, "conv", args, inputs, values, node, module=True)
    if fused:  # the BatchNorm torch's exporter folded into the conv, back as its own layer
        bn_path = _paths(meta)[-2]
        if len(node.input) > 2:  # the BN's shift, folded into the conv's bias
            imported.weights[f"{bn_path}.bias"] = node.input[2]
        _add(imported, bn_path, "bn", {"eps": 1e-5, "momentum": 0.1, "scale": True},
             [values[node.output[0]]], values, node, module=True)


def _add(imported: Imported, path: str, op: str, args: dict, inputs: list[str], values: dict,
         node, *, module: bool) -> None:
    args = OPS[op].defaults(dict(args))
    shapes = [imported.layers[i].out_shape for i in inputs]
    if module:
        node_id, scope = path, path.rpartition(".")[0]
    else:
        scope = path
        node_id = imported.free_id(scope, op)
    shape = OPS[op].shape(args, shapes)
    imported.add(Layer(node_id, op, args, inputs, scope, module, shape))
    values[node.output[0]] = node_id


def onnx_result(path: str, name: str, *, approximate: bool = False, header: str = ""):
    """The checked text of an ONNX file (build.Result)."""
    import numpy as np
    import onnxruntime
    import torch
    from onnx import numpy_helper

    from .build import Result, _settled, as_bundled
    from .check import Comparison
    from .fold import fold

    imported, model = read_onnx(path, name)
    text = fold(imported, header=header)
    text = as_bundled(text, name, imported.input_shape, header) or text
    from ..language.loader import load_text
    from ..netgraph.infer import totals
    from ..targets import in_scope
    from ..torch.backend import build_module

    graph = in_scope(load_text(text), name, "the imported text").graph(imported.input_shape, {})
    built = build_module(graph).eval()
    weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
    state = built.state_dict()
    missing = _load(state, {**weights, **{k: weights[v] for k, v in imported.weights.items()
                                          if v in weights}})
    comparison = Comparison()
    comparison.figures.append(f"params: {totals(graph)['params']:,} imported")
    if missing:
        comparison.differences.append(f"weights the file does not hold: {', '.join(missing[:3])}")
        return _settled(text, name, comparison, approximate)
    built.load_state_dict(state)
    x = torch.randn((1, *imported.input_shape), generator=torch.Generator().manual_seed(0))
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    theirs = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    with torch.no_grad():
        ours = built(x).numpy()
    diff = float(np.abs(theirs - ours).max())
    comparison.figures.append(f"outputs on a seeded input, onnxruntime and imported: max |diff| {diff:.3g}")
    if diff > 1e-3 * max(float(np.abs(theirs).max()), 1.0):
        comparison.differences.append(f"outputs differ: max |diff| {diff:.3g}")
    return _settled(text, name, comparison, approximate) if comparison.differences else \
        Result(text, comparison)


def _load(state: dict, weights: dict) -> list[str]:
    """The file's weights into `state`; a BN the exporter fused is the identity plus the conv's
    folded shift. Returns the keys no weight was found for."""
    missing = []
    for key, value in state.items():
        if key in weights:
            state[key] = weights[key].reshape(value.shape)
            continue
        what = key.rpartition(".")[2]
        if what == "weight":
            state[key] = value.new_ones(value.shape)
        elif what == "running_var":
            state[key] = value.new_ones(value.shape) - 1e-5
        elif what in ("bias", "running_mean", "num_batches_tracked"):
            state[key] = value.new_zeros(value.shape)
        else:
            missing.append(key)
    return missing

