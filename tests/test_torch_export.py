"""`resdsl compile -o OUT`: standalone .py, .pt2, .onnx and weights, each checked by its own reader."""

import subprocess
import sys
import textwrap

import pytest
import torch
from safetensors.torch import load_file

import resdsl
from resdsl.torch import export as torch_export
from resdsl.torch.export import python_source

from . import reference_models
from .cli import cli
from .torch_support import cifar_file


@pytest.fixture
def cifar(tmp_path):
    return cifar_file(tmp_path)


def with_weights(path, network, weights):
    module = resdsl.load(path, network)
    module.load_state_dict(load_file(weights), strict=True)
    return module.eval()


def test_python_export_rebuilds_the_module_in_a_fresh_interpreter(cifar, tmp_path):
    source, weights = tmp_path / "net.py", tmp_path / "net.safetensors"
    result = cli("compile", cifar, "-n", "resnet8", "-o", source, "--save-weights", weights)
    assert result.returncode == 0, result.output
    x = torch.randn(3, 3, 32, 32)
    torch.save(x, tmp_path / "x.pt")
    script = textwrap.dedent(f"""
        import importlib.util, sys, torch
        from safetensors.torch import load_file
        spec = importlib.util.spec_from_file_location("net", {str(source)!r})
        net = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(net)
        model = net.Resnet8()
        model.load_state_dict(load_file({str(weights)!r}), strict=True)
        assert "resdsl" not in sys.modules, "the export imported resdsl"
        zeroed = net.Resnet8(zero_init_residual=True)
        assert all(not zeroed.get_submodule(n).weight.any() for n in net.Resnet8.residual_bns)
        with torch.no_grad():
            torch.save((list(model.state_dict()), model.eval()(torch.load({str(tmp_path / "x.pt")!r}))),
                       {str(tmp_path / "out.pt")!r})
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    keys, out = torch.load(tmp_path / "out.pt")
    module = with_weights(cifar, "resnet8", weights)
    assert keys == list(module.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(out, module(x), rtol=0, atol=0)


def test_python_export_of_resnet18_loads_torchvision_names():
    reference = reference_models.resnet18().eval()
    namespace = {}
    exec(compile(python_source(resdsl.load("resnet18"), resdsl.graph("resnet18")), "resnet18.py", "exec"),
         namespace)
    rebuilt = namespace["Resnet18"]()
    rebuilt.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.eval()(x), reference(x), rtol=0, atol=1e-5)


def test_pt2_loads_with_torch_export_and_takes_any_batch_and_size(cifar, tmp_path):
    program, weights = tmp_path / "net.pt2", tmp_path / "w.safetensors"
    result = cli("compile", cifar, "-n", "resnet8", "--input", "3x16x16", "-o", program, "--save-weights", weights)
    assert result.returncode == 0, result.output
    assert "input 3x16x16" in result.output
    loaded = torch.export.load(program).module()
    module = with_weights(cifar, "resnet8", weights)
    for batch, size in ((1, 16), (5, 16), (2, 32), (1, 24)):  # global pooling: any size
        x = torch.randn(batch, 3, size, size)
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), module(x), rtol=1e-5, atol=1e-5)


def test_pt2_of_a_network_whose_fc_reads_a_whole_feature_map_is_fixed_size(tmp_path):
    source = tmp_path / "fixed.rdsl"
    source.write_text("network fixed {\n    input 3x8x8\n    conv1: conv 3x3, 4;  relu\n    fc: fc 10\n}\n")
    program = tmp_path / "fixed.pt2"
    assert cli("compile", source, "-o", program).returncode == 0
    loaded = torch.export.load(program).module()
    assert loaded(torch.randn(3, 3, 8, 8)).shape == (3, 10)
    with pytest.raises(Exception):  # noqa: B017 (torch.export raises its own kinds) the fc's 4x8x8 inputs fix the size
        loaded(torch.randn(1, 3, 16, 16))


@pytest.mark.slow
def test_onnx_runs_in_onnxruntime_and_matches_torch(tmp_path):
    import onnx
    import onnxruntime

    path = tmp_path / "resnet18.onnx"
    module = resdsl.load("resnet18").eval()
    torch_export.write_onnx(module, resdsl.graph("resnet18"), path)
    onnx.checker.check_model(str(path))
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input"]
    assert [o.name for o in session.get_outputs()] == ["out"]
    x = torch.randn(3, 3, 224, 224)  # exported with batch 2: the batch is dynamic
    (got,) = session.run(None, {"input": x.numpy()})
    with torch.no_grad():
        torch.testing.assert_close(torch.from_numpy(got), module(x), rtol=0, atol=1e-4)
    assert list(tmp_path.iterdir()) == [path]  # one file, no external data beside it


def test_compile_builds_the_module_and_counts_its_parameters():
    result = cli("compile", "resnet18")
    assert result.returncode == 0, result.output
    assert "resnet18: 11,689,512 params, 1.81G multiply-adds, input 3x224x224, output 1000" in result.output
    assert "built Resnet18 (nn.Module, 11,689,512 parameters)" in result.output  # torchvision's


def test_weights_hold_the_initialized_state_dict(cifar, tmp_path):
    weights = tmp_path / "w.safetensors"
    assert cli("compile", cifar, "-n", "resnet8", "--save-weights", weights).returncode == 0
    state = load_file(weights)
    assert set(state) == set(resdsl.load(cifar, "resnet8").state_dict())  # safetensors sorts keys
    assert torch.equal(state["bn1.weight"], torch.ones(16))
    assert state["layer1.0.conv1.weight"].std() > 0


@pytest.mark.parametrize("args", [["-o", "net.txt"], ["-o", "net"], ["--save-weights", "w.pt"]])
def test_unsupported_outputs_are_usage_errors(args, tmp_path):
    result = cli("compile", "resnet18", *[a if a.startswith("-") else tmp_path / a for a in args])
    assert result.returncode == 2
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("suffix,target", [(".onnx", "torch.onnx.export"), (".pt2", "torch.export.save"),
                                           (".py", "resdsl.torch.export.python_source")])
def test_a_failed_export_leaves_no_file(suffix, target, cifar, tmp_path, monkeypatch):
    def half_written(*args, **kwargs):
        for arg in args:
            if hasattr(arg, "write"):
                arg.write(b"partial")
            elif isinstance(arg, str) and arg.endswith(".tmp"):
                open(arg, "wb").write(b"partial")
        raise RuntimeError("the exporter failed half-way")

    monkeypatch.setattr(target, half_written)
    result = cli("compile", cifar, "-n", "resnet8", "-o", tmp_path / f"net{suffix}")
    assert result.returncode == 3, result.output
    assert "internal error: RuntimeError: the exporter failed half-way" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cifar.rdsl"]


def test_an_invalid_network_is_a_diagnostic_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.rdsl"
    bad.write_text("network n {\n  input 3x8x8\n  conv 9x9, 4, padding: 0\n}\n")
    result = cli("compile", bad, "-o", tmp_path / "n.py", "--save-weights", tmp_path / "n.safetensors")
    assert result.returncode == 1
    assert "bad.rdsl:3:3" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.rdsl"]


NAMED = """
network tiny {{
    input 3x8x8
    {name}: conv 3x3, 4;  bn;  relu
    stage {stage}: basic(4) x 1
    avgpool;  fc: fc 2
}}
"""


def named_file(tmp_path, name, stage="layer1"):
    path = tmp_path / "tiny.rdsl"
    path.write_text('use "blocks.rdsl"\n' + NAMED.format(name=name, stage=stage))
    return path


@pytest.mark.parametrize("name", ["lambda", "None", "class"])
def test_layers_named_like_python_keywords_compile_and_export(tmp_path, name):
    module = resdsl.load(named_file(tmp_path, name)).eval()
    assert f"{name}.weight" in module.state_dict()
    x = torch.randn(2, 3, 8, 8)
    namespace = {}
    exec(compile(python_source(module, resdsl.graph(named_file(tmp_path, name))), "tiny.py", "exec"),
         namespace)
    rebuilt = namespace["Tiny"]().eval()
    rebuilt.load_state_dict(module.state_dict())
    torch.testing.assert_close(rebuilt(x), module(x), rtol=0, atol=0)


@pytest.mark.parametrize("name, stage, message, line", [
    ("forward", "layer1", "a layer named 'forward' cannot be compiled to PyTorch", 5),
    ("conv1", "train", "a stage named 'train' cannot be compiled to PyTorch", 6),
])
def test_names_torch_reserves_are_errors_at_the_layer(tmp_path, name, stage, message, line):
    path = named_file(tmp_path, name, stage)
    out = tmp_path / "tiny.py"
    result = cli("compile", path, "-o", out)
    assert result.returncode == 1 and not out.exists()
    assert "Traceback" not in result.output and "error[E912]" in result.output
    assert message in result.output and "help: rename it" in result.output
    # the layer or stage in the user's file, with a caret under it, said once
    assert result.output.count(f"{path}:{line}:5: error[E912]") == 1
    assert "\n   |     ^^^^" in result.output
