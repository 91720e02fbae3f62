"""Shared by the torch tests: one torch thread per worker, and the CIFAR-10 ResNets as a file."""

from pathlib import Path

import torch

from resdsl.core.resources import architectures_dir

# `pytest -n 2` runs two workers on two cores: with torch's default of one thread per core each,
# the workers' threads spin-wait on each other (measured: 1.6x the CPU time of one thread each)
torch.set_num_threads(1)

# The bundled CIFAR-10 template (sec. 4.2: 6n+2 layers, option A shortcuts), with the smallest
# member, n = 1, that the tests build quickly.
CIFAR = (architectures_dir() / "cifar.rdsl").read_text() + "\nresnet8 = cifar(1)\n"


def cifar_file(folder: Path) -> Path:
    path = folder / "cifar.rdsl"
    path.write_text(CIFAR)
    return path
