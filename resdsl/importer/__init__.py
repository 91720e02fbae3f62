"""Import: an existing model (a torch module, an ONNX file, a Caffe prototxt) as short `.rdsl`
text, its repeats folded into blocks and stages, checked against the source.

Rule: imports resdsl.core, resdsl.netgraph, resdsl.language, resdsl.analysis, resdsl.targets and
resdsl.torch; imports torch (it traces and compiles modules), but only when a function here is
called: `import resdsl` does not.

    >>> text = resdsl.from_module(torchvision.models.resnet50(), torch.randn(1, 3, 224, 224))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["from_module", "from_onnx"]


def from_module(model: "torch.nn.Module", example_input: "torch.Tensor | None" = None, *,
                name: str = "imported", approximate: bool = False, header: str = "") -> str:
    """The `.rdsl` text of a torch module, checked: compiled and compared with `model`
    (parameters, multiply-adds, state_dict, outputs). A difference raises MismatchError (E1034)
    unless `approximate`, which writes the differences as comments instead."""
    import torch

    from .build import imported_text

    example = example_input if example_input is not None else torch.randn(1, 3, 224, 224)
    return imported_text(model, example, name, approximate=approximate, header=header).text


def from_onnx(path: str, *, name: str = "imported", approximate: bool = False) -> str:
    """The `.rdsl` text of an ONNX file (as torch's exporter writes one), checked against the
    file run by onnxruntime."""
    from .onnx import onnx_result

    return onnx_result(str(path), name, approximate=approximate).text
