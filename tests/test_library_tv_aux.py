"""torchvision's googlenet() and inception_v3() with their auxiliary classifiers: the whole
state_dict of the hand-written reference (tests/reference_tv_classic.py) loads strictly; the
parameters are torchvision's; torch's counter on the reference in training mode (the heads run)
counts twice our multiply-adds; training returns the logits and each head's, evaluation the
logits alone, the same as the reference's with random weights and BN statistics."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import resdsl
from resdsl.netgraph.infer import totals

from . import torch_support  # noqa: F401  (one torch thread per worker)
from .test_library_tv import reference
from .zoo_support import randomize

# torchvision's weights table for inception_v3; googlenet's 6,624,904 plus InceptionAux(512) and
# InceptionAux(528): each 128 x cin (1x1 conv) + 256 (BN) + 2048 x 1024 + 1024 + 1024 x 1000 + 1000
PUBLISHED = {"inception_v3": 27_161_264,
             "googlenet": 6_624_904 + sum(128 * cin + 256 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000
                                          for cin in (512, 528))}
HEADS = {"googlenet": ["aux1.fc2", "aux2.fc2"], "inception_v3": ["AuxLogits.fc"]}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_counts_names_and_shapes_are_torchvisions(name):
    graph = resdsl.graph(name)
    with torch.device("meta"):
        ref, compiled = reference(name).train(), resdsl.load(name).train()
        x = torch.empty(2, *graph.graph["input"])
    compiled.load_state_dict(ref.state_dict(), strict=True)
    params = sum(p.numel() for p in ref.parameters())
    assert params == totals(graph)["params"] == PUBLISHED[name]
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = ref(x)
    assert list(out) == ["out", *HEADS[name]]
    assert counter.get_total_flops() == 2 * 2 * totals(graph)["macs"]  # a batch of two
    assert list(compiled(x)) == ["out", *HEADS[name]]


# GoogLeNet's heads pool to 4x4 whatever the size; Inception's need Mixed_6e at 17x17: 299x299
@pytest.mark.parametrize(("name", "size"), [("googlenet", 64), ("inception_v3", 299)])
def test_heads_in_training_and_logits_in_evaluation_are_torchvisions(name, size):
    torch.manual_seed(0)
    compiled, ref = resdsl.load(name), reference(name)
    for module in (*compiled.modules(), *ref.modules()):
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    randomize(ref)
    compiled.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = ref.train()(x), compiled.train()(x)
        assert list(got) == list(want) == ["out", *HEADS[name]]
        for key in want:
            torch.testing.assert_close(got[key], want[key], rtol=1e-4, atol=1e-4 * want[key].abs().max().item())
        want, got = ref.eval()(x), compiled.eval()(x)
    assert isinstance(got, torch.Tensor)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4 * want.abs().max().item())
