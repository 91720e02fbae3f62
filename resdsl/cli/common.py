"""What the commands share: diagnostics instead of tracebacks, the FILE/-n/--input/-p/-o options,
budgets, reading the networks of a FILE, and the console."""

from __future__ import annotations

import functools
import os
import sys

import click

from ..core.errors import ResdslError, render

# Where an internal error asks to be reported. The project has no public tracker address in
# pyproject.toml yet; README.md's "Reporting bugs" says what to send and where.
REPORT_TO = "the resdsl issue tracker (README.md, 'Reporting bugs', says where and what to send)"


ERROR_FORMATS = ("human", "json")


def diagnostics(fn):
    """Render user errors as diagnostics on stderr with exit code 1, never a traceback; adds
    `--error-format json`, where stderr's last line is one JSON document of every diagnostic
    (docs/errors.md), printed on success too so that a reader always finds one."""
    @functools.wraps(fn)
    def wrapper(*args, error_format="human", **kwargs):
        report = _Report(error_format)
        click.get_current_context().meta[_REPORT] = report
        try:
            result = fn(*args, **kwargs)
        except ResdslError as err:
            report.fail(err.errors)
        except RecursionError:  # a last resort: the front end guards depth with located limits
            report.fail([ResdslError("the input nests too deeply to process", code="E607")])
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # `resdsl list | head`: the reader has all it wanted
            _closed_pipe()
        except MemoryError:
            report.fail([ResdslError("out of memory; the limits (RESDSL_MAX_PARAMS, "
                                     "RESDSL_MAX_ACTIVATION_BYTES) may be set higher than this "
                                     "machine allows", code="E608")])
        except Exception as err:  # a bug in resdsl, not in the input: say so, without a traceback
            if os.environ.get("RESDSL_DEBUG"):
                raise
            message = str(err)
            message = message if len(message) <= 300 else message[:300] + "..."
            click.echo(f"internal error: {type(err).__name__}: {message}\n"
                       "  this is a bug in resdsl, not in your input. Please report it at\n"
                       f"  {REPORT_TO}\n"
                       "  with the command you ran; RESDSL_DEBUG=1 shows the traceback to attach",
                       err=True)
            sys.exit(3)
        report.finish()
        return result
    return click.option("--error-format", type=click.Choice(ERROR_FORMATS), default="human",
                        show_default=True,
                        help="How diagnostics are printed on stderr: for people, or as one JSON "
                             "document (docs/errors.md).")(wrapper)


_REPORT = "resdsl.diagnostics"


class _Report:
    """The diagnostics of one command: printed as they come (human) or as one document (json)."""

    def __init__(self, error_format: str):
        self.json = error_format == "json"
        self.warnings: list[tuple[ResdslError, str]] = []
        self.errors: list[ResdslError] = []  # failed checks, reported after the output
        self.status = 0  # a status without a diagnostic (`diff --exit-code`)

    def warn(self, error: ResdslError, why: str) -> None:
        if self.json:
            self.warnings.append((error, why))
        else:
            from ..core.errors import render_warning

            click.echo(render_warning(error, why), err=True)

    def fail(self, errors: list[ResdslError]) -> None:
        if self.json:
            self._print(errors)
        else:
            click.echo(render(errors), err=True)
        sys.exit(1)

    def finish(self) -> None:
        """The end of a command whose output is written (or whose reader left): the status it
        decided before writing wins over how the writing went."""
        if self.errors:
            self.fail(self.errors)
        if self.json:
            self._print([])
        if self.status:
            sys.exit(self.status)

    def _print(self, errors: list[ResdslError]) -> None:
        import json

        from ..core.errors import json_document

        click.echo(json.dumps(json_document(errors, self.warnings)), err=True)


def exit_after_output(errors: list | None = None, status: int = 0) -> None:
    """Decide the exit status before printing: failed checks (exit 1, their diagnostics after
    the output) or `status`. A reader that closes the pipe early (`| head -1`) does not change it."""
    report = click.get_current_context().meta[_REPORT]
    report.errors = [e for err in errors or [] for e in err.errors]
    report.status = status


def warn(error: ResdslError, why: str) -> None:
    """A problem the user chose to pass over (`compile --no-check`): a warning, in either format."""
    report = click.get_current_context().meta.get(_REPORT) or _Report("human")
    report.warn(error, why)


def quiet_stdout() -> None:
    """Point stdout at /dev/null, so flushing it at exit raises no second BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test runner's stdout)
        pass


def shape_text(shape) -> str:
    return "x".join(str(d) for d in shape)


def parse_input_option(_ctx, _param, value):
    if value is None:
        return None
    try:
        dims = tuple(int(p) for p in value.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a size like 3x224x224") from None
    if len(dims) != 3 or min(dims) < 1:
        raise click.BadParameter(f"'{value}' is not a size like 3x224x224")
    return dims


def complete_file(_ctx, _param, incomplete: str):
    """Shell completion of FILE: bundled network names, then the shell's own path completion."""
    from click.shell_completion import CompletionItem

    from ..language.library import bundled_index

    names = sorted(n for n in bundled_index() if n.startswith(incomplete))
    return [CompletionItem(n) for n in names] + [CompletionItem(incomplete, type="file")]


# .rdsl, FILE:NAME, a bundled name or the IR (.json)
FILE = click.argument("file", metavar="FILE", shell_complete=complete_file)
NETWORK = click.option("-n", "--network", help="Which network of the file (or write FILE:NAME).")
INPUT = click.option("--input", "input_shape", callback=parse_input_option, metavar="CxHxW",
                     help="Build for another input size, e.g. 3x320x320.")


def pairs(_ctx, _param, values):
    """NAME=VALUE options, values read as TOML reads them (0.05, true, [2, 4]) or as text."""
    out = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"'{item}' is not NAME=VALUE")
        from ..train.recipe import parse_override_value  # only when asked: check stays light

        out[name.strip()] = parse_override_value(value.strip())
    return out


PARAMS = click.option("-p", "--param", "params", multiple=True, callback=pairs, metavar="NAME=VALUE",
                      help="A template parameter of the network, e.g. classes=10 (repeatable).")


class AliasedOption(click.Option):
    """An option with older names that still work but that --help no longer shows."""

    def __init__(self, *args, hidden_names: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.hidden_names = hidden_names

    def get_help_record(self, ctx):
        shown = self.opts
        self.opts = [o for o in shown if o not in self.hidden_names]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = shown


def output_option(**kwargs):
    """`-o/--output`, the one name of what a command writes (`--out` still read, not shown)."""
    return click.option("-o", "--output", "--out", "out", cls=AliasedOption, hidden_names=("--out",),
                        **kwargs)


def quantity(_ctx, _param, value):
    if value is None:
        return None
    from ..core.units import parse_quantity

    try:
        return parse_quantity(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


MAX_FLOPS = click.option("--max-flops", callback=quantity, metavar="N",
                         help="Fail (exit 1) above N multiply-adds (the paper's FLOPs), e.g. 4G.")
MAX_PARAMS = click.option("--max-params", callback=quantity, metavar="N",
                          help="Fail (exit 1) above N parameters, e.g. 30M.")


def format_option(*formats: str):
    """`--format`: how a command prints its result; the first of `formats` by default (a table
    or lines for people)."""
    return click.option("--format", "fmt", type=click.Choice(list(formats)), default=formats[0],
                        show_default=True, help=f"{formats[0].capitalize()} for people, or text for "
                                                "machines and documents.")


FORMAT = format_option("table", "json", "csv", "markdown")


def show(fmt: str, writers: dict) -> None:
    """Print a result in the --format asked. Each writer returns its text, or draws the result
    itself (a rich table on the console) and returns None."""
    text = writers[fmt]()
    if text is not None:
        click.echo(text, nl=False)


def command_line_budgets(max_flops: int | None, max_params: int | None) -> list:
    from ..analysis.check import command_line_budget

    return [command_line_budget(metric, value)
            for metric, value in (("flops", max_flops), ("params", max_params)) if value is not None]


SKIP_EXPECT = click.option("--skip-expect", is_flag=True,
                           help="Leave out the file's expect lines (published figures that no "
                                "longer apply, e.g. with another --input); budgets still hold.")


def without_expectations(graph):
    graph.graph["checks"] = [c for c in graph.graph.get("checks", []) if c.kind != "expect"]
    return graph


def graphs_of(file: str, network: str | None, input_shape=None, *, params: dict | None = None,
              allow_empty: bool = False):
    """Every network of FILE (the one -n names), checked; a choice FILE cannot make (another
    input of an IR file) is a usage error."""
    from ..targets import ChoiceError, checked_graphs

    try:
        return checked_graphs(file, network, input_shape=input_shape, params=params or None,
                              allow_empty=allow_empty)
    except ChoiceError as err:
        raise click.UsageError(_with_hint(err)) from None


def one_graph(file: str, network: str | None, input_shape=None, hint: str = "-n", *,
              params: dict | None = None):
    """The one network of FILE, checked; several without -n is a usage error (`hint` says how
    to choose, in the command's terms)."""
    from ..targets import ChoiceError, checked_graph

    try:
        return checked_graph(file, network, input_shape=input_shape, params=params or None, how=hint)
    except ChoiceError as err:
        raise click.UsageError(_with_hint(err)) from None


def _with_hint(err) -> str:
    return err.message + (f"\n  help: {err.hint}" if err.hint else "")


def terminal_width() -> int:
    """`COLUMNS` if set (a script's or a test's choice), else the terminal's, else 100."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 100


def table_width() -> int:
    """A table's width: the terminal's (or `COLUMNS`); a pipe without `COLUMNS` gets whole rows."""
    if os.environ.get("COLUMNS", "").isdigit() or sys.stdout.isatty():
        return terminal_width()
    return 160


def console():
    """A rich console: a terminal gets its own width, a pipe the whole table."""
    from rich.console import Console

    out = Console(width=table_width())
    out.on_broken_pipe = _closed_pipe  # rich's own exits 1
    return out


def _closed_pipe() -> None:
    """The reader of stdout has all it wanted: the command ends with the status it decided."""
    quiet_stdout()
    report = click.get_current_context(silent=True)
    report = report.meta.get(_REPORT) if report else None
    if report is None:
        sys.exit(0)
    report.finish()
    sys.exit(0)


def refuse_repeats(command: click.Command, ctx: click.Context, args: list[str]) -> None:
    """An option that takes one value given twice is a usage error, not "the last one wins"
    (`-o a.py -o b.py` would write one of them and say nothing of the other)."""
    takes_value: dict[str, click.Option] = {}
    switches: dict[str, click.Option] = {}  # both words of an on/off pair (--plain/--no-plain)
    seen: dict[click.Option, str] = {}
    for param in command.params:
        if isinstance(param, click.Option) and not (param.is_flag or param.multiple or param.count):
            for name in param.opts:
                takes_value[name] = param
        elif isinstance(param, click.Option) and param.secondary_opts:
            for name in (*param.opts, *param.secondary_opts):
                switches[name] = param
    words = iter(args)
    for word in words:
        if word == "--":
            break
        name = word.partition("=")[0] if word.startswith("--") else word[:2]
        switch = switches.get(name)
        if switch is not None:
            if switch in seen and seen[switch] != name:
                raise click.UsageError(f"{seen[switch]} and {name} are both given; give one", ctx)
            seen[switch] = name
            continue
        option = takes_value.get(name)
        if option is None:
            continue
        given = word if word != name else f"{name} {next(words, '')}"  # the value: this word or the next
        if option in seen:
            raise click.UsageError(f"{_long(option)} is given twice ({seen[option]}, {given}); "
                                   "give it once", ctx)
        seen[option] = given


class OneValueGroup(click.Group):
    """A group of commands (`resdsl experiment ...`) whose single-value options are given once."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, click.Group):
            refuse_repeats(command, click.Context(command, info_name=name, parent=ctx), rest)
        return name, command, rest


def _long(param: click.Option) -> str:
    return max(param.opts, key=len)


def take_global_options(group: click.Group, ctx: click.Context, args: list[str]) -> list[str]:
    """The group's options (`--allow-use DIR`) written after the command: taken as if written
    before it; the command gets the rest."""
    options = {name: p for p in group.params if isinstance(p, click.Option) and p.multiple for name in p.opts}
    rest, words = [], iter(args)
    for word in words:
        if word == "--":
            rest += [word, *words]
            break
        name, eq, value = word.partition("=")
        param = options.get(name)
        if param is None or param.name is None:
            rest.append(word)
            continue
        if not eq:
            following = next(words, None)
            if following is None:
                raise click.UsageError(f"{name} needs a value", ctx)
            value = following
        ctx.params[param.name] = param.type_cast_value(ctx, (*ctx.params.get(param.name, ()), value))
    return rest
