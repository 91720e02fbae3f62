"""`resdsl train` and `resdsl eval`: training runs and their evaluation (torch only inside)."""

from __future__ import annotations

import json
import os
import sys

import click

from ..train.fields import BY_SHORT, Field
from .common import FILE, INPUT, NETWORK, PARAMS, diagnostics, format_option, output_option, pairs
from .experiment import RESIZE, SCALES, TEN_CROP, eval_views


def _toml_value(_ctx, _param, value):
    from ..train.recipe import parse_override_value

    return None if value is None else parse_override_value(value)


def _recipe_option(short: str, field: Field):
    """The option of a short-named recipe field, its type and help from the field's declaration."""
    flag = "--" + short.replace("_", "-")
    kind = field.value.get("type")
    text = f"{field.help[0].upper()}{field.help[1:]} ({field.key})."
    if kind == "boolean":
        return click.option(f"{flag}/--no-{flag[2:]}", short, default=None, help=text)
    if "enum" in field.value:
        return click.option(flag, short, type=click.Choice(field.value["enum"]), help=text)
    if kind in ("integer", "number"):
        return click.option(flag, short, type=int if kind == "integer" else float, help=text)
    return click.option(flag, short, callback=_toml_value, metavar="TOML", help=text)


def recipe_options(command):
    """An option for every recipe field with a short name (--lr, --batch-size, --epochs, ...)."""
    for short, field in reversed(BY_SHORT.items()):
        command = _recipe_option(short, field)(command)
    return command


DEVICE = click.option("--device", default=None, metavar="DEVICE",
                      help="cpu, cuda, cuda:1 (default: cuda when there is one).")


@click.command("train")
@FILE
@NETWORK
@click.option("--data", default="digits", show_default=True, metavar="SPEC",
              help="digits, cifar10:PATH, cifar100:PATH (folder or .tar.gz), mnist:PATH, svhn:PATH, "
                   "folder:PATH (class folders) or labels:FILE.")
@click.option("--recipe", default=None, metavar="NAME|FILE",
              help="cifar10, cifar10-warmup, imagenet, imagenet-rsb-a3, digits, digits-deep, or a .toml file "
                   "(default: the data's; on digits, digits-deep for a net deeper than 20 layers).")
@output_option(default=None, type=click.Path(file_okay=False), metavar="DIR",
               help="The run folder (default: runs/NETWORK-DATA, numbered when taken).")
@click.option("--resume", is_flag=True, help="Continue the run in -o DIR from its last checkpoint.")
@click.option("--init", "init_from", default=None, metavar="WEIGHTS",
              help="Start from these weights: a run folder, a .safetensors file or a torch state_dict file "
                   "(tensors of another shape, such as a classifier for other classes, start fresh).")
@click.option("--freeze", multiple=True, metavar="PATTERN",
              help="Keep the parameters whose names match fixed (fnmatch, e.g. 'conv1.*'; repeatable).")
@INPUT
@PARAMS
@recipe_options
@click.option("--set", "sets", multiple=True, callback=pairs, metavar="KEY=VALUE",
              help="Any recipe field, e.g. --set schedule.factor=0.2 (repeatable).")
@DEVICE
@click.option("--threads", type=click.IntRange(1, 4096), default=None,
              help="torch threads on the CPU (1 is fastest on a machine others share).")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@click.option("--log", "logs", multiple=True, type=click.Choice(["tensorboard"]),
              help="Also write the metrics as TensorBoard event files in the run folder (repeatable).")
@format_option("text", "json")
@click.option("--json", "as_json", is_flag=True, hidden=True, help="The same as --format json.")
@click.option("--nproc-per-node", type=click.IntRange(1, 1024), default=None,
              help="Run N processes with DistributedDataParallel (torch.distributed.run).")
@click.option("--nnodes", default="1", show_default=True, help="Machines (torchrun's --nnodes).")
@click.option("--node-rank", type=int, default=0, show_default=True)
@click.option("--master-addr", default=None)
@click.option("--master-port", type=int, default=None)
@click.option("--rdzv-endpoint", default=None)
@click.option("--rdzv-backend", default=None)
@click.option("--rdzv-id", default=None)
@diagnostics
def train(file, network, data, recipe, out, resume, input_shape, params, sets, device, threads, quiet, fmt,
          as_json, nproc_per_node, **options):
    """Train FILE (a path, FILE:NAME or a bundled network) on --data with a recipe.

    Leaves in the run folder the resolved recipe, metrics (CSV and JSONL, appended as it runs),
    checkpoints, the final weights (safetensors) and a plot of training and validation error.
    """
    from ..core.extras import data_needs, require

    # before a process is launched or an iteration run: a run saves safetensors checkpoints and
    # draws errors.png only at its end
    require(f"resdsl train --data {data}", "train", data_needs(data), "plots")
    require("resdsl train --log tensorboard", *("log:" + log for log in options["logs"]))
    if out and recipe and not resume:  # a run writes its resolved recipe.toml into --out
        from ..core.files import check_outputs

        check_outputs({"-o": os.path.join(out, "recipe.toml")}, {"--recipe": recipe}, force=True)
    init_from, freeze, logs = options.pop("init_from"), tuple(options.pop("freeze")), tuple(options.pop("logs"))
    fields = {name: options.pop(name) for name in BY_SHORT}  # the rest: torchrun's flags
    if fields["epochs"] is not None and fields["iterations"] is not None:
        raise click.UsageError("give --epochs or --iterations, not both")
    from pathlib import Path

    from ..train.loop import RunSpec, run
    from ..train.options import recipe_overrides

    overrides = recipe_overrides(fields)
    overrides.update(sets)
    spec = RunSpec(target=file, data=data, network=network, recipe=recipe, overrides=overrides,
                   out=Path(out) if out else None, resume=resume, input_shape=input_shape,
                   params=params, device=device, quiet=quiet, threads=threads, init=init_from, freeze=freeze,
                   log=logs)
    if nproc_per_node is not None and "WORLD_SIZE" not in os.environ:
        _launch(spec, nproc_per_node, options)
        return
    summary = run(spec)
    if int(os.environ.get("RANK", "0")) == 0:
        _show(summary, data, as_json or fmt == "json")
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        _end_worker()


def _end_worker() -> None:
    """A launched process whose run finished and left the process group ends here, without the
    interpreter's teardown: gloo's threads torn down at exit aborted a finished peer now and
    then ("terminate called without an active exception"), failing a run that had succeeded.
    Every file is written and closed by now; only the output streams need flushing."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _show(summary: dict, data: str, as_json: bool) -> None:
    shown = {k: v for k, v in summary.items() if k != "history"}
    if as_json:
        click.echo(json.dumps(shown, indent=1))
        return
    final = summary["final"]

    def pct(v):
        return "-" if v is None else f"{100 * v:.2f}%"

    speed = summary["images_per_s"]
    click.echo(f"{summary['network']} on {data}: {summary['iterations']} iterations "
               f"({summary['epochs']:g} epochs) in {summary['wall_s']:.1f} s, "
               + (f"{speed:,.0f} images/s" if speed else "no training step in this run"))
    click.echo(f"  training error {pct(final['train_error'])}, validation error {pct(final['val_error'])} "
               f"(top-5 {pct(final['val_top5_error'])}), best {pct(summary['best_val_error'])}")
    names = ", ".join(os.path.basename(p) for p in summary["files"].values())
    click.echo(f"  run folder {summary['run_dir']}: {names}")


def _launch(spec, nproc_per_node: int, options: dict) -> None:
    """Check once what every process would (recipe, data, network, run folder), then start them."""
    from ..train.distributed import launch, strip_launch_flags
    from ..train.preflight import preflight

    preflight(spec, nproc_per_node if options.get("nnodes", "1") == "1" else 1)
    argv = sys.argv[1:]
    if not argv or argv[0] != "train":
        raise click.UsageError("--nproc-per-node works from the command line (resdsl train ...)")
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    try:
        launch(strip_launch_flags(argv), nproc_per_node, **options)
    except ChildFailedError as err:  # the processes printed their own diagnostics above
        codes = sorted({f.exitcode for f in err.failures.values()})
        click.echo(f"error: {len(err.failures)} of the training processes failed "
                   f"(exit {', '.join(map(str, codes))}); their messages are above", err=True)
        sys.exit(1)


@click.command("eval")
@FILE
@NETWORK
@click.option("--weights", "-w", required=True, type=click.Path(), metavar="FILE",
              help="A .safetensors state_dict, e.g. RUN/weights.safetensors, or the run folder RUN.")
@click.option("--data", default="digits", show_default=True, metavar="SPEC")
@click.option("--split", type=click.Choice(["train", "val", "test"]), default=None,
              help="Default: test for cifar10, val otherwise.")
@click.option("--recipe", default=None, metavar="NAME|FILE",
              help="Default: the recipe.toml beside the weights, else the data's.")
@INPUT
@PARAMS
@DEVICE
@click.option("--batch-size", type=click.IntRange(1, 1 << 20), default=256, show_default=True)
@format_option("text", "json")
@click.option("--json", "as_json", is_flag=True, hidden=True, help="The same as --format json.")
@TEN_CROP
@SCALES
@RESIZE
@diagnostics
def eval_(file, network, weights, data, split, recipe, input_shape, params, device, batch_size, fmt,
          as_json, ten_crop, scales, resize):
    """Top-1 and top-5 error of trained weights on a data split, and what is confused with what."""
    from ..core.extras import data_needs, require
    from ..train.evaluate import evaluate

    require(f"resdsl eval --data {data}", "eval", data_needs(data))
    as_json = as_json or fmt == "json"
    if ten_crop or scales:  # the paper's testing (sec. 3.4): resdsl/experiments/testing.py
        return eval_views(file, network, weights, data, split, recipe, input_shape, params,
                          as_json, ten_crop, scales, resize)

    result = evaluate(file, weights, data, network_name=network, split=split, recipe=recipe,
                      input_shape=input_shape, params=params, device=device, batch=batch_size)
    if as_json:
        click.echo(json.dumps(result, indent=1))
        return
    click.echo(f"{result['network']} on {data} ({result['split']}, {result['images']:,} images): "
               f"top-1 error {100 * result['top1_error']:.2f}%, top-5 error {100 * result['top5_error']:.2f}%")
    worst = sorted(((e, c) for c, e in result["per_class_error"].items() if e), reverse=True)[:5]
    if worst:
        click.echo("  highest class errors: " + ", ".join(f"{c} {100 * e:.1f}%" for e, c in worst))
    if result["confusions"]:
        click.echo("  most confused (true -> predicted): " + ", ".join(
            f"{c['true']} -> {c['predicted']} ({c['count']})" for c in result["confusions"][:5]))
