"""bench/flops.py stays runnable: its networks resolve and its counts agree (timings live there)."""

import importlib.util

import pytest

from .conftest import ROOT

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_flops", ROOT / "bench" / "flops.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_networks_resolve(bench):
    # ResNet-1202: 6n+2 layers with n = 200; 19.4M parameters in the paper (Table 6)
    assert set(bench.NETWORKS) == {"resnet50", "resnet152", "resnet1202"}
    import resdsl
    from resdsl.netgraph.infer import totals

    figures = totals(resdsl.graph(bench.NETWORKS["resnet1202"][0]))
    assert figures["depth"] == 1202
    assert figures["params"] == pytest.approx(19.4e6, rel=0.01)


def test_bench_counts_agree_with_flop_counter(bench):
    assert bench.resdsl_count("resnet50") == bench.peer_count("FlopCounterMode", "resnet50")
