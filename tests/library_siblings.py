"""Siblings of the bundled networks, one line each over the bundled templates, with the figures
their sources publish. Not bundled, so that compiling every bundled network stays quick; the
graph-level tests check them like the bundled ones."""

import resdsl

SIBLINGS = """
use "vgg.rdsl"
use "wide.rdsl"
use "se.rdsl"

# torchvision's published figures (params exact, GFLOPS = multiply-adds)
vgg11 = vgg([1, 1, 2, 2, 2])  expect params 132_863_336 within 0%, flops 7.61G within 1%
vgg13 = vgg([2, 2, 2, 2, 2])  expect params 133_047_848 within 0%, flops 11.31G within 1%
vgg16 = vgg([2, 2, 3, 3, 3])  expect params 138_357_544 within 0%, flops 15.47G within 1%

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
