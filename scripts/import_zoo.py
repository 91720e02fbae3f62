"""Import every model of a zoo with `resdsl import` and print a table: lines, exact or not, what
could not be said. Without torchvision and timm installed, the zoo is the hand-written reference
models of tests/ (torchvision's and timm's layouts, written out); with them, their own models too.

    python scripts/import_zoo.py [--only NAME,...] [--input 3x64x64] [--zoo torchvision,timm]
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


# timm's models of the families resdsl bundles (resnet*, ResNet-D, SE/ECA/SK, Res2Net, ResNeSt,
# RegNet, DPN, CSP, DLA, GhostNet, ConvNeXt, EfficientNet, MobileNetV3), and a few neighbours
TIMM = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnet18d", "resnet26d",
        "resnet34d", "resnet50d", "resnet101d", "resnet50t", "resnetv2_50", "resnet50_gn",
        "seresnet50", "seresnext50_32x4d", "ecaresnet50d", "skresnet18", "skresnet34",
        "skresnext50_32x4d", "res2net50_26w_4s", "res2next50", "resnest14d", "resnest50d",
        "regnetx_002", "regnetx_016", "regnety_004", "regnety_016", "dpn68", "dpn92",
        "cspresnet50", "cspresnext50", "dla34", "dla46_c", "ghostnet_100", "convnext_atto",
        "convnext_nano", "convnext_tiny", "efficientnet_b0", "efficientnet_b3",
        "tf_efficientnet_b0", "mobilenetv3_large_100", "mobilenetv3_small_100", "mobilenetv2_100",
        "densenet121", "inception_v3", "inception_resnet_v2")
# torchvision's classification models that are no CNNs
TRANSFORMERS = ("vit_", "swin_", "maxvit_")
# the input some models need (the rest run at --input): the smallest they take, or the one at
# which their adaptive pool (AlexNet's to 6x6, VGG's to 7x7) is the identity (the Caffe ResNet
# pools with a fixed 7x7)
SIZES = {"inception_v3": 299, "inception_resnet_v2": 299, "alexnet": 224, "caffe_resnet50": 224,
         **{f"vgg{d}{bn}": 224 for d in (11, 13, 16, 19) for bn in ("", "_bn")}}


def installed_zoo(which: set[str]) -> dict:
    zoo = {}
    if "torchvision" in which and importlib.util.find_spec("torchvision"):
        import torchvision.models as tv

        for name in tv.list_models(module=tv):
            if name.startswith(TRANSFORMERS):  # the classification CNNs only
                continue
            zoo[f"torchvision:{name}"] = lambda n=name: tv.get_model(n, weights=None)
    if "timm" in which and importlib.util.find_spec("timm"):
        import timm

        for name in TIMM:
            zoo[f"timm:{name}"] = lambda n=name: timm.create_model(n, pretrained=False)
    return zoo


def input_shape(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    model = name.split(":")[-1]
    return (3, SIZES[model], SIZES[model]) if model in SIZES else default


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated names")
    parser.add_argument("--input", default="3x64x64", help="the example input, CxHxW")
    parser.add_argument("--zoo", default="references,torchvision,timm",
                        help="which zoos: references, torchvision, timm (comma-separated)")
    args = parser.parse_args()
    shape = tuple(int(d) for d in args.input.split("x"))
    which = set(args.zoo.split(","))
    zoo = {**(references() if "references" in which else {}), **installed_zoo(which)}
    if args.only:
        zoo = {k: v for k, v in zoo.items() if k in args.only.split(",")}
    print(f"{'model':28} {'lines':>5} {'exact':>5} {'seconds':>7}  what could not be said")
    for name, make in zoo.items():
        torch.manual_seed(0)
        start = time.perf_counter()
        try:
            example = torch.randn(1, *input_shape(name, shape))
            text = from_module(make().eval(), example, name=name.replace(":", "_"))
            row = (text.count("\n"), "yes", "")
        except ResdslError as err:
            row = ("-", "no", " | ".join(e.message for e in err.errors)[:150])
        except Exception as err:  # the model itself fails: say so and go on
            row = ("-", "no", f"{type(err).__name__}: {str(err).splitlines()[0][:120]}")
        print(f"{name:28} {row[0]:>5} {row[1]:>5} {time.perf_counter() - start:7.1f}  {row[2]}",
              flush=True)


if __name__ == "__main__":
    main()
