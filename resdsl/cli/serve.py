"""`resdsl serve [FILE]`: the playground, a page on this machine that checks, costs and draws
the text as it is typed (resdsl/serve; docs/playground.md)."""

from __future__ import annotations

import ipaddress

import click

from .common import complete_file, diagnostics


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command()
@click.argument("file", required=False, metavar="[FILE]", shell_complete=complete_file)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. Any other than this machine's own (loopback) lets "
                   "others on the network use the page and save FILE.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the web browser.")
@click.option("--workers", type=click.IntRange(1, 16), default=2, show_default=True,
              help="Checks run side by side (one process each).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              metavar="SECONDS", help="The longest one check may take; a longer one is stopped.")
@diagnostics
def serve(file, port, host, open_browser, workers, timeout):
    """A playground in the browser: edit FILE (or a bundled network), see its diagram, costs and
    errors as you type. Only FILE is ever written, and only when you save."""
    from ..core.extras import require

    require("resdsl serve", "serve")
    from ..serve.server import run

    run(file, host=host, port=port, open_browser=open_browser, workers=workers, timeout=timeout,
        loopback=is_loopback(host))
