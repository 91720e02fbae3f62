"""The learning-rate schedule against the paper's numbers, worked out by hand."""

from resdsl.train.recipe import load_recipe
from resdsl.train.schedule import Schedule


def test_cifar10_steps_at_32k_and_48k_and_stops_at_64k():
    s = Schedule.from_recipe(load_recipe("cifar10"), per_epoch=351)  # 45,000 // 128
    assert s.stop == 64000
    assert [s.rate(i) for i in (0, 31999, 32000, 47999, 48000, 63999)] == \
        [0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 * 0.1, 0.1 * 0.1 * 0.1]


def test_milestones_and_stop_in_epochs_become_iterations():
    s = Schedule.from_recipe(load_recipe("digits"), per_epoch=23)  # 1,500 // 64
    assert s.milestones == [230, 299] and s.stop == 345


def test_resnet110_warmup_holds_0_01_until_training_error_is_below_80_percent():
    s = Schedule.from_recipe(load_recipe("cifar10-warmup"), per_epoch=351)
    assert s.rate(0) == 0.01
    for i in range(50):  # training error stays at 90%: still warming up
        s.after_iteration(i, 0.9)
    assert s.rate(50) == 0.01
    for i in range(50, 100):  # then 70%: the moving average crosses 80% and the rate is 0.1
        s.after_iteration(i, 0.7)
    assert s.state["warmup_done"] and s.rate(100) == 0.1


def test_plateau_divides_after_patience_validations_without_a_new_best():
    s = Schedule.from_recipe(load_recipe("imagenet"), per_epoch=5000)
    s.after_validation(0.5)
    for _ in range(4):
        s.after_validation(0.5)
    assert s.rate(0) == 0.1
    s.after_validation(0.51)  # the fifth without improvement
    assert s.rate(0) == 0.1 * 0.1
    s.after_validation(0.4)   # a new best resets the count
    assert s.state["bad"] == 0
