"""The structure of the authors' ResNet deploy files (KaimingHe/deep-residual-networks, Caffe),
written out from their layer list: `conv1`, `bn_conv1`, `scale_conv1`, `pool1`, then per block
`res2a_branch1` (the projection of each stage's first block), `res2a_branch2a/2b/2c` with their
`bn*` and `scale*`, the sum `res2a` and its ReLU, then `pool5`, `fc1000` and `prob`. The stride
of a down-sampling block sits on its first 1x1 (`res3a_branch1` and `res3a_branch2a`)."""

from __future__ import annotations


def _layer(name: str, kind: str, bottoms: list[str], top: str, params: str = "") -> str:
    inputs = "".join(f'  bottom: "{b}"\n' for b in bottoms)
    return f'layer {{\n{inputs}  top: "{top}"\n  name: "{name}"\n  type: "{kind}"\n{params}}}\n'


def _conv(name, bottom, out, k, stride=1, pad=0, bias=False) -> str:
    params = (f"  convolution_param {{\n    num_output: {out}\n    kernel_size: {k}\n    pad: {pad}\n"
              f"    stride: {stride}\n" + ("" if bias else "    bias_term: false\n") + "  }\n")
    return _layer(name, "Convolution", [bottom], name, params)


def _bn_scale(suffix: str, top: str) -> str:
    return (_layer(f"bn{suffix}", "BatchNorm", [top], top,
                   "  batch_norm_param {\n    use_global_stats: true\n  }\n")
            + _layer(f"scale{suffix}", "Scale", [top], top, "  scale_param {\n    bias_term: true\n  }\n"))


def resnet_prototxt(depths=(3, 4, 6, 3), name: str = "ResNet-50") -> str:
    out = [f'name: "{name}"\ninput: "data"\n' + "".join(f"input_dim: {d}\n" for d in (1, 3, 224, 224))]
    out.append(_conv("conv1", "data", 64, 7, 2, 3, bias=True) + _bn_scale("_conv1", "conv1"))
    out.append(_layer("conv1_relu", "ReLU", ["conv1"], "conv1"))
    out.append(_layer("pool1", "Pooling", ["conv1"], "pool1",
                      "  pooling_param {\n    kernel_size: 3\n    stride: 2\n    pool: MAX\n  }\n"))
    bottom = "pool1"
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), depths), start=2):
        for index in range(count):
            block = f"{stage}{'a' if index == 0 else ('b' + str(index) if count > 6 else chr(97 + index))}"
            stride = 2 if index == 0 and stage > 2 else 1
            if index == 0:
                out.append(_conv(f"res{block}_branch1", bottom, 4 * width, 1, stride)
                           + _bn_scale(f"{block}_branch1", f"res{block}_branch1"))
            previous = bottom
            for part, (out_c, k, s, pad) in zip("abc", ((width, 1, stride, 0), (width, 3, 1, 1),
                                                      (4 * width, 1, 1, 0))):
                top = f"res{block}_branch2{part}"
                out.append(_conv(top, previous, out_c, k, s, pad) + _bn_scale(f"{block}_branch2{part}", top))
                if part != "c":
                    out.append(_layer(f"{top}_relu", "ReLU", [top], top))
                previous = top
            shortcut = f"res{block}_branch1" if index == 0 else bottom
            out.append(_layer(f"res{block}", "Eltwise", [shortcut, previous], f"res{block}"))
            out.append(_layer(f"res{block}_relu", "ReLU", [f"res{block}"], f"res{block}"))
            bottom = f"res{block}"
    out.append(_layer("pool5", "Pooling", [bottom], "pool5",
                      "  pooling_param {\n    kernel_size: 7\n    stride: 1\n    pool: AVE\n  }\n"))
    out.append(_layer("fc1000", "InnerProduct", [  "pool5"], "fc1000",
                      "  inner_product_param {\n    num_output: 1000\n  }\n"))
    out.append(_layer("prob", "Softmax", ["fc1000"], "prob"))
    return "\n".join(out)
