"""Where torchvision is installed: the bundled ResNets against torchvision's own modules.

`python bench/torchvision_check.py` builds resnet18..152 (and resnext50_32x4d, wide_resnet50_2
where bundled) with resdsl and with torchvision (no weights are downloaded), checks that the
state_dict keys and shapes are equal, loads torchvision's weights into ours with strict=True and
compares outputs in eval mode. Exit status 0 when all agree, 1 otherwise, 2 without torchvision.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    try:
        import torch
        import torchvision
    except ImportError:
        print("torchvision is not installed here: nothing to compare")
        return 2
    import resdsl
    from resdsl.language.library import bundled_index

    names = [n for n in ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
                         "resnext50_32x4d", "wide_resnet50_2") if n in bundled_index()]
    torch.manual_seed(0)
    failures = 0
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}")
    for name in names:
        theirs = getattr(torchvision.models, name)(weights=None).eval()
        ours = resdsl.load(name).eval()
        a = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
        b = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
        same_keys = a == b
        ours.load_state_dict(theirs.state_dict(), strict=True) if same_keys else None
        x = torch.randn(2, 3, 224, 224)
        with torch.no_grad():
            diff = (ours(x) - theirs(x)).abs().max().item() if same_keys else float("nan")
        params = sum(p.numel() for p in theirs.parameters())
        ok = same_keys and diff < 1e-4
        failures += not ok
        print(f"{name:18} keys/shapes {'equal' if same_keys else 'DIFFER'}  params {params:>11,}  "
              f"max |out diff| {diff:.2e}  {'PASS' if ok else 'FAIL'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
