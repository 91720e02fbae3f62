"""The compiled module's containers are real modules: stages are `nn.Sequential`, blocks have a
forward of their own, so hooks, `named_children` and torch.fx leaf modules work as they do on
torchvision's ResNet (the hand-written tests/reference_models.py stands in for it)."""

import copy
import pickle
from dataclasses import replace

import networkx as nx
import torch
from torch import fx, nn

import resdsl
from resdsl.torch.backend import GeneratedModule, build_module

from . import reference_models


def structure(module: nn.Module, prefix: str = "") -> list[tuple[str, str]]:
    """A torchinfo-style walk of `named_children`: (path, kind), where a container is
    `Sequential` or `block` and a layer its class. ReLU modules are left out: torchvision's
    blocks hold one `nn.ReLU` called three times, resdsl's forward calls `torch.relu_`."""
    rows = []
    for name, child in module.named_children():
        if isinstance(child, nn.ReLU):
            continue
        path = prefix + name
        if isinstance(child, nn.Sequential):
            kind = "Sequential"
        elif list(child.children()) and not isinstance(child, nn.Sequential):
            kind = "block"
        else:
            kind = type(child).__name__
        rows.append((path, kind))
        rows += structure(child, path + ".")
    return rows


def test_named_children_walk_matches_torchvisions_resnet50():
    ours, reference = resdsl.load("resnet50"), reference_models.resnet50()
    assert structure(ours) == structure(reference)
    assert [n for n, _ in ours.named_children()] == [
        "conv1", "bn1", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]
    assert isinstance(ours.layer1[0], GeneratedModule) and type(ours.layer1[0]).__name__ == "Bottleneck"


def test_stages_index_iterate_and_count_as_sequential():
    model = resdsl.load("resnet50")
    assert len(model.layer4) == 3 and len(model.layer3) == 6
    assert model.layer4[-1] is model.get_submodule("layer4.2")
    assert [b for b in model.layer2] == [model.layer2[i] for i in range(4)]
    assert isinstance(model.layer2[0].downsample, nn.Sequential)  # torchvision's downsample too
    assert type(model.layer1[1]) is type(model.layer1[2])  # blocks of one source share a class


def test_forward_hooks_on_a_stage_and_a_block_fire_with_their_shapes():
    model = resdsl.load("resnet50").eval()
    seen = {}

    def hook(name):
        def record(module, inputs, output):
            seen[name] = (tuple(inputs[0].shape), tuple(output.shape))
        return record

    model.layer4.register_forward_hook(hook("layer4"))
    model.layer4[-1].register_forward_hook(hook("layer4[-1]"))
    model.layer2[0].register_forward_hook(hook("layer2[0]"))
    with torch.no_grad():
        model(torch.randn(1, 3, 224, 224))
    assert seen == {  # torchvision's ResNet-50 at 224x224 (paper, Table 1)
        "layer2[0]": ((1, 256, 56, 56), (1, 512, 28, 28)),
        "layer4": ((1, 1024, 14, 14), (1, 2048, 7, 7)),
        "layer4[-1]": ((1, 2048, 7, 7), (1, 2048, 7, 7)),
    }


def test_gradcam_style_full_backward_hook_on_the_last_stage():
    # Grad-CAM hooks the last stage's output and its gradient; no in-place op may touch either
    model = resdsl.load("resnet18").eval()
    kept = {}
    model.layer4.register_forward_hook(lambda m, i, o: kept.update(features=o))
    model.layer4.register_full_backward_hook(lambda m, gi, go: kept.update(grad=go[0]))
    out = model(torch.randn(1, 3, 64, 64))
    out[0, out.argmax()].backward()
    assert kept["features"].shape == kept["grad"].shape == (1, 512, 2, 2)


def test_torch_fx_keeps_blocks_as_leaf_modules():
    model = resdsl.load("resnet18").eval()

    class BlockTracer(fx.Tracer):
        def is_leaf_module(self, module, name):
            return isinstance(module, GeneratedModule) or super().is_leaf_module(module, name)

    traced = fx.GraphModule(model, BlockTracer().trace(model))
    called = [n.target for n in traced.graph.nodes if n.op == "call_module"]
    assert called == ["conv1", "bn1", "maxpool", "layer1.0", "layer1.1", "layer2.0", "layer2.1",
                      "layer3.0", "layer3.1", "layer4.0", "layer4.1", "avgpool", "fc"]
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(traced(x), model(x), rtol=0, atol=0)


def test_copies_keep_the_containers():
    model = resdsl.load("resnet18").eval()
    x = torch.randn(1, 3, 64, 64)
    for other in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert type(other.layer1[0]).code == type(model.layer1[0]).code
        assert isinstance(other.layer1, nn.Sequential)
        torch.testing.assert_close(other(x), model(x), rtol=0, atol=0)


def test_containers_come_from_node_ids_not_from_stages():
    """Any grouping of ids is a container (timm's `conv1.0`..`conv1.6`, a branch in a block): a
    group read through one value is called as one module, one whose values leave it at several
    places only holds its layers, which the forward above it calls one by one."""
    graph = resdsl.graph("resnet18")
    reference = build_module(graph).eval()
    renamed = {"conv1": "stem.0", "bn1": "stem.1", "relu": "stem.2",  # one value out: callable
               "maxpool": "mixed.pool", "layer1.0.conv1": "mixed.conv"}  # two values out: holder
    regrouped = nx.relabel_nodes(graph, renamed)
    regrouped.graph["outputs"] = [replace(o, node=renamed.get(o.node, o.node))
                                  for o in regrouped.graph["outputs"]]
    model = build_module(regrouped).eval()
    assert isinstance(model.stem, GeneratedModule)  # holds a ReLU function: not a Sequential
    assert type(model.mixed) is nn.Module and not hasattr(type(model.mixed), "code")
    assert "x = self.mixed.pool(x)" in model.code  # the network calls the holder's layers
    block = model.layer1[0]
    assert block.code.startswith("def forward(self, x, x1):")  # mixed.conv's result and the pool's
    keys = {old + rest: new + rest for old, new in renamed.items()
            for rest in (".weight", ".bias", ".running_mean", ".running_var", ".num_batches_tracked")}
    state = {keys.get(k, k): v for k, v in reference.state_dict().items()}
    model.load_state_dict(state, strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x), rtol=0, atol=0)


def test_the_module_keeps_its_graph():
    model = resdsl.load("resnet18")
    assert model.graph.nodes["layer2.0.conv1"]["out_shape"] == (128, 28, 28)


def test_a_module_draws_and_reports_from_its_graph(capsys):
    model = resdsl.load("resnet18")
    dot = resdsl.viz.diagram(model).source
    assert dot == resdsl.viz.diagram(resdsl.graph("resnet18")).source
    report = model.report()
    assert report["params"] == sum(p.numel() for p in model.parameters())
    model.summary()
    printed = capsys.readouterr().out
    assert "conv3_x" in printed and "11,689,512" in printed  # torchvision's ResNet-18 params
