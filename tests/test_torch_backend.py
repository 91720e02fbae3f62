"""The torch backend: shapes, names and outputs against the graph and the hand-written references."""

import copy
import math
import pickle
import re

import networkx as nx
import pytest
import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp

import resdsl
from resdsl.language.library import bundled_index
from resdsl.netgraph.builder import layer_nodes
from resdsl.netgraph.infer import totals
from resdsl.torch.backend import build_module
from resdsl.torch.export import python_source

from . import reference_models
from .torch_support import cifar_file

TORCHVISION_LAYOUT = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


@pytest.fixture(scope="module")
def cifar(tmp_path_factory):
    return cifar_file(tmp_path_factory.mktemp("cifar"))


def copied(compiled, reference):
    """The reference's weights in the compiled module; strict, so the keys must match exactly."""
    compiled.load_state_dict(reference.state_dict(), strict=True)
    return compiled


# -- shapes: every bundled architecture ------------------------------------------------------

class _LayerTracer(fx.Tracer):
    """fx tracing that stops at each layer of the graph (a module registered under a node id)."""

    def __init__(self, graph):
        super().__init__()
        self.layers = set(graph)

    def is_leaf_module(self, module, qualified_name):
        return qualified_name in self.layers or super().is_leaf_module(module, qualified_name)


def traced_layers(module, graph):
    """The generated forward, traced by torch.fx: one fx node per graph node, in the order the
    forward computes them (the flatten before an fc aside)."""
    traced = fx.GraphModule(module, _LayerTracer(graph).trace(module))
    computed = [n for n in traced.graph.nodes
                if n.op in ("call_module", "call_function") and n.target is not torch.flatten]
    return traced, computed


@pytest.mark.parametrize("name", sorted(bundled_index()))
def test_every_node_produces_the_shape_the_graph_inferred(name):
    """Networks over 10G multiply-adds run on the meta device: the same shapes and counts,
    without the minute a CPU spends initialising and running RegNetY-128GF's 645M weights."""
    graph = resdsl.graph(name)
    # auxiliary heads run only in training: train mode computes every node (batch 2 for its BN)
    auxiliary = any(output.auxiliary for output in graph.graph["outputs"])
    batch = 2 if auxiliary else 1  # batch 1 keeps the ImageNet networks cheap
    with torch.device("meta" if totals(graph)["macs"] > 10e9 else "cpu"):
        module = build_module(graph).train(auxiliary)
        x = torch.randn(batch, *graph.graph["input"])
    traced, computed = traced_layers(module, graph)
    with torch.no_grad():
        out = ShapeProp(traced).propagate(x)  # runs the forward, noting each node's result
    layers = [n for n in layer_nodes(graph) if graph.nodes[n]["op"] != "input"]
    assert len(computed) == len(layers)
    for fx_node, node in zip(computed, layers):
        if fx_node.op == "call_module":  # the pairing is right: modules carry their node's name
            assert fx_node.target == node
        produced = tuple(fx_node.meta["tensor_meta"].shape)
        assert produced == (batch, *graph.nodes[node]["out_shape"]), node
    expected = totals(graph)["outputs"]
    if len(expected) == 1:
        assert tuple(out.shape) == (1, *next(iter(expected.values())))
    else:
        assert {k: tuple(v.shape[1:]) for k, v in out.items()} == expected
    assert sum(p.numel() for p in module.parameters()) == totals(graph)["params"]
    # and the .py export can rebuild it: same names, same shapes
    namespace = {}
    exec(compile(python_source(module, graph), f"{name}.py", "exec"), namespace)
    rebuilt = namespace[type(module).__name__]().state_dict()
    assert {k: v.shape for k, v in rebuilt.items()} == {k: v.shape for k, v in module.state_dict().items()}


# -- names: torchvision's state_dict ---------------------------------------------------------

@pytest.mark.parametrize("name", TORCHVISION_LAYOUT)
def test_state_dict_keys_and_shapes_are_torchvisions(name):
    compiled = resdsl.load(name).state_dict()
    reference = getattr(reference_models, name)().state_dict()
    assert list(compiled) == list(reference)  # same keys, in the same order
    assert {k: v.shape for k, v in compiled.items()} == {k: v.shape for k, v in reference.items()}


def test_print_reads_like_hand_written_code():
    text = repr(resdsl.load("resnet18"))
    assert text.startswith("Resnet18(\n  (conv1): Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2)")
    assert "(downsample): Sequential(\n        (0): Conv2d(64, 128, kernel_size=(1, 1), stride=(2, 2)" in text


def generated_code(module):
    """The network's forward and each generated block's, once per class."""
    return "".join(dict.fromkeys(type(m).code for m in module.modules() if hasattr(type(m), "code")))


def test_forward_is_straight_line_code():
    model = resdsl.load("resnet18")
    code = generated_code(model)
    assert "for " not in code and "while " not in code and " if " not in code
    assert "x = self.layer1(x)" in model.code and "x = self.fc(torch.flatten(x, 1))" in model.code
    block = model.layer2[0].code  # a block's own forward, called by its stage
    assert "x1 = self.conv1(x)" in block and "x = self.downsample(x)" in block
    assert "x = x1 + x  # add" in block
    # tensors live in reused variables, so none outlives its last reader: a block's input and
    # its branch (the projection shortcut reads the input last), not one variable per layer
    assert set(re.findall(r"^    (\w+) = ", code, re.M)) == {"x", "x1"}


def test_torch_fx_traces_the_compiled_module():
    module = resdsl.load("resnet18").eval()
    traced = fx.symbolic_trace(module)
    targets = [n.target for n in traced.graph.nodes if n.op == "call_module"]
    assert targets[:5] == ["conv1", "bn1", "maxpool", "layer1.0.conv1", "layer1.0.bn1"]
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(traced(x), module(x), rtol=0, atol=0)


# -- equivalence with the hand-written references --------------------------------------------

EQUIVALENCE = [
    ("resnet18", lambda: reference_models.resnet18(), True),
    ("resnet18", lambda: reference_models.resnet18(), False),
    ("resnet50", lambda: reference_models.resnet50(), True),
    ("resnet50", lambda: reference_models.resnet50(), False),
    ("resnet50_v1", lambda: reference_models.resnet50(stride_on_3x3=False), False),  # the paper's
]


@pytest.mark.parametrize("name,reference,train", EQUIVALENCE,
                         ids=[f"{n}-{'train' if t else 'eval'}" for n, _, t in EQUIVALENCE])
def test_outputs_equal_the_reference(name, reference, train):
    torch.manual_seed(0)
    reference = reference().train(train)
    compiled = copied(resdsl.load(name), reference).train(train)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected, got = reference(x), compiled(x)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)
    if train:  # the batch statistics went into the same running averages
        torch.testing.assert_close(compiled.state_dict(), reference.state_dict(), rtol=0, atol=1e-6)


def test_cifar_option_a_equals_the_reference_outputs_and_gradients(cifar):
    torch.manual_seed(0)
    reference = reference_models.CifarResNet(3)
    compiled = copied(resdsl.load(cifar, "resnet20"), reference)
    x = torch.randn(8, 3, 32, 32)
    for model in (reference, compiled):
        model(x).logsumexp(1).sum().backward()
    torch.testing.assert_close(compiled(x), reference(x), rtol=0, atol=1e-5)
    grads = {n: p.grad for n, p in reference.named_parameters()}
    for name, param in compiled.named_parameters():
        torch.testing.assert_close(param.grad, grads[name], rtol=1e-4, atol=1e-5)


def test_option_a_shortcuts_have_no_parameters_or_buffers(cifar):
    module = resdsl.load(cifar, "resnet20")
    pads = [m for n, m in module.named_modules() if n.endswith(".shortcut")]
    assert len(pads) == 2  # conv3_1 and conv4_1 widen
    assert all(not list(m.parameters()) and not list(m.buffers()) for m in pads)
    assert sum(p.numel() for p in module.parameters()) == totals(resdsl.graph(cifar, "resnet20"))["params"]


# -- initialization --------------------------------------------------------------------------

def test_he_initialization():
    torch.manual_seed(0)
    module = resdsl.load("resnet50")
    conv = module.get_submodule("layer4.0.conv2")  # 512 x 512 x 3 x 3: 2.4M samples
    fan_out = conv.out_channels * math.prod(conv.kernel_size)
    assert conv.weight.mean().abs() < 1e-3
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / fan_out), rel=0.01)
    for name, m in module.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            assert torch.equal(m.weight, torch.ones_like(m.weight)), name
            assert torch.equal(m.bias, torch.zeros_like(m.bias)), name
    bound = 1 / math.sqrt(2048)  # torch's default for the fc, as torchvision keeps it
    assert module.fc.weight.abs().max() <= bound and module.fc.weight.std() > bound / 2


@pytest.mark.parametrize("name,depths,last", [("resnet18", (2, 2, 2, 2), "bn2"),
                                               ("resnet50", (3, 4, 6, 3), "bn3")])
def test_zero_init_residual_zeroes_the_last_bn_of_every_branch(name, depths, last):
    module = resdsl.load(name, zero_init_residual=True)
    zeroed = {n for n, m in module.named_modules()
              if isinstance(m, nn.BatchNorm2d) and not m.weight.any()}
    # Table 1's blocks per stage; the shortcut's BN (downsample.1) keeps its scale of 1
    assert zeroed == {f"layer{stage}.{block}.{last}" for stage, depth in enumerate(depths, start=1)
                      for block in range(depth)}


def test_zero_init_residual_makes_every_block_start_as_its_shortcut(cifar):
    module = resdsl.load(cifar, "resnet20", zero_init_residual=True).eval()
    x = torch.randn(2, 3, 32, 32)
    stem = torch.relu(module.bn1(module.conv1(x)))
    # each identity block gives relu(0 + x) = x (x >= 0 after a ReLU); option A pads and subsamples
    features = module.get_submodule("layer3.0.shortcut")(module.get_submodule("layer2.0.shortcut")(stem))
    torch.testing.assert_close(module(x), module.fc(torch.flatten(module.avgpool(features), 1)))


# -- outputs ---------------------------------------------------------------------------------

def test_stage_taps_return_a_dict(cifar):
    text = cifar.read_text().replace("avgpool;  fc: fc classes", "outputs bn1, layer2, layer3")
    tapped = cifar.with_name("tapped.rdsl")
    tapped.write_text(text)
    module = resdsl.load(tapped, "resnet8").eval()
    out = module(torch.randn(2, 3, 32, 32))
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "bn1": (2, 16, 32, 32), "layer2": (2, 32, 16, 16), "layer3": (2, 64, 8, 8)}
    # the ReLU after a returned tensor must not overwrite it
    assert (out["bn1"] < 0).any()
    assert "    x1 = torch.relu(x)  # relu\n" in module.code  # x, bn1's result, is returned


def test_relus_run_in_place_only_where_nothing_else_reads_their_input(cifar):
    module = resdsl.load(cifar, "resnet8")
    # each ReLU follows a BN or an add that nothing else reads (counted per block instance)
    code = module.code + "".join(block.code for stage in ("layer1", "layer2", "layer3")
                                 for block in module.get_submodule(stage))
    assert code.count("torch.relu_(") == 7 and "torch.relu(" not in code


# -- works with the rest of torch ------------------------------------------------------------

def test_deepcopy_and_pickle_keep_weights_and_outputs(cifar):
    module = resdsl.load(cifar, "resnet8").eval()
    x = torch.randn(2, 3, 32, 32)
    for other in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert list(other.state_dict()) == list(module.state_dict())
        torch.testing.assert_close(other(x), module(x), rtol=0, atol=0)


def test_channels_last_and_autocast(cifar):
    module = resdsl.load(cifar, "resnet8").eval()
    x = torch.randn(2, 3, 32, 32)
    expected = module(x)
    last = copy.deepcopy(module).to(memory_format=torch.channels_last)
    torch.testing.assert_close(last(x.to(memory_format=torch.channels_last)), expected,
                               rtol=1e-4, atol=1e-4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = module(x)
    assert low.dtype == torch.bfloat16
    torch.testing.assert_close(low.float(), expected, rtol=0.05, atol=0.05)


TINY = """
use "blocks.rdsl"

network tiny {
    input 3x16x16
    shortcuts A
    conv1: conv 3x3, 8;  bn1: bn;  relu
    stage layer1: basic(8) x 1
    stage layer2: basic(16) x 1, stride: 2
    avgpool;  fc: fc 10
}
"""


@pytest.mark.slow
def test_torch_compile(tmp_path):
    # inductor compiles C++ per kernel on the CPU: the smallest network with every kind of layer
    path = tmp_path / "tiny.rdsl"
    path.write_text(TINY)
    module = resdsl.load(path).eval()
    x = torch.randn(2, 3, 16, 16)
    compiled = torch.compile(module)
    torch.testing.assert_close(compiled(x), module(x), rtol=1e-4, atol=1e-4)


# -- training --------------------------------------------------------------------------------

def digits_batch(count: int, size: int):
    """scikit-learn's handwritten digits (8x8, grey), upsampled to 3 x size x size."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.tensor(digits.images[:count], dtype=torch.float32).unsqueeze(1) / 16
    images = nn.functional.interpolate(images, size=size, mode="bilinear").expand(-1, 3, -1, -1)
    return (images - 0.5) / 0.5, torch.tensor(digits.target[:count])


def test_a_few_sgd_steps_reduce_the_loss_and_reach_every_parameter(cifar):
    torch.manual_seed(0)
    x, y = digits_batch(64, 16)
    module = resdsl.load(cifar, "resnet8", input_shape=(3, 16, 16)).train()
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    losses = []
    for step in range(10):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(module(x), y)
        loss.backward()
        if step == 0:
            missing = [n for n, p in module.named_parameters() if p.grad is None or not p.grad.any()]
            assert not missing
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.75 * losses[0], losses


def test_gradients_reach_conv1_of_the_110_layer_cifar_resnet(cifar):
    torch.manual_seed(0)
    module = resdsl.load(cifar, "resnet110").train()
    assert sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in module.modules()) == 110
    x, y = digits_batch(4, 32)
    nn.functional.cross_entropy(module(x), y).backward()
    grad = module.conv1.weight.grad
    assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_tracebacks_show_the_generated_forward_while_its_class_lives(cifar):
    import gc
    import linecache
    import traceback

    module = resdsl.load(cifar, "resnet8")
    with pytest.raises(RuntimeError) as raised:
        module(torch.randn(2, 5, 32, 32))  # 5 channels where conv1 takes 3
    frames = traceback.extract_tb(raised.value.__traceback__)
    frame = next(f for f in frames if f.name == "forward" and f.filename.startswith("<resdsl"))
    assert frame.line == "x = self.conv1(x)"
    del module, raised
    gc.collect()
    assert frame.filename not in linecache.cache  # released with the class


def test_only_dotted_names_reach_the_generated_source():
    # a graph from elsewhere (the IR's schema already refuses such ids) cannot smuggle code in
    graph = resdsl.graph("resnet18")
    nx.relabel_nodes(graph, {"avgpool": 'avgpool\nimport os  # "'}, copy=False)
    with pytest.raises(ValueError, match="is not a dotted name"):
        build_module(graph)
