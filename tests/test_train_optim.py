"""LAMB against a hand recurrence, layer-wise learning-rate decay on the parameter groups, and
the plateau schedule against torch's ReduceLROnPlateau."""

import json
import math

import pytest
import torch
from safetensors.torch import load_file

import resdsl
from resdsl.train.network import build_model, graph_for
from resdsl.train.optim_lamb import Lamb
from resdsl.train.optim_layers import LayerDecayError, layer_ids
from resdsl.train.recipe import load_recipe
from resdsl.train.schedule import Schedule
from resdsl.train.update import make_optimizer

from .train_support import TINY, tiny_file

FAST = dict(iterations=12, batch_size=16, eval_every=6, checkpoint_every=6)


def hand_lamb(w, grads, lr, b1, b2, eps, wd):
    """The paper's Algorithm 2 on one tensor, in plain floats."""
    w, m, v = list(w), [0.0] * len(w), [0.0] * len(w)
    for t, g in enumerate(grads, start=1):
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
        r = [(mi / (1 - b1 ** t)) / (math.sqrt(vi / (1 - b2 ** t)) + eps) for mi, vi in zip(m, v)]
        u = [ri + wd * wi for ri, wi in zip(r, w)]
        w_norm, u_norm = math.sqrt(sum(x * x for x in w)), math.sqrt(sum(x * x for x in u))
        trust = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
        w = [wi - lr * trust * ui for wi, ui in zip(w, u)]
    return w


@pytest.mark.parametrize("start, wd", [([0.5, -1.0, 2.0], 0.1), ([0.0, 0.0, 0.0], 0.0)])
def test_lamb_is_the_papers_recurrence(start, wd):
    grads = [[0.3, -0.2, 0.1], [-0.5, 0.4, 0.0], [0.2, 0.2, -0.7], [1.0, -1.0, 0.5]]
    p = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    opt = Lamb([p], lr=0.01, betas=(0.9, 0.99), eps=1e-6, weight_decay=wd)
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    assert p.detach().tolist() == pytest.approx(hand_lamb(start, grads, 0.01, 0.9, 0.99, 1e-6, wd), rel=1e-12)


def tiny_model(tmp_path):
    graph = graph_for(f"{tiny_file(tmp_path)}:tiny", None)
    return build_model(graph, 0)


def test_layer_decay_scales_each_stage_by_its_depth_from_the_head(tmp_path):
    model = tiny_model(tmp_path)
    recipe = load_recipe("digits", {"optimizer.layer_decay": 0.5, "optimizer.decay_norm_and_bias": False})
    opt = make_optimizer(model, recipe)
    plain = make_optimizer(model, load_recipe("digits", {"optimizer.decay_norm_and_bias": False}))
    decay_of = {id(p): g["weight_decay"] for g in plain.param_groups for p in g["params"]}
    assert sorted(set(decay_of.values())) == [0.0, 1e-4]
    names = {id(p): n for n, p in model.named_parameters()}
    # two stages: the stem (conv1, bn1) is 3 below the head, layer1 2, layer2 1, fc the head
    expected = {"conv1": 0.125, "bn1": 0.125, "layer1": 0.25, "layer2": 0.5, "fc": 1.0}
    seen = set()
    for group in opt.param_groups:
        for p in group["params"]:
            name = names[id(p)]
            assert group["lr_scale"] == expected[name.split(".")[0]], name
            assert group["weight_decay"] == decay_of[id(p)], name  # weight decay's grouping kept
            seen.add(name)
    assert seen == set(names.values())


def test_the_run_sets_each_groups_rate_to_the_schedules_times_its_scale(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    opts = dict(optimizer__kind="lamb", lr=0.004, optimizer__layer_decay=0.5, **FAST)
    whole = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "whole", **opts)
    record = json.loads((tmp_path / "whole" / "checkpoint.json").read_text())
    rate = whole["history"][-2]["lr"] if whole["history"][-1]["split"] != "train" else whole["history"][-1]["lr"]
    assert sorted({g["lr"] / g["lr_scale"] for g in record["param_groups"]}) == pytest.approx([rate])
    assert sorted({g["lr_scale"] for g in record["param_groups"]}) == [0.125, 0.25, 0.5, 1.0]
    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "cut", stop_after=6, **opts)
    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "cut", resume=True, **opts)
    a, b = load_file(tmp_path / "whole" / "weights.safetensors"), load_file(tmp_path / "cut" / "weights.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_layer_decay_needs_stages(tmp_path):
    graph = graph_for(f"{tiny_file(tmp_path)}:nobn", None)
    with pytest.raises(LayerDecayError, match="has no stages") as caught:
        layer_ids(graph)
    where = [n for n, line in enumerate(TINY.splitlines(), 1) if line.startswith("network nobn")]
    assert caught.value.code == "E1110" and [caught.value.span.line] == where


def test_plateau_is_torchs_reduce_lr_on_plateau():
    # schedule.patience counts the validations without a new best up to and including the drop:
    # torch's patience is the ones it tolerates, one fewer; the best must improve by 1e-4 (absolute)
    errors = [0.5, 0.49, 0.49, 0.495, 0.48995, 0.49, 0.6, 0.3, 0.31, 0.32, 0.33, 0.3, 0.31, 0.29, 0.29, 0.3]
    for patience in (1, 2, 3):
        s = Schedule.from_recipe(load_recipe("imagenet", {"schedule.patience": patience}), per_epoch=10)
        param = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([param], lr=0.1)
        ref = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.1, patience=patience - 1,
                                                         threshold=1e-4, threshold_mode="abs")
        ours, theirs = [], []
        for e in errors:
            s.after_validation(e)
            ref.step(e)
            ours.append(s.rate(0))
            theirs.append(opt.param_groups[0]["lr"])
        assert ours == pytest.approx(theirs, rel=1e-12), patience
        assert len(set(ours)) > 1  # it dropped


def test_the_rsb_a3_recipe_is_table_1s_a3_column():
    # Wightman et al. 2021, Table 1, A3: LAMB 8e-3, batch 2048, 100 epochs, cosine, 5 warm-up
    # epochs, wd 0.02, BCE with target threshold 0.2, RandAugment 6/0.5, mixup 0.1, CutMix 1.0, 160 px
    r = load_recipe("imagenet-rsb-a3")
    assert (r["optimizer.kind"], r["optimizer.lr"], r["optimizer.weight_decay"]) == ("lamb", 8e-3, 0.02)
    assert r["batch.size"] == 2048 and r["stop"] == {"epochs": 100} and r["schedule.kind"] == "cosine"
    assert r["schedule.warmup.iterations"] == 5 * (1281167 // 2048)
    assert (r["loss.kind"], r["loss.bce_threshold"], r["loss.label_smoothing"]) == ("bce", 0.2, 0.0)
    assert (r["augment.randaugment.magnitude"], r["augment.randaugment.magnitude_std"]) == (6, 0.5)
    assert (r["augment.mixup"], r["augment.cutmix"], r["augment.erasing"], r["ema.decay"]) == (0.1, 1.0, 0, 0)
    assert r["augment.crop"] == 160 and r["augment.flip"] and r["schedule.min_lr"] == 1e-6  # timm's min_lr


def test_cosine_with_a_floor_is_torchs_eta_min():
    stop = 200
    s = Schedule.from_recipe(load_recipe("digits", {"schedule.kind": "cosine", "schedule.min_lr": 1e-3,
                                                    "stop": {"iterations": stop}}), per_epoch=23)
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=0.1)
    ref = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=stop, eta_min=1e-3)
    expected = []
    for _ in range(stop):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        ref.step()
    assert [s.rate(i) for i in range(stop)] == pytest.approx(expected, rel=1e-9)
    assert s.rate(stop) == pytest.approx(1e-3)
