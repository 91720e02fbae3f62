"""Import every model of a zoo with `resdsl import` and print a table: lines, exact or not, what
could not be said. Without torchvision and timm installed, the zoo is the hand-written reference
models of tests/ (torchvision's and timm's layouts, written out); with them, their own models too.

    python scripts/import_zoo.py [--only NAME,...] [--input 3x64x64]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resdsl.core.errors import ResdslError  # noqa: E402
from resdsl.importer import from_module  # noqa: E402


def references() -> dict:
    from tests import reference_models as rm, reference_zoo as rz

    zoo = {f"resnet{d}": getattr(rm, f"resnet{d}") for d in (18, 34, 50, 101, 152)}
    zoo["cifar_resnet20"] = lambda: rm.CifarResNet(3)
    for name in ("resnet18d", "resnet50d", "resnet50t", "ecaresnet50d", "seresnext50_32x4d",
                 "resnet50_gn", "seresnet50"):
        zoo[f"timm_{name}"] = lambda n=name: rz.timm_resnet(n)
    zoo.update(skresnet18=rz.skresnet18, mobilenet_v2=rz.MobileNetV2, res2net50=rz.res2net50_26w_4s,
               resnetv2_50=rz.ResNetV2, densenet121=rz.TorchvisionDenseNet,
               efficientnet_b0=rz.EfficientNetB0, regnety_400mf=rz.RegNetY400MF,
               caffe_resnet50=rz.CaffeResNet50)
    return zoo


def installed_zoo() -> dict:
    zoo = {}
    if importlib.util.find_spec("torchvision"):
        import torchvision.models as tv

        for name in tv.list_models(module=tv):
            zoo[f"torchvision:{name}"] = lambda n=name: tv.get_model(n)
    if importlib.util.find_spec("timm"):
        import timm

        for name in ("resnet50", "resnet50d", "seresnext50_32x4d", "ecaresnet50d", "resnet50_gn",
                     "skresnet18", "res2net50_26w_4s", "resnetv2_50", "regnety_004"):
            zoo[f"timm:{name}"] = lambda n=name: timm.create_model(n)
    return zoo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated names")
    parser.add_argument("--input", default="3x64x64", help="the example input, CxHxW")
    args = parser.parse_args()
    shape = tuple(int(d) for d in args.input.split("x"))
    zoo = {**references(), **installed_zoo()}
    if args.only:
        zoo = {k: v for k, v in zoo.items() if k in args.only.split(",")}
    print(f"{'model':28} {'lines':>5} {'exact':>5} {'seconds':>7}  what could not be said")
    for name, make in zoo.items():
        torch.manual_seed(0)
        start = time.perf_counter()
        try:
            text = from_module(make().eval(), torch.randn(1, *shape), name=name.replace(":", "_"))
            row = (text.count("\n"), "yes", "")
        except ResdslError as err:
            row = ("-", "no", " | ".join(e.message for e in err.errors)[:150])
        except Exception as err:  # the model itself fails: say so and go on
            row = ("-", "no", f"{type(err).__name__}: {str(err).splitlines()[0][:120]}")
        print(f"{name:28} {row[0]:>5} {row[1]:>5} {time.perf_counter() - start:7.1f}  {row[2]}",
              flush=True)


if __name__ == "__main__":
    main()
