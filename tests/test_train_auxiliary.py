"""Training a network with auxiliary classifiers: the loss is the main classifier's plus each
head's weighted by its weight (the source's `auxiliary ..., weight:` or the recipe's
loss.auxiliary_weight); validation reads the main output alone; resume stays bitwise."""

import copy
import json

import pytest
import torch
from safetensors.torch import load_file

import resdsl
from resdsl.train.auxiliary import attach
from resdsl.train.network import build_model
from resdsl.train.recipe import load_recipe
from resdsl.train.update import Update

from .cli import cli
from .train_support import same_weights

# GoogLeNet in small: two side classifiers on the way, each weighted 0.3 in training
SIDE = '''
block head(classes) {
    pool: adaptive_avgpool 2x2;  conv: conv 1x1, 8;  relu
    fc1: fc 16;  relu;  fc2: fc classes
}

network side(classes = 10) {
    input 1x8x8
    conv1: conv 3x3, 8;  bn1: bn;  relu
    aux1: head classes
    conv2: conv 3x3, 16, stride: 2, from: relu;  bn2: bn;  relu_2: relu
    aux2: head classes
    avgpool: avgpool from: relu_2;  fc: fc classes
    auxiliary aux1.fc2, aux2.fc2, weight: 0.3
}

network unweighted(classes = 10) {
    input 1x8x8
    conv1: conv 3x3, 8;  relu
    aux: head classes
    avgpool: avgpool from: relu;  fc: fc classes
    auxiliary aux.fc2
}

network misfit(classes = 10) {
    input 1x8x8
    conv1: conv 3x3, 8;  relu
    aux: head 7
    avgpool: avgpool from: relu;  fc: fc classes
    auxiliary aux.fc2, weight: 0.5
}
'''


def side_file(folder):
    path = folder / "side.rdsl"
    path.write_text(SIDE)
    return path


def cross_entropy(scores, labels):
    """The mean negative log-likelihood, written out (not torch's cross_entropy)."""
    shifted = scores - scores.max(1, keepdim=True).values
    log_p = shifted - shifted.exp().sum(1, keepdim=True).log()
    return -log_p[torch.arange(len(labels)), labels].mean()


def one_step(graph, overrides=None):
    """One Update on a fixed batch; the loss it reports and the loss computed by hand from a copy
    of the model as it was before the step."""
    recipe = load_recipe("digits", overrides)
    model = build_model(graph, seed=0)
    before = copy.deepcopy(model).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    update = Update(model.train(), model, optimizer, recipe, torch.autocast("cpu", enabled=False), None)
    attach(update, graph, recipe)
    generator = torch.Generator().manual_seed(1)
    x, y = torch.randn(12, 1, 8, 8, generator=generator), torch.randint(0, 10, (12,), generator=generator)
    loss, wrong = update(x, y)
    outputs = before(x)
    return loss, wrong, outputs, y


def test_a_step_minimises_the_main_loss_plus_the_weighted_heads(tmp_path, one_thread):
    graph = resdsl.graph(f"{side_file(tmp_path)}:side")
    loss, wrong, outputs, y = one_step(graph)
    assert set(outputs) == {"out", "aux1.fc2", "aux2.fc2"}  # training mode: every head, by name
    by_hand = (cross_entropy(outputs["out"], y) + 0.3 * cross_entropy(outputs["aux1.fc2"], y)
               + 0.3 * cross_entropy(outputs["aux2.fc2"], y))
    assert loss.item() == pytest.approx(by_hand.item(), rel=1e-6)
    assert wrong.item() == (outputs["out"].argmax(1) != y).sum().item()  # errors: the main output's
    # the recipe's weight replaces the source's
    loss, _, outputs, y = one_step(graph, {"loss.auxiliary_weight": 1.5})
    by_hand = (cross_entropy(outputs["out"], y) + 1.5 * cross_entropy(outputs["aux1.fc2"], y)
               + 1.5 * cross_entropy(outputs["aux2.fc2"], y))
    assert loss.item() == pytest.approx(by_hand.item(), rel=1e-6)


def test_weights_say_where_they_come_from_and_heads_must_fit():
    from resdsl.core.errors import ResdslError

    graph = resdsl.graph_from_text(SIDE, "unweighted")
    assert [o.weight for o in graph.graph["outputs"]] == [None, None]
    with pytest.raises(ResdslError) as err:
        one_step(graph)
    assert err.value.code == "E1050" and "auxiliary head aux.fc2" in err.value.message
    assert "weight: 0.3" in err.value.hint
    loss, _, outputs, y = one_step(graph, {"loss.auxiliary_weight": 0.25})
    assert loss.item() == pytest.approx((cross_entropy(outputs["out"], y)
                                         + 0.25 * cross_entropy(outputs["aux.fc2"], y)).item(), rel=1e-6)
    with pytest.raises(ResdslError) as err:
        one_step(resdsl.graph_from_text(SIDE, "misfit"))
    assert err.value.code == "E933" and "auxiliary head aux.fc2 scores 7 classes" in err.value.message


def test_bundled_heads_carry_their_published_weights():
    googlenet = resdsl.graph("googlenet").graph["outputs"]
    assert [(o.name, o.auxiliary, o.weight) for o in googlenet] == \
        [("out", False, None), ("aux1.fc2", True, 0.3), ("aux2.fc2", True, 0.3)]
    inception = resdsl.graph("inception_v3").graph["outputs"]
    assert [(o.name, o.weight) for o in inception if o.auxiliary] == [("AuxLogits.fc", 0.4)]


def test_the_command_line_trains_it_and_resume_is_bitwise(tmp_path, one_thread):
    net = side_file(tmp_path)
    flags = ["--batch-size", "16", "--eval-every", "2", "--checkpoint-every", "2", "--quiet", "--json"]
    whole = cli("train", f"{net}:side", "--out", str(tmp_path / "whole"), "--iterations", "4", *flags)
    assert whole.returncode == 0, whole.output
    summary = json.loads(whole.output)
    assert summary["finished"] and summary["final"]["val_error"] is not None
    rows = [json.loads(r) for r in (tmp_path / "whole" / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in rows if r["split"] == "val"] == [2, 4]
    resdsl.train(f"{net}:side", "digits", out=tmp_path / "cut", iterations=4, batch_size=16, eval_every=2,
                 checkpoint_every=2, stop_after=2)
    resumed = cli("train", f"{net}:side", "--out", str(tmp_path / "cut"), "--resume", *flags)
    assert resumed.returncode == 0, resumed.output
    assert same_weights(load_file(tmp_path / "whole" / "weights.safetensors"),
                        load_file(tmp_path / "cut" / "weights.safetensors"))
    again = [json.loads(r) for r in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()]
    assert [(r["split"], r["loss"]) for r in again] == [(r["split"], r["loss"]) for r in rows]


def test_a_head_without_a_weight_or_the_data_classes_is_refused_before_the_run(tmp_path):
    net = side_file(tmp_path)
    refused = cli("train", f"{net}:unweighted", "--out", str(tmp_path / "a"), "--iterations", "2")
    assert refused.returncode == 1 and "error[E1050]: network unweighted has the auxiliary head aux.fc2" \
        in refused.stderr and "--set loss.auxiliary_weight=0.3" in refused.stderr
    misfit = cli("train", f"{net}:misfit", "--out", str(tmp_path / "b"), "--iterations", "2")
    assert misfit.returncode == 1 and "auxiliary head aux.fc2 scores 7 classes, and the data has 10" \
        in misfit.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()  # nothing was started
    weighted = cli("train", f"{net}:unweighted", "--out", str(tmp_path / "c"), "--iterations", "1",
                   "--batch-size", "8", "--eval-every", "1", "--set", "loss.auxiliary_weight=0.3", "--quiet")
    assert weighted.returncode == 0, weighted.output
