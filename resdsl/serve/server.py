"""Starting the playground: the FILE read, the address bound, the page served by uvicorn."""

from __future__ import annotations

import socket
import sys
import threading
import webbrowser
from pathlib import Path

import click

from ..core.errors import ResdslError
from .app import Settings, hosts_for, make_app


class ServeError(ResdslError):
    code = "E1023"


def served_text(file: str | None) -> tuple[Path | None, str | None]:
    """The FILE to edit and its text (None for a file not written yet, which a save makes)."""
    if file is None:
        return None, None
    from ..language.sources import SUFFIX, read_source

    path = Path(file)
    if path.suffix != SUFFIX:
        raise ServeError(f"'{file}' is not a {SUFFIX} file; the playground edits and saves "
                         f"resdsl source only", code="E1026",
                         hint=f"give a {SUFFIX} file (a new name makes a new file on the first save)")
    if not path.exists():
        if not path.resolve().parent.is_dir():
            raise ServeError(f"cannot save to '{file}': its folder does not exist", code="E1026",
                             hint="make the folder first, or give a file in an existing folder")
        return path, None
    return path, read_source(path, file)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so that a busy port is one diagnostic."""
    try:
        family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
    except (OSError, OverflowError) as err:
        reason = (getattr(err, "strerror", None) or str(err)).lower()
        raise ServeError(f"cannot listen on {host}:{port}: {reason}",
                         hint="choose another --port (0 picks a free one)" if port else None) from None
    sock.listen(64)
    return sock


def warn_exposed(host: str, file: Path | None) -> None:
    saves = f" and overwrite {file}" if file else ""
    click.secho(f"warning: listening on {host}, not on this machine's loopback address: anyone who "
                f"can reach this machine on the network can use the page, run checks{saves}. "
                "Use --host 127.0.0.1 unless you mean it.", fg="red", bold=True, err=True)


def run(file: str | None, *, host: str, port: int, open_browser: bool, workers: int,
        timeout: float, loopback: bool) -> None:
    import uvicorn

    path, text = served_text(file)
    if not loopback:
        warn_exposed(host, path)
    sock = bind(host, port)
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    settings = Settings(path, hosts_for(host, port), workers=workers, timeout=timeout)
    app = make_app(settings, text)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False))
    click.echo(f"resdsl playground: {url}" + (f" (editing {path})" if path else "")
               + "; Ctrl+C stops it", err=True)
    sys.stderr.flush()
    if open_browser:
        threading.Thread(target=_open_when_started, args=(server, url), daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn raises Ctrl+C again once it has shut down: done
        pass
    finally:
        app.workers.close()
    click.echo("resdsl playground: stopped", err=True)


def _open_when_started(server, url: str) -> None:
    import time

    for _ in range(200):
        if server.started:
            webbrowser.open(url)
            return
        time.sleep(0.05)
