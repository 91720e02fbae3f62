"""The recipe options beyond the paper's (optimizer kinds, cosine/onecycle schedules, a linear
warm-up, label smoothing, gradient clipping, micro-batches, a model EMA), each against an
independent computation: torch's own schedulers, a hand formula, a hand recurrence, one big batch."""

import math

import pytest
import torch
from safetensors.torch import load_file

import resdsl
from resdsl.train.recipe import RecipeError, load_recipe
from resdsl.train.schedule import Schedule
from resdsl.train.update import Ema, Update

from .train_support import tiny_file

FAST = dict(iterations=12, batch_size=16, eval_every=6, checkpoint_every=6)


def schedule(**overrides) -> Schedule:
    recipe = load_recipe("digits", overrides)
    return Schedule.from_recipe(recipe, per_epoch=23)


def torch_rates(make, lr: float, steps: int) -> list[float]:
    """The learning rate torch's scheduler gives each of `steps` iterations."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr)
    sched = make(opt)
    rates = []
    for _ in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return rates


def test_cosine_and_onecycle_follow_torchs_schedulers():
    stop = 15 * 23  # the digits recipe's 15 epochs
    cosine = schedule(**{"schedule.kind": "cosine"})
    expected = torch_rates(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=stop), 0.1, stop)
    assert [cosine.rate(i) for i in range(stop)] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    one = schedule(**{"schedule.kind": "onecycle"})
    expected = torch_rates(lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=stop,
                                                                         cycle_momentum=False), 0.1, stop)
    assert [one.rate(i) for i in range(stop)] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_a_linear_warmup_rises_from_its_lr_to_the_recipes_then_the_schedule_goes_on():
    s = schedule(**{"schedule.kind": "cosine", "schedule.warmup.kind": "linear", "schedule.warmup.lr": 0.001,
                    "schedule.warmup.iterations": 100})
    stop = 345
    cosine = [0.1 * 0.5 * (1 + math.cos(math.pi * i / stop)) for i in range(stop)]
    assert s.rate(0) == pytest.approx(0.001)
    assert s.rate(50) == pytest.approx(0.001 + (cosine[50] - 0.001) * 0.5)
    assert [s.rate(i) for i in range(100, stop)] == pytest.approx(cosine[100:])
    assert not s.wants_train_error  # a linear warm-up never waits for the training error


def test_options_that_do_not_fit_are_refused():
    with pytest.raises(RecipeError, match="linear warm-up") as err:
        load_recipe("digits", {"schedule.warmup.kind": "linear", "schedule.warmup.lr": 0.01})
    assert err.value.code == "E1160"
    with pytest.raises(RecipeError, match="must divide") as err:
        load_recipe("digits", {"batch.accumulate": 5})
    assert err.value.code == "E1160"
    with pytest.raises(RecipeError, match="binary cross-entropy's") as err:
        load_recipe("digits", {"loss.bce_threshold": 0.2})
    assert err.value.code == "E1160"
    assert load_recipe("digits", {"optimizer.kind": "lamb"})["optimizer.kind"] == "lamb"  # built in (optim_lamb)


def tiny_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 5))


def recipe_with(**overrides):
    return load_recipe("digits", overrides)


def test_label_smoothing_loss_is_the_hand_formula():
    model, eps = tiny_model(), 0.2
    x, y = torch.randn(6, 3, 4), torch.tensor([0, 1, 2, 3, 4, 0])
    log_p = torch.log_softmax(model(x).double(), 1)
    hand = (-(1 - eps) * log_p[torch.arange(6), y] - eps / 5 * log_p.sum(1)).mean()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    loss, wrong = Update(model, model, opt, recipe_with(**{"loss.label_smoothing": eps}),
                         torch.autocast("cpu", enabled=False), None)(x, y)
    assert loss.item() == pytest.approx(hand.item(), rel=1e-6)


def test_clipping_bounds_the_update_by_the_gradient_norm():
    model = tiny_model()
    before = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    x, y = 100 * torch.randn(8, 3, 4), torch.arange(8) % 5
    Update(model, model, opt, recipe_with(**{"optimizer.clip_grad_norm": 0.5}),
           torch.autocast("cpu", enabled=False), None)(x, y)
    moved = torch.cat([(p.detach() - b).flatten() for p, b in zip(model.parameters(), before)])
    assert moved.norm().item() == pytest.approx(0.5, rel=1e-5)  # the raw gradient's norm is far above


def test_ema_weights_are_the_hand_recurrence():
    model, decay = tiny_model(), 0.9
    ema = Ema(model, decay)
    hand = None
    for _ in range(5):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p))
        ema.update(model)
        now = [p.detach().clone() for p in model.parameters()]
        hand = now if hand is None else [decay * h + (1 - decay) * w for h, w in zip(hand, now)]
    for averaged, expected in zip(ema.module.parameters(), hand):
        torch.testing.assert_close(averaged, expected, rtol=1e-6, atol=1e-7)


def test_accumulating_two_micro_batches_is_one_batch(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    whole = resdsl.train(f"{net}:nobn", "digits", out=tmp_path / "one", **FAST)
    parts = resdsl.train(f"{net}:nobn", "digits", out=tmp_path / "two", batch__accumulate=2, **FAST)
    a, b = load_file(tmp_path / "one" / "weights.safetensors"), load_file(tmp_path / "two" / "weights.safetensors")
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6)
    assert [r["loss"] for r in parts["history"] if r["split"] == "train"] == \
        pytest.approx([r["loss"] for r in whole["history"] if r["split"] == "train"], abs=1e-6)


def test_nesterov_kind_is_sgd_with_nesterov_and_adamw_trains(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    kind = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "k", optimizer__kind="nesterov", **FAST)
    flag = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "f", optimizer__nesterov=True, **FAST)
    plain = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "p", **FAST)
    losses = [[r["loss"] for r in s["history"]] for s in (kind, flag, plain)]
    assert losses[0] == losses[1] != losses[2]
    adamw = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "a", optimizer__kind="adamw", lr=0.001, **FAST)
    assert adamw["finished"] and [r["loss"] for r in adamw["history"]] != losses[2]


def test_ema_is_validated_saved_and_resumed_bitwise(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    opts = dict(ema__decay=0.9, loss__label_smoothing=0.1, optimizer__clip_grad_norm=1.0, **FAST)
    whole = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "whole", **opts)
    assert [r["iteration"] for r in whole["history"] if r["split"] == "val_ema"] == [6, 12]
    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "cut", stop_after=6, **opts)
    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "cut", resume=True, **opts)
    for name in ("weights.safetensors", "ema.safetensors"):
        a, b = load_file(tmp_path / "whole" / name), load_file(tmp_path / "cut" / name)
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), name
    raw = load_file(tmp_path / "whole" / "weights.safetensors")
    ema = load_file(tmp_path / "whole" / "ema.safetensors")
    assert ema.keys() == raw.keys() and not torch.equal(ema["fc.weight"], raw["fc.weight"])
