"""Shared by the torch tests: the paper's CIFAR-10 ResNets as .rdsl text, written for the tests."""

from pathlib import Path

import torch

# `pytest -n 2` runs two workers on two cores: with torch's default of one thread per core each,
# the workers' threads spin-wait on each other (measured: 1.6x the CPU time of one thread each)
torch.set_num_threads(1)

# Section 4.2: 3x3 conv with 16 filters, three stages of 2n layers on 32, 16, 8 pixels with
# 16, 32, 64 filters, option A shortcuts, global average pool, 10-way fc: 6n+2 layers.
CIFAR = """
use "blocks.rdsl"

network cifar_resnet(n, classes = 10) {
    input 3x32x32
    shortcuts A
    conv1: conv 3x3, 16;  bn1: bn;  relu
    stage layer1: basic(16) x n
    stage layer2: basic(32) x n, stride: 2
    stage layer3: basic(64) x n, stride: 2
    avgpool;  fc: fc classes
}

resnet8 = cifar_resnet(1)
resnet20 = cifar_resnet(3)
resnet110 = cifar_resnet(18)
"""


def cifar_file(folder: Path) -> Path:
    path = folder / "cifar.rdsl"
    path.write_text(CIFAR)
    return path
