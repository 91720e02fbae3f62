"""The paper's experiments as commands: `resdsl experiment degradation | cifar-depths` and
`resdsl analyze responses` (Figure 7). Torch and training are imported inside the commands."""

from __future__ import annotations

from pathlib import Path

import click

from .common import OneValueGroup, diagnostics, format_option, output_option


def _names(_ctx, _param, value):
    if value is None:
        return None
    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        raise click.BadParameter("give networks separated by commas, e.g. plain20,resnet20")
    return names


def _seeds(_ctx, _param, value):
    if value is None:
        return None
    try:
        seeds = [int(part) for part in value.split(",")]
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a list of seeds like 0,1,2") from None
    if any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise click.BadParameter("seeds are distinct whole numbers from 0, e.g. 0,1,2")
    return seeds


def _fresh_folder(out: str | None, default: str) -> Path:
    """The folder a campaign writes: OUT, which must be new or empty (runs are not resumed into
    another campaign's folders), or the first free runs/NAME, runs/NAME-2, ..."""
    if out is not None:
        path = Path(out)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise click.UsageError(f"'{out}' already exists and is not empty: give a new -o folder")
        return path
    base = Path("runs") / default
    return next(p for p in [base, *(Path(f"{base}-{i}") for i in range(2, 10000))] if not p.exists())


@click.group(cls=OneValueGroup)
def experiment():
    """Rerun the paper's experiments: degradation (Figs. 4 and 6), CIFAR-10 depths (Table 6)."""


@experiment.command()
@click.option("--nets", callback=_names, metavar="A,B,...",
              help="Networks to train (bundled names, FILE or FILE:NAME); default "
                   "plain20,plain56,resnet20,resnet56.")
@click.option("--seeds", callback=_seeds, default="0,1", show_default=True, metavar="0,1,...",
              help="One run per network and seed.")
@click.option("--data", default="digits", show_default=True, metavar="SPEC",
              help="digits, or cifar10:PATH (a GPU is advised) or folder:PATH.")
@click.option("--recipe", metavar="NAME|FILE",
              help="Training recipe; default: the measured digits recipe, or the paper's CIFAR-10 one.")
@click.option("--iterations", type=click.IntRange(1), help="Stop each run after N iterations.")
@click.option("--jobs", type=click.IntRange(1), help="Runs at a time (one torch thread each); "
              "default: 2, or 1 on one core.")
@click.option("--device", help="cpu, cuda, cuda:1; default: a GPU if there is one.")
@click.option("--amp", type=click.Choice(["none", "bf16", "fp16"]),
              help="Autocast on a GPU (the recipe's device.amp).")
@click.option("--validation", type=click.IntRange(1), metavar="N",
              help="Training images held out for validation (the recipe's data.validation).")
@click.option("--responses/--no-responses", default=True, show_default=True,
              help="Measure Figure 7's layer responses on the trained nets.")
@output_option(type=click.Path(file_okay=False), metavar="DIR",
               help="A new folder for the runs, figures and table; default runs/degradation "
                    "(-2, -3, ... if taken).")
@diagnostics
def degradation(nets, seeds, data, recipe, iterations, jobs, device, amp, validation, responses, out):
    """Train plain nets and their residual twins; plot training and validation error like the
    paper's Figure 6 and tabulate the final errors over seeds."""
    from ..core.extras import data_needs, require
    from ..experiments import degradation as experiment

    require(f"resdsl experiment degradation --data {data}", "train", data_needs(data), "plots")
    result = experiment.run(nets or list(experiment.DEFAULT_NETS), seeds,
                            _fresh_folder(out, "degradation"), data=data,
                            recipe=recipe, iterations=iterations, workers=jobs,
                            responses=responses, device=device, echo=click.echo,
                            overrides={k: v for k, v in (("amp", amp), ("validation", validation)) if v})
    click.echo("")
    click.echo("final errors, % (running training error over the last 5% of iterations, train "
               "mode; validation error at the end; mean ± std over seeds, then the range):")
    click.echo(experiment.table_markdown(result["rows"]), nl=False)
    if result["responses"]:
        click.echo("response std (3x3 layers, after BN): first / middle / last layer")
        for net, values in result["responses"].items():
            click.echo(f"  {net}: {values[0]:.3f} / {values[len(values) // 2]:.3f} / {values[-1]:.3f}"
                       f" over {len(values)} layers")
    for path in result["files"].values():
        click.echo(f"wrote {path}")
    click.echo(f"done in {experiment.elapsed_text(result['wall_s'])}")


def _depths(_ctx, _param, value):
    try:
        depths = [int(part) for part in value.split(",")]
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a list of depths like 20,32,44") from None
    bad = [d for d in depths if d < 8 or (d - 2) % 6]
    if bad:
        raise click.BadParameter(f"{bad[0]} is not a CIFAR depth 6n+2 (20, 32, 44, 56, 110, ...)")
    return depths


@experiment.command("cifar-depths")
@click.option("--data", required=True, metavar="cifar10:PATH",
              help="CIFAR-10's python batches (a folder or the .tar.gz).")
@click.option("--depths", callback=_depths, default="20,32,44,56,110", show_default=True,
              metavar="20,32,...", help="Depths 6n+2 of the ResNets (and plain nets).")
@click.option("--plain/--no-plain", default=True, show_default=True,
              help="Train the plain twins too.")
@click.option("--seeds", callback=_seeds, default="0", show_default=True, metavar="0,1,...")
@click.option("--iterations", type=click.IntRange(1),
              help="Stop after N iterations (the paper: 64000); milestones move to 50% and 75%.")
@click.option("--validation", type=click.IntRange(1), metavar="N",
              help="Training images held out for validation (the paper: 5000).")
@click.option("--jobs", type=click.IntRange(1), help="Runs at a time.")
@click.option("--device", help="cpu, cuda, cuda:1; default: a GPU if there is one.")
@output_option(type=click.Path(file_okay=False), metavar="DIR",
               help="A new folder; default runs/cifar-depths (-2, -3, ... if taken).")
@diagnostics
def cifar_depths(data, depths, plain, seeds, iterations, validation, jobs, device, out):
    """Train the CIFAR-10 ResNets (and plain nets) of the paper's Table 6 with its recipe and
    print their errors beside the paper's."""
    from ..experiments import depths as study
    from ..experiments.degradation import elapsed_text

    if not data.startswith("cifar10:"):
        raise click.UsageError("cifar-depths trains on CIFAR-10: --data cifar10:PATH")
    from ..core.extras import require

    require("resdsl experiment cifar-depths", "train", "plots")
    overrides = {"validation": validation} if validation else {}
    result = study.run(depths, _fresh_folder(out, "cifar-depths"), data=data, plain=plain, seeds=seeds,
                       iterations=iterations, overrides=overrides, workers=jobs, device=device,
                       echo=click.echo)
    click.echo("")
    click.echo(study.table_markdown(result["rows"], result["split"]), nl=False)
    for path in result["files"].values():
        click.echo(f"wrote {path}")
    click.echo(f"done in {elapsed_text(result['wall_s'])}")


# -- `resdsl eval --ten-crop | --scales` (the options live on the eval command) ---------------------

def _scales(_ctx, _param, value):
    if value is None:
        return None
    from ..experiments.scales import parse_scales

    try:
        return parse_scales(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


TEN_CROP = click.option("--ten-crop", is_flag=True,
                        help="The paper's 10-crop testing: four corners and the centre, and their "
                             "flips; the mean of the ten logits.")
SCALES = click.option("--scales", callback=_scales, metavar="S,S,...",
                      help="Fully convolutional testing at these shorter sides (the paper: "
                           "224,256,384,480,640), scores averaged; checked before data is read.")
RESIZE = click.option("--resize", type=click.IntRange(1), metavar="N",
                      help="--ten-crop: resize the shorter side to N first (default: the input "
                           "side x 8/7, the paper's 256 for 224).")


def eval_views(file, network, weights, data, split, recipe, input_shape, params, as_json,
               ten_crop, scales, resize):
    import json

    if ten_crop and scales:
        raise click.UsageError("--ten-crop and --scales are two ways of testing: give one")
    from ..experiments.testing import evaluate_views

    result = evaluate_views(file, weights, data, split=split, recipe=recipe, ten_crop=ten_crop,
                            scales=scales, resize=resize, network=network,
                            input_shape=input_shape, params=params or None)
    if as_json:
        click.echo(json.dumps(result, indent=1))
        return
    click.echo(f"{result['network']} on {data} ({result['split']}, {result['images']:,} images, "
               f"{result['testing']}): top-1 error {100 * result['top1_error']:.2f}%, "
               f"top-5 error {100 * result['top5_error']:.2f}%")


@click.group(cls=OneValueGroup)
def analyze():
    """Analyses of trained networks: responses (the paper's Figure 7)."""


@analyze.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--weights", "weights", multiple=True, required=True, metavar="W.safetensors",
              help="Trained weights, one per FILE, in the same order (repeat the option).")
@click.option("--data", default="digits", show_default=True, metavar="SPEC",
              help="The data the networks were trained for; responses are measured on its "
                   "validation split.")
@click.option("--recipe", metavar="NAME|FILE",
              help="The recipe of the training runs (their recipe.toml): the split and the "
                   "normalisation; default: the data's usual one.")
@click.option("--split", type=click.Choice(["val", "test", "train"]), default="val", show_default=True)
@output_option(type=click.Path(dir_okay=False), metavar="PLOT.png",
               help="Draw the stds in layer order and sorted by magnitude.")
@format_option("table", "json")
@diagnostics
def responses(files, weights, data, recipe, split, out, fmt):
    """The std of each 3x3 layer's response (after BN, before ReLU and addition), as the
    paper's Figure 7, for one or more trained networks."""
    import json

    if len(weights) != len(files):
        raise click.UsageError(f"give one --weights per FILE: {len(files)} FILE(s) but "
                               f"{len(weights)} --weights")
    from ..core.extras import data_needs, require

    require(f"resdsl analyze responses --data {data}", "eval", data_needs(data),
            *(["plots"] if out else []))
    if out:  # the plot is replaced as a figure is (no --force), but never over an input
        from ..core.files import check_outputs
        from ..experiments.plots import check_plot_name

        check_outputs({"-o": out}, {**{f"FILE {f}": f for f in files},
                                    **{f"--weights {w}": w for w in weights}}, force=True)
        check_plot_name(out)  # before the measurement, not after it
    from ..experiments.responses import response_stds
    from ..experiments.trained import open_for, recipe_for, trained_network, validation_batches

    beside = Path(weights[0]).parent / "recipe.toml"  # the run's split, as `resdsl eval` takes it
    chosen = recipe_for(data, recipe if recipe is not None else (beside if beside.is_file() else None))
    dataset = open_for(data, chosen)
    batches = validation_batches(dataset, chosen, split)
    measured = {}
    for file, weight in zip(files, weights):
        graph, model = trained_network(file, weight, dataset, chosen)
        measured[graph.graph["name"] if graph.graph["name"] not in measured else file] = \
            response_stds(graph, model, batches)
    if fmt == "json":
        click.echo(json.dumps({net: [{"layer": k, "std": v} for k, v in stds.items()]
                               for net, stds in measured.items()}, indent=1))
    else:
        for net, stds in measured.items():
            click.echo(f"{net}: {len(stds)} 3x3 layers, std of the response on {data} {split}")
            for index, (node, value) in enumerate(stds.items(), 1):
                click.echo(f"  {index:>3}  {node:<24} {value:.4f}")
    if out:
        from ..experiments.plots import response_stds as plot

        plot({net: list(stds.values()) for net, stds in measured.items()}, Path(out),
             title=f"std of 3x3 layer responses (after BN), {data} {split}")
        click.echo(f"wrote {out}", err=fmt == "json")
