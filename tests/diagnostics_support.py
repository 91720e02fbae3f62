"""Running the command line in this process with stderr kept apart from stdout, on every click
the project supports (8.1 mixes the two unless told not to; 8.2 and later keep them apart)."""

from click.testing import CliRunner

from resdsl.cli import main


def invoke(*args, **kwargs):
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2: always apart, and no such argument
        runner = CliRunner()
    return runner.invoke(main, [str(a) for a in args], **kwargs)
