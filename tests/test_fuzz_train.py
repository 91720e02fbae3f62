"""A short version of scripts/fuzz_train.py: recipes, CIFAR batches, image folders, run folders and
flags, mutated; every outcome is a success or resdsl's own diagnostic."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "fuzz_train.py"


def test_training_inputs_never_end_in_an_internal_error():
    spec = importlib.util.spec_from_file_location("fuzz_train", SCRIPT)
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    printed = []
    counts = fuzz.campaign(120, seed=1, echo=printed.append)
    assert not printed, printed[0]
    targets = {name for name, _ in counts}
    assert targets == {name for name, _, _ in fuzz.TARGETS}  # every surface was reached
    assert sum(counts.values()) == 120
