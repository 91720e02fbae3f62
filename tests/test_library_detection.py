"""The detection backbone: ResNet-50 tapped at conv2_x ... conv5_x, and `with outputs` itself."""

import resdsl
from resdsl.netgraph.infer import totals

# the issue's / the paper's feature maps at 224x224: strides 4, 8, 16, 32
TAPS = {"layer1": (256, 56, 56), "layer2": (512, 28, 28), "layer3": (1024, 14, 14),
        "layer4": (2048, 7, 7)}
RESNET50_PARAMS = 25_557_032  # torchvision
FC_PARAMS = 2048 * 1000 + 1000


def test_backbone_taps_the_end_of_each_stage():
    graph = resdsl.graph("resnet50_backbone")
    assert totals(graph)["outputs"] == TAPS
    ends = {s.name: s.last for s in graph.graph["stages"]}
    assert {o.name: o.node for o in graph.graph["outputs"]} == ends


def test_backbone_drops_the_head_and_keeps_every_other_layer():
    backbone, classifier = resdsl.graph("resnet50_backbone"), resdsl.graph("resnet50")
    assert set(classifier) - set(backbone) == {"avgpool", "fc"}
    assert totals(backbone)["params"] == RESNET50_PARAMS - FC_PARAMS
    assert totals(backbone)["macs"] == totals(classifier)["macs"] - 2048 * 1000


def test_with_outputs_composes_with_other_changes_and_replaces_declared_taps():
    text = """
    block b(width, stride = 1) { conv 3x3, width, stride: stride;  add shortcut }
    network n(k = 1) {
        input 3x32x32
        stem: conv 3x3, 8 * k
        stage s1: b(8 * k) x 2
        stage s2: b(16 * k) x 2, stride: 2
        outputs s2
    }
    a = n
    m = n with k: 2, input 3x64x64, outputs stem, s1
    """
    a = resdsl.graph_from_text(text, "a")
    assert totals(a)["outputs"] == {"s2": (16, 16, 16)}
    m = resdsl.graph_from_text(text, "m")
    assert totals(m)["outputs"] == {"stem": (16, 64, 64), "s1": (16, 64, 64)}
    assert not [n for n in m if n.startswith("s2.")]
    assert [s.name for s in m.graph["stages"]] == ["s1"]
