"""Figure 7's layer responses: chosen from the graph, measured against hooks on a hand-written
reference network (the oracle may use hooks; resdsl does not)."""

import pytest
import torch

from resdsl.api import graph, graph_from_text
from resdsl.experiments.responses import response_module, response_stds
from resdsl.experiments.taps import response_nodes, with_outputs
from resdsl.netgraph.meta import Output
from resdsl.torch.backend import build_module

from .reference_models import CifarResNet
from .torch_support import CIFAR


@pytest.mark.parametrize("name", ["resnet20", "plain20", "resnet56"])
def test_every_3x3_layer_of_a_cifar_net_gives_its_bn(name):
    # 6n+2 weighted layers: the first conv and 6n in the stages are 3x3, the fc is not
    depth = int(name[-2:])
    nodes = response_nodes(graph(name))
    assert len(nodes) == depth - 1
    assert nodes[:3] == ["bn1", "layer1.0.bn1", "layer1.0.bn2"]
    assert nodes[-1] == f"layer3.{(depth - 2) // 6 - 1}.bn2"


def test_bottleneck_nets_give_their_middle_convs_only():
    nodes = response_nodes(graph("resnet50"))
    assert len(nodes) == 3 + 4 + 6 + 3  # one 3x3 per block; the 7x7 stem is not a 3x3 layer
    assert nodes[0] == "layer1.0.bn2"


def test_a_3x3_conv_without_bn_is_its_own_response():
    text = "network n {\n    input 3x8x8\n    c1: conv 3x3, 4;  relu\n    c2: conv 3x3, 4;  bn2: bn\n" \
           "    avgpool;  fc: fc 2\n}\n"
    assert response_nodes(graph_from_text(text)) == ["c1", "bn2"]


def test_taps_keep_only_what_the_outputs_need():
    full = graph("resnet20")
    taps = with_outputs(full, ["layer1.0.bn1"])
    assert set(taps) == {"input", "conv1", "bn1", "relu", "layer1.0.conv1", "layer1.0.bn1"}
    assert taps.graph["outputs"] == [Output(name="layer1.0.bn1", node="layer1.0.bn1")]
    assert full.graph["outputs"][0].node == "fc"  # the original is untouched


def test_response_stds_equal_hooks_on_a_reference_network():
    torch.manual_seed(0)
    reference = CifarResNet(1)
    with torch.no_grad():  # BN parameters and statistics of their own, as after training
        for module in reference.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.2, 2.0)
                module.bias.uniform_(-0.5, 0.5)
                module.running_mean.uniform_(-0.3, 0.3)
                module.running_var.uniform_(0.5, 2.0)
    reference.eval()
    ours_graph = graph_from_text(CIFAR, "resnet8")
    model = build_module(ours_graph)
    model.load_state_dict(reference.state_dict())

    bns = ["bn1", "layer1.0.bn1", "layer1.0.bn2", "layer2.0.bn1", "layer2.0.bn2",
           "layer3.0.bn1", "layer3.0.bn2"]
    seen = {name: [] for name in bns}
    for name in bns:
        reference.get_submodule(name).register_forward_hook(
            lambda module, args, out, name=name: seen[name].append(out.detach().clone()))
    batches = [torch.randn(5, 3, 32, 32), torch.randn(3, 3, 32, 32)]
    with torch.no_grad():
        for batch in batches:
            reference(batch)
    expected = {name: torch.cat(seen[name]).double().std(correction=0).item() for name in bns}

    stds = response_stds(ours_graph, model, batches)
    assert list(stds) == bns  # in layer order
    assert stds == pytest.approx(expected, rel=1e-5)


def test_response_module_returns_a_dict_even_for_one_layer():
    text = "network n {\n    input 3x8x8\n    c1: conv 3x3, 4;  b1: bn;  relu\n    avgpool;  fc: fc 2\n}\n"
    g = graph_from_text(text)
    taps, nodes = response_module(g, build_module(g))
    assert nodes == ["b1"]
    assert taps(torch.randn(2, 3, 8, 8))["b1"].shape == (2, 4, 8, 8)
