"""The playground's web application (Starlette): the page, its static files and the JSON API.

Every route answers from the request and the server's settings alone. Checks run in worker
processes (workers.py) for at most the time allowed; a body over the size limit is refused with
413 before it is read whole; only POST /api/save writes, and only the FILE served. Requests must
name this server as their host (a page elsewhere cannot reach it by a DNS name it controls), and
a POST must be JSON from this page's origin (a page elsewhere cannot make one without asking).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..core.errors import ResdslError
from ..core.limits import LIMITS
from .pipeline import LEVELS
from .workers import TooSlow, Workers

STATIC = Path(__file__).parent / "static"
EDITOR = STATIC / "build" / "editor.js"
SECURITY_HEADERS = {
    # CodeMirror writes its styles into <style> elements: styles inline, scripts only our own
    "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


@dataclass
class Settings:
    file: Path | None          # the FILE served, the only one /api/save writes
    hosts: frozenset[str] | None  # Host headers this server answers to (None: any)
    workers: int = 2
    timeout: float = 10.0      # seconds one check may take
    body_bytes: int = LIMITS.source_bytes * 5 // 4 + 65536  # the text, escaped as JSON

    @property
    def name(self) -> str:
        """What the text is called in diagnostics, and where its `use` looks."""
        return self.file.name if self.file else "playground.rdsl"

    @property
    def home(self) -> Path:
        from ..core.resources import architectures_dir

        return self.file.resolve().parent if self.file else architectures_dir()


class Refused(ResdslError):
    """A request the server does not take (status: the HTTP status it answers)."""

    code = "E1024"

    def __init__(self, message: str, status: int, code: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint, code=code)
        self.status = status


def refused(err: ResdslError, status: int) -> JSONResponse:
    return JSONResponse({"message": err.message, "diagnostics": [err.to_json()]}, status,
                        headers=SECURITY_HEADERS)


def too_large(what: str, limit: int) -> Refused:
    return Refused(f"{what} is larger than the limit of {limit:,} bytes", 413, code="E1021",
                   hint="raise the limit with RESDSL_MAX_SOURCE_BYTES when starting 'resdsl serve'")


async def read_json(request: Request, settings: Settings) -> dict:
    """The JSON object of a POST, refused (413) as soon as it is known to be too large."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise Refused("the body must be JSON (content-type: application/json)", 415)
    limit = settings.body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise too_large("the request", limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:  # a body without a length, or one that says less than it sends
            raise too_large("the request", limit)
        chunks.append(chunk)
    try:
        body = json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError) as err:
        raise Refused(f"the body is not JSON: {err}", 400) from None
    if not isinstance(body, dict):
        raise Refused("the body must be a JSON object", 400)
    return body


def text_of(body: dict) -> str:
    text = body.get("text")
    if not isinstance(text, str):
        raise Refused("'text' must be a string", 400)
    if len(text.encode("utf-8", "surrogatepass")) > LIMITS.source_bytes:
        raise too_large("the text", LIMITS.source_bytes)
    return text


def job_of(body: dict) -> dict:
    level, fold, network = body.get("level", "block"), body.get("fold", False), body.get("network")
    if level not in LEVELS:
        raise Refused(f"'level' is one of {', '.join(LEVELS)}, not {level!r}", 400)
    if not isinstance(fold, bool):
        raise Refused("'fold' must be true or false", 400)
    if network is not None and not isinstance(network, str):
        raise Refused("'network' must be a name or null", 400)
    return {"text": text_of(body), "level": level, "fold": fold, "network": network}


# -- routes --------------------------------------------------------------------------------------

async def page(_request: Request) -> Response:
    if not EDITOR.is_file():
        return Response(NOT_BUILT, 503, media_type="text/html", headers=SECURITY_HEADERS)
    return FileResponse(STATIC / "index.html", headers=SECURITY_HEADERS)


NOT_BUILT = ("<!doctype html><title>resdsl playground</title><p>The playground's editor is not "
             "built in this installation: run <code>bash scripts/build_web.sh</code> in a clone "
             "of resdsl (it needs node and npm), then start <code>resdsl serve</code> again.")


async def check(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    job = job_of(await read_json(request, settings))
    try:
        result = await run_in_threadpool(request.app.state.workers.run, job)
    except TooSlow as err:
        result = {"source": settings.name, "diagnostics": [err.to_json()], "svg": "", "costs": None,
                  "networks": [], "network": None}
    except (EOFError, OSError) as err:  # the worker died (out of memory, killed)
        from .pipeline import internal_error

        result = {"source": settings.name, "diagnostics": [internal_error(err)], "svg": "",
                  "costs": None, "networks": [], "network": None}
    return JSONResponse(result, headers=SECURITY_HEADERS)


def position_of(body: dict) -> dict:
    line, column = body.get("line"), body.get("column")
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in (line, column)):
        raise Refused("'line' and 'column' must be whole numbers from 1", 400)
    return {"text": text_of(body), "line": line, "column": column}


async def _assist(request: Request, kind: str) -> Response:
    """Hover or completion at a position of the text (the language server's answers)."""
    settings: Settings = request.app.state.settings
    job = {"kind": kind, **position_of(await read_json(request, settings))}
    try:
        result = await run_in_threadpool(request.app.state.workers.run, job)
    except (TooSlow, EOFError, OSError):
        result = {"hover": None, "items": []}
    return JSONResponse(result, headers=SECURITY_HEADERS)


async def hover(request: Request) -> Response:
    return await _assist(request, "hover")


async def complete(request: Request) -> Response:
    return await _assist(request, "complete")


async def language(_request: Request) -> Response:
    """The words the page's highlighter knows, from where the Pygments lexer takes them: the
    grammar's keywords and the op table's ops and their aliases."""
    from ..highlight import words

    return JSONResponse({"keywords": list(words.keywords()), "ops": list(words.ops())},
                        headers=SECURITY_HEADERS)


async def served_file(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    return JSONResponse({"file": settings.name if settings.file else None,
                         "text": request.app.state.saved_text}, headers=SECURITY_HEADERS)


async def networks(_request: Request) -> Response:
    from ..language.catalog import network_names

    return JSONResponse({"networks": network_names()}, headers=SECURITY_HEADERS)


async def network(request: Request) -> Response:
    """A bundled network's file, and the line that builds it."""
    from ..language.library import bundled_index

    name = request.path_params["name"]
    index = bundled_index()
    if name not in index:
        from ..core.errors import did_you_mean

        raise Refused(f"no bundled network named '{name[:80]}'", 404, code="E1024",
                      hint=did_you_mean(name, list(index)) or "GET /api/networks lists them")
    from ..language.loader import load_file

    path = index[name]
    text = path.read_text(encoding="utf-8")
    found = load_file(path).lookup(name)
    line = found[0].span.line if found and found[0].span else 1
    return JSONResponse({"network": name, "file": path.name, "text": text, "line": line},
                        headers=SECURITY_HEADERS)


async def save(request: Request) -> Response:
    """Write the text to the FILE served (atomically), and to nothing else."""
    from ..core.files import write_atomic

    settings: Settings = request.app.state.settings
    text = text_of(await read_json(request, settings))
    if settings.file is None:
        raise Refused("nothing to save to: the playground was started without a FILE", 409,
                      code="E1022", hint="start 'resdsl serve FILE.rdsl' to edit and save a file")
    data = text.encode("utf-8")
    await run_in_threadpool(write_atomic, settings.file, data)
    request.app.state.saved_text = text
    return JSONResponse({"file": settings.name, "bytes": len(data)}, headers=SECURITY_HEADERS)


# -- the application -----------------------------------------------------------------------------

async def _refused(_request: Request, err: Exception) -> Response:
    """A refused request, or a file that could not be written (E920): its diagnostic as JSON."""
    assert isinstance(err, ResdslError)
    return refused(err, getattr(err, "status", 500))


class HostCheck:
    """Refuse (421) a request whose Host header is not this server's: a page on another site
    that makes its own name point at 127.0.0.1 gets nothing; a foreign Origin on a POST: 403."""

    def __init__(self, app, hosts: frozenset[str] | None):
        self.app = app
        self.hosts = hosts
        self.workers: Workers | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            host = headers.get("host", "")
            origin = headers.get("origin")
            problem = None
            if self.hosts is not None and host not in self.hosts:
                problem = Refused(f"this server does not answer to the host '{host[:80]}'", 421)
            elif scope["method"] not in ("GET", "HEAD") and origin is not None \
                    and origin.split("://", 1)[-1] != host:
                problem = Refused(f"a request from {origin[:80]} may not change anything here", 403)
            if problem is not None:
                await refused(problem, problem.status)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def make_app(settings: Settings, saved_text: str | None = None):
    """The ASGI application for `settings`; its workers start with the first check."""
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        app.state.workers.close()

    routes = [
        Route("/", page),
        Route("/api/check", check, methods=["POST"]),
        Route("/api/save", save, methods=["POST"]),
        Route("/api/hover", hover, methods=["POST"]),
        Route("/api/complete", complete, methods=["POST"]),
        Route("/api/language", language),
        Route("/api/file", served_file),
        Route("/api/networks", networks),
        Route("/api/network/{name:str}", network),
        Mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={ResdslError: _refused})
    app.state.settings = settings
    app.state.saved_text = saved_text
    app.state.workers = Workers(settings.workers, settings.timeout, str(settings.home), settings.name,
                                str(settings.file.resolve()) if settings.file else None)
    wrapped = HostCheck(app, settings.hosts)
    wrapped.workers = app.state.workers  # for the server to stop them however it ends
    return wrapped


def hosts_for(host: str, port: int) -> frozenset[str] | None:
    """The Host headers a browser sends to this server: the address it listens on, and the
    loopback names when that is where it listens; any, when it listens on every address."""
    if host in ("0.0.0.0", "::", ""):
        return None
    names = {f"[{host}]" if ":" in host else host}
    if host in ("127.0.0.1", "localhost", "::1"):
        names |= {"127.0.0.1", "localhost", "[::1]"}
    return frozenset({*names, *(f"{n}:{port}" for n in names)})
