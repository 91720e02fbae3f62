"""Siblings of the bundled networks, one line each over the bundled templates, with the figures
their sources publish. Not bundled, so that compiling every bundled network stays quick; the
graph-level tests check them like the bundled ones."""

import resdsl

SIBLINGS = """
use "vgg.rdsl"
use "resnext.rdsl"
use "wide.rdsl"
use "se.rdsl"
use "densenet.rdsl"

# torchvision's published figures (params exact, GFLOPS = multiply-adds)
vgg11 = vgg([1, 1, 2, 2, 2])  expect params 132_863_336 within 0%, flops 7.61G within 1%
vgg13 = vgg([2, 2, 2, 2, 2])  expect params 133_047_848 within 0%, flops 11.31G within 1%
vgg16 = vgg([2, 2, 3, 3, 3])  expect params 138_357_544 within 0%, flops 15.47G within 1%
resnext101_32x8d = resnet(bottleneck(groups: 32, base_width: 8), [3, 4, 23, 3])  expect params 88_791_336 within 0%, flops 16.41G within 1%
wide_resnet101_2 = resnet(bottleneck(base_width: 128), [3, 4, 23, 3])  expect params 126_886_696 within 0%, flops 22.75G within 1%
densenet161 = densenet(48, [6, 12, 36, 24], init: 96)  expect params 28_681_000 within 0%, flops 7.73G within 1%
densenet169 = densenet(32, [6, 12, 32, 32])  expect params 14_149_480 within 0%, flops 3.36G within 1%
densenet201 = densenet(32, [6, 12, 48, 32])  expect params 20_013_928 within 0%, flops 4.29G within 1%

# the WRN paper's params
wrn40_4 = wrn(40, 4)  expect params 8.9M
wrn16_8 = wrn(16, 8)  expect params 11.0M

# the SE paper's params and GFLOPs (see se.rdsl for the 0.3%)
se_resnet101 = resnet(se_bottleneck, [3, 4, 23, 3])  expect params 49.33M within 0.05%, flops 7.60G within 0.5%
se_resnet152 = resnet(se_bottleneck, [3, 8, 36, 3])  expect params 66.82M within 0.05%, flops 11.32G within 0.5%
"""


def network(name: str):
    """A bundled network, or one of the siblings above."""
    try:
        return resdsl.graph(name)
    except resdsl.ResdslError:
        return resdsl.graph_from_text(SIBLINGS, name)


def sibling_names() -> list[str]:
    return [line.split(" = ")[0] for line in SIBLINGS.splitlines()
            if " = " in line and not line.startswith("#")]
