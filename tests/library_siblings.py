"""Siblings of the bundled networks, one line each over the bundled templates, with the figures
their sources publish. Not bundled, so that compiling every bundled network stays quick; the
graph-level tests check them like the bundled ones."""

import resdsl

SIBLINGS = """
use "wide.rdsl"
use "se.rdsl"

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
