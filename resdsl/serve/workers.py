"""Worker processes for the checks: each runs one text at a time, and a check that takes longer
than the time allowed is ended by killing its worker (and the Graphviz it started), which a
thread could not be. A fresh worker takes its place.

Requests from several tabs run side by side up to the number of workers, then wait for one; no
worker holds anything of one request that another could see but the front end's caches.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import threading

from ..core.errors import ResdslError


class TooSlow(ResdslError):
    code = "E1020"


def _serve(conn, home: str, name: str, path: str | None, allowed: tuple[str, ...]) -> None:
    """A worker's loop: a job in, its result out, until the pipe closes."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)  # its own process group: killing it ends Graphviz's dot too
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the server's to handle
    from ..language.sources import allow_folders
    from .pipeline import run_job, warm

    allow_folders(allowed)  # the server's --allow-use, which a fresh process would not know

    warm()
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(run_job(job, name=name, home=home, path=path))


class _Worker:
    def __init__(self, context, *args):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, *args), daemon=True,
                                       name="resdsl-serve-worker")
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self, seconds: float = 120) -> None:
        """The first job waits for the worker's imports, which the time allowed does not count."""
        if not self.ready:
            if not self.conn.poll(seconds):
                raise OSError("the worker did not start")
            self.conn.recv()
            self.ready = True

    def kill(self) -> None:
        pid = self.process.pid
        if pid is not None:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        self.process.join(5)
        self.conn.close()


class Workers:
    """`size` worker processes checking texts named `name` in the folder `home` (the file at
    `path`, or None for a text of no file); `run` gives a job's result, or raises TooSlow after
    `timeout` seconds."""

    def __init__(self, size: int, timeout: float, home: str, name: str, path: str | None = None):
        from ..language.sources import allowed_folders

        self.timeout = timeout
        self._args = (home, name, path, tuple(str(folder) for folder in allowed_folders()))
        self._context = multiprocessing.get_context("spawn")  # no copy of the server's threads
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._size = size

    def _start(self) -> None:
        with self._lock:
            while len(self._all) < self._size:
                worker = _Worker(self._context, *self._args)
                self._all.append(worker)
                self._idle.put(worker)

    def run(self, job: dict) -> dict:
        """Blocking: call it from a thread (the server does, with anyio's worker threads)."""
        if len(self._all) < self._size:
            self._start()
        worker = self._idle.get()
        try:
            worker.wait_ready()
            worker.conn.send(job)
            if not worker.conn.poll(self.timeout):
                raise TooSlow(f"the check took longer than {self.timeout:g} seconds and was "
                              "stopped", hint="a network this large is better checked with "
                              "'resdsl check' and drawn with 'resdsl viz'; or start 'resdsl serve "
                              "--timeout SECONDS'")
            result = worker.conn.recv()
        except BaseException:
            worker = self._replace(worker)
            raise
        finally:
            self._idle.put(worker)
        return result

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        fresh = _Worker(self._context, *self._args)
        with self._lock:
            self._all = [fresh if w is worker else w for w in self._all]
        return fresh

    def close(self) -> None:
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.kill()
