"""The ops over the channels of each pixel (layer norms, the per-pixel linear layer, the learned
per-channel scale, channel shuffle and slices, the leaky ReLU) and the squeeze-and-excitation
options, each against the plain torch computation, a hand count of its parameters and torch's
FLOP counter (2 x multiply-adds)."""

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import resdsl  # noqa: E402
from resdsl.core.errors import ResdslError  # noqa: E402
from resdsl.netgraph.opkit import make_divisible  # noqa: E402
from resdsl.torch.backend import build_module  # noqa: E402
from resdsl.torch.export import python_source  # noqa: E402


def one_layer(layer: str, shape: str = "24x5x6", before: str = ""):
    """A network of the input and one layer (after `before`), compiled; its graph's last node."""
    graph = resdsl.graph_from_text(f"network t {{\n input {shape}\n {before}\n {layer}\n}}", "t")
    model = build_module(graph)
    node = list(graph)[-1]
    return model, graph.nodes[node]


def test_leaky_relu_is_torchs():
    model, data = one_layer("act: leaky_relu 0.1")
    x = torch.randn(2, 24, 5, 6)
    torch.testing.assert_close(model(x), torch.where(x > 0, x, 0.1 * x))
    assert data["params"] == 0 and data["out_shape"] == (24, 5, 6)
    default = one_layer("leaky_relu")[1]
    assert default["args"]["negative_slope"] == 0.01  # torch's default


def test_leaky_relu_after_a_conv_may_overwrite_it():
    model, _ = one_layer("c: conv 1x1, 8; leaky_relu 0.2")
    x = torch.randn(2, 24, 5, 6)
    w = model.c.weight.flatten(1)
    torch.testing.assert_close(model(x), F.leaky_relu(torch.einsum("oc,nchw->nohw", w, x), 0.2))


def test_channel_shuffle_interleaves_the_groups():
    model, data = one_layer("channel_shuffle 3", "6x2x2")
    x = torch.arange(6.).view(1, 6, 1, 1).expand(1, 6, 2, 2)
    # 6 channels as 3 groups of 2 (01 23 45), transposed: 0 2 4 1 3 5
    assert model(x)[0, :, 0, 0].tolist() == [0, 2, 4, 1, 3, 5]
    assert data["params"] == 0


def test_channel_shuffle_needs_a_divisor():
    with pytest.raises(ResdslError) as err:
        resdsl.graph_from_text("network t {\n input 10x4x4\n channel_shuffle 4\n}", "t")
    assert err.value.code == "E401" and "divisible by 4" in err.value.message


@pytest.mark.parametrize("op", ["layernorm2d", "layernorm"])
def test_layernorm_normalises_each_pixels_channels(op):
    model, data = one_layer(f"norm: {op} eps: 1e-6")
    with torch.no_grad():
        model.norm.weight.uniform_()
        model.norm.bias.uniform_()
    x = torch.randn(2, 24, 5, 6)
    mean = x.mean(1, keepdim=True)
    var = x.var(1, unbiased=False, keepdim=True)
    want = (x - mean) / torch.sqrt(var + 1e-6) * model.norm.weight.view(-1, 1, 1) \
        + model.norm.bias.view(-1, 1, 1)
    torch.testing.assert_close(model(x), want, rtol=1e-5, atol=1e-5)
    assert data["params"] == 2 * 24
    assert [k for k in model.state_dict()] == ["norm.weight", "norm.bias"]


def test_layernorm_of_a_vector_is_torchs_layernorm():
    model, data = one_layer("norm: layernorm", before="avgpool; flatten")
    assert type(model.norm) is torch.nn.LayerNorm and data["out_shape"] == (24,)
    x = torch.randn(3, 24, 5, 6)
    torch.testing.assert_close(model(x), F.layer_norm(x.mean((2, 3)), (24,)))


def test_layernorm2d_needs_a_map():
    with pytest.raises(ResdslError, match="needs a feature map"):
        resdsl.graph_from_text("network t {\n input 3x4x4\n avgpool; flatten; layernorm2d\n}", "t")


def test_linear_applies_one_matrix_to_every_pixel():
    model, data = one_layer("fc1: linear 40")
    x = torch.randn(2, 24, 5, 6)
    w, b = model.fc1.weight, model.fc1.bias
    assert w.shape == (40, 24)  # 2-D, as nn.Linear's: a channels-last checkpoint loads as it is
    want = torch.einsum("oc,nchw->nohw", w, x) + b.view(-1, 1, 1)
    torch.testing.assert_close(model(x), want, rtol=1e-5, atol=1e-5)
    assert data["params"] == 24 * 40 + 40
    assert data["macs"] == 5 * 6 * 24 * 40
    assert data["out_shape"] == (40, 5, 6)


def flops(model, shape):
    with FlopCounterMode(display=False) as counter:
        model(torch.randn(1, *shape))
    return counter.get_total_flops()


def test_multiply_adds_of_the_new_ops_are_torchs_flop_count_halved():
    text = """network t {
        input 16x7x7
        conv 3x3, 24, bias: true;  leaky_relu 0.1;  channel_shuffle 4;  layernorm2d
        linear 48;  gelu;  linear 24, bias: false;  gamma: layer_scale 0.5;  slice 8, 20
        se 4, divisor: 8, gate: hardsigmoid;  layernorm;  avgpool;  fc 10
    }"""
    graph = resdsl.graph_from_text(text, "t")
    model = build_module(graph).eval()
    ours = sum(d["macs"] for _, d in graph.nodes(data=True))
    assert 2 * ours == flops(model, (16, 7, 7))
    assert sum(d["params"] for _, d in graph.nodes(data=True)) == \
        sum(p.numel() for p in model.parameters())


def test_layer_scale_is_a_bare_parameter_named_as_the_layer():
    # timm's ConvNeXt block keeps `gamma` of C; torchvision's `layer_scale` of C x 1 x 1
    model, data = one_layer("gamma: layer_scale 0.25")
    assert dict(model.named_parameters()).keys() == {"gamma"}
    assert model.gamma.shape == (24,) and data["params"] == 24
    x = torch.randn(2, 24, 5, 6)
    torch.testing.assert_close(model(x), 0.25 * x)
    model, _ = one_layer("layer_scale: layer_scale dims: 3")
    assert model.layer_scale.shape == (24, 1, 1)
    assert torch.all(model.layer_scale == 1e-6)


def test_layer_scale_in_a_block_sits_on_the_block_and_survives_the_python_export():
    text = """
    block cn(dim) {
        conv_dw: conv 7x7, dim, groups: dim, bias: true
        norm: layernorm eps: 1e-6
        mlp.fc1: linear 4 * dim;  mlp.act: gelu;  mlp.fc2: linear dim
        gamma: layer_scale 1e-6
        add shortcut
    }
    network t { input 8x9x9;  stage stages.0.blocks: cn(8) x 2 }"""
    graph = resdsl.graph_from_text(text, "t")
    model = build_module(graph)
    keys = list(model.state_dict())
    assert "stages.0.blocks.1.gamma" in keys and "stages.0.blocks.1.mlp.fc1.weight" in keys
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-0.5, 0.5)
    source = python_source(model, graph)
    namespace: dict = {}
    exec(compile(source, "<export>", "exec"), namespace)
    again = namespace[type(model).__name__]()
    assert again.stages[0].blocks[0].gamma.shape == (8,)
    again.load_state_dict(model.state_dict())
    x = torch.randn(2, 8, 9, 9)
    torch.testing.assert_close(again.eval()(x), model.eval()(x))


def test_layer_scale_is_spared_weight_decay_as_norms_are():
    from resdsl.train.network import parameter_groups

    model, _ = one_layer("c: conv 1x1, 8; gamma: layer_scale")
    decay, spared = parameter_groups(model, 1e-4, decay_norm_and_bias=False)
    assert [p.shape for p in decay["params"]] == [(8, 24, 1, 1)]
    assert [p.shape for p in spared["params"]] == [(8,)]


@pytest.mark.parametrize("layer, channels", [("slice 0, 10", range(0, 10)),
                                             ("slice 10", range(10, 24)),
                                             ("slice 3, 4", range(3, 4))])
def test_slice_takes_channels_at_an_offset(layer, channels):
    model, data = one_layer(layer)
    x = torch.randn(2, 24, 5, 6)
    torch.testing.assert_close(model(x), x[:, channels.start:channels.stop])
    assert data["out_shape"] == (len(channels), 5, 6)


@pytest.mark.parametrize("layer", ["slice 10, 10", "slice 5, 30", "slice 24"])
def test_a_slice_outside_the_channels_is_refused(layer):
    with pytest.raises(ResdslError) as err:
        one_layer(layer)
    assert err.value.code == "E401"


def test_se_with_a_hard_gate_and_a_rounded_width_is_torchvisions():
    # MobileNetV3's: squeeze to make_divisible(C // 4, 8), ReLU, hard sigmoid
    model, data = one_layer("se: se 4, divisor: 8, gate: hardsigmoid", "72x5x5")
    assert model.se.fc1.out_channels == 24 == make_divisible(72 // 4, 8)
    assert data["params"] == 2 * 72 * 24 + 24 + 72
    x = torch.randn(2, 72, 5, 5)
    s = F.relu(model.se.fc1(x.mean((2, 3), keepdim=True)))
    torch.testing.assert_close(model(x), x * F.hardsigmoid(model.se.fc2(s)))


def test_se_refuses_another_gate():
    with pytest.raises(ResdslError) as err:
        one_layer("se 4, gate: tanh")
    assert err.value.code == "E401"


@pytest.mark.parametrize("value, divisor, min_value, want", [
    # torchvision's MobileNetV2 at width 0.35 and 1.0, EfficientNet-B3's 1.2: independent sums
    (32 * 0.35, 8, None, 16), (16, 8, None, 16), (24 * 1.2, 8, None, 32), (40 * 1.2, 8, None, 48),
    (3, 8, None, 8), (3, 8, 2, 10),
    # halfway rounds up; a result under 90% of the value takes one more divisor
    (12, 8, None, 16), (20, 16, None, 32), (91, 8, None, 88),
])
def test_make_divisible_rounds_as_torchvision(value, divisor, min_value, want):
    assert make_divisible(value, divisor, min_value) == want


@pytest.mark.parametrize("shape", ["3x6x6", "3x13x13", "3x15x10"])
def test_adaptive_avgpool_is_torchs(shape):
    model, data = one_layer("pool: adaptive_avgpool 6x6", shape)
    x = torch.randn(2, *map(int, shape.split("x")))
    torch.testing.assert_close(model(x), F.adaptive_avg_pool2d(x, (6, 6)))
    assert data["out_shape"] == (3, 6, 6) and data["params"] == data["macs"] == 0
    assert one_layer("adaptive_avgpool 7", shape)[1]["out_shape"] == (3, 7, 7)


def test_the_new_ops_survive_the_ir_and_compile_from_it():
    import json

    from resdsl.ir.codec import dumps, load

    text = """
    block cn(dim) {
        conv_dw: conv 7x7, dim, groups: dim, bias: true;  norm: layernorm eps: 1e-6
        fc1: linear 2 * dim;  leaky_relu 0.2;  fc2: linear dim;  gamma: layer_scale 0.5, dims: 3
        add shortcut
    }
    network t {
        input 3x16x16
        stem: conv 2x2, 12, stride: 2, padding: 0;  ln: layernorm2d
        stage s: cn(12) x 1
        channel_shuffle 3;  a: slice 0, 4;  b: slice 4, from: channel_shuffle;  concat b, a
        se 3, divisor: 4, gate: hardsigmoid;  adaptive_avgpool 3x3;  fc 5
    }"""
    graph = resdsl.graph_from_text(text, "t")
    again = load(json.loads(dumps(graph)))
    assert {n: d["args"] for n, d in again.nodes(data=True)} == \
        {n: d["args"] for n, d in graph.nodes(data=True)}
    original, rebuilt = build_module(graph).eval(), build_module(again).eval()
    rebuilt.load_state_dict(original.state_dict())
    x = torch.randn(2, 3, 16, 16)
    torch.testing.assert_close(rebuilt(x), original(x))
    assert original.s[0].gamma.shape == (12, 1, 1)
