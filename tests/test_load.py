"""`resdsl.load`: template parameters from Python, errors in the language's terms, torch on demand."""


import pytest

import resdsl
from resdsl.core.errors import ResdslError
from resdsl.netgraph.infer import totals

from .cli import python_process
from .conftest import ROOT
from .torch_support import cifar_file


def test_importing_resdsl_does_not_import_torch():
    code = "import sys, resdsl\nassert 'torch' not in sys.modules\nassert callable(resdsl.load)"
    result = python_process(code)
    assert result.returncode == 0, result.stderr


def test_subpackages_are_reached_from_the_package_as_the_readme_writes_them():
    code = ("import sys, resdsl\n"
            "dot = resdsl.viz.diagram(resdsl.graph('resnet18'), 'stage')\n"
            "assert 'conv5_x' in dot.source\n"
            "assert resdsl.ir.read is resdsl.ir.codec.read\n"
            "assert 'torch' not in sys.modules, 'viz or ir imported torch'\n"
            "assert resdsl.torch.build_module and 'torch' in sys.modules\n")
    result = python_process(code)
    assert result.returncode == 0, result.stderr
    with pytest.raises(AttributeError, match="no attribute 'vis'"):
        resdsl.vis  # noqa: B018  (a typo is still an AttributeError)


def test_parameters_override_the_template():
    module = resdsl.load("resnet50", classes=10)
    assert (module.fc.in_features, module.fc.out_features) == (2048, 10)
    graph = resdsl.graph("resnet50", classes=10)
    # torchvision's 25,557,032 less the fc rows for 990 classes
    assert totals(graph)["params"] == 25_557_032 - 990 * (2048 + 1)
    assert graph.graph["checks"] == []  # the published figures describe the 1000-class network


def test_parameters_give_a_templates_arguments(tmp_path):
    path = cifar_file(tmp_path)
    graph = resdsl.graph(path, "cifar", n=5, classes=100)
    assert totals(graph)["depth"] == 32 and graph.nodes["fc"]["out_shape"] == (100,)
    graph = resdsl.graph(ROOT / "architectures" / "resnet.rdsl", "resnet", block="bottleneck",
                         depths=(3, 4, 6, 3))
    assert totals(graph)["params"] == 25_557_032  # torchvision's resnet50


def test_an_unknown_parameter_names_the_network_and_suggests(tmp_path):
    with pytest.raises(ResdslError) as err:
        resdsl.load("resnet50", clases=10)
    # the keyword is at fault, not the bundled line: the message lists what the network takes
    assert err.value.message == ("resnet50 (the template resnet) has no parameter 'clases'; "
                                 "its parameters: block, depths, classes")
    assert err.value.hint == "did you mean 'classes'?" and err.value.span is None
    (note, at), = err.value.notes
    assert note == "resnet50 is defined" and at.file.endswith("resnet.rdsl") and at.column == 1
    with pytest.raises(ResdslError, match="cifar has no parameter 'm'; its parameters: n, classes"):
        resdsl.graph(cifar_file(tmp_path), "cifar", m=3)


def test_parameter_values_are_checked():
    with pytest.raises(ResdslError) as err:
        resdsl.graph("resnet50", classes={"n": 10})
    assert err.value.message == "parameter 'classes' takes a number, a list or a block's name, not dict"
    with pytest.raises(ResdslError) as err:
        resdsl.graph(ROOT / "architectures" / "resnet.rdsl", "resnet", block="bottelneck", depths=[1] * 4)
    assert err.value.hint == "did you mean 'bottleneck'?"
    with pytest.raises(ResdslError, match="fc's 'out' is a whole number"):
        resdsl.graph("resnet50", classes=[10])


def test_another_input_size():
    module = resdsl.load("resnet18", input_shape=(3, 320, 320))
    graph = resdsl.graph("resnet18", input_shape=(3, 320, 320))
    assert graph.nodes["layer4.1.relu_1"]["out_shape"] == (512, 10, 10)
    assert sum(p.numel() for p in module.parameters()) == 11_689_512
