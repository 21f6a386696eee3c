"""Production serving: gunicorn workers for the web, and the timer scheduler in one process of its own.

``serve(settings, ...)`` runs gunicorn through its Python API. The master process binds the port
and forks the workers; it opens no database connection and starts no thread, so nothing a
worker inherits is shared. Each worker builds its own app and services (``create_app``) after
the fork and serves with gthread (a few threads per process). A worker that dies or is killed
is replaced by the master; its command's transaction dies with its connection, so nothing of it
is kept, and the other workers go on answering.

The scheduler is not a gunicorn worker: it is an ``rma scheduler`` child process (a fresh
interpreter, not a fork) that the master starts once its workers are up, restarts if it exits,
and stops with the rest on SIGTERM or SIGINT; the child also leaves by itself if the master
disappears. So there is exactly one scheduler per ``rma serve``, whatever the number of workers,
and the workers' announcements of new timers reach no scheduler: the scheduler's poll finds
them in the database instead (``scheduler.py``). The supervision runs in the master's own loop
(``manage_workers``, called at least once a second and on every child's exit), not in a thread.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from .config import Settings

MAX_DEFAULT_WORKERS = 8
THREADS = 4  # gthread threads per worker
RESTART_PAUSE = 1.0  # seconds at least between two starts of the scheduler child
STOP_WAIT = 10.0  # seconds the scheduler child gets to finish what it fires on shutdown


def default_workers() -> int:
    """2 × cores + 1 (gunicorn's rule of thumb), at most ``MAX_DEFAULT_WORKERS``; cores usable by us."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(2 * cores + 1, MAX_DEFAULT_WORKERS)


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def serve(
    settings: Settings,
    host: str,
    port: int,
    workers: int | None = None,
    threads: int = THREADS,
    with_scheduler: bool = True,
) -> None:
    """Serve until SIGTERM or SIGINT; never returns normally (gunicorn exits the process)."""
    options = {
        "bind": [bind_address(host, port)],
        "workers": workers or default_workers(),
        "worker_class": "gthread",
        "threads": threads,
        "proc_name": "rma",
        "graceful_timeout": 20,
        "control_socket_disable": True,  # gunicorn 24+: no control socket file in the working directory
    }
    _Server(settings, options, SCHEDULER_COMMAND if with_scheduler else None).run()


RMA_COMMAND = (sys.executable, "-m", "rma_orchestrator.cli")  # `rma` as a child, under this interpreter
# The scheduler child: ``rma scheduler``; ``--parent-pid`` (the master's, appended at each start)
# makes it leave when the master is gone.
SCHEDULER_COMMAND = (*RMA_COMMAND, "scheduler")


class _Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type information
    def __init__(
        self, settings: Settings, options: dict[str, Any], scheduler: tuple[str, ...] | None
    ) -> None:
        self.settings = settings
        self.options = options
        self.scheduler = scheduler
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            if name in self.cfg.settings:  # settings unknown to an older gunicorn are left out
                self.cfg.set(name, value)

    def load(self) -> Any:
        """Runs in each worker after the fork: its own services, engine and connection pool."""
        from .web import create_app

        app = create_app(self.settings)
        app.extensions["rma"].steps.warm()
        return app

    def run(self) -> None:
        try:
            _Arbiter(self, self.scheduler).run()
        except RuntimeError as error:
            sys.exit(f"rma serve: {error}")


class _Arbiter(Arbiter):  # type: ignore[misc]
    """gunicorn's master, plus one supervised scheduler child."""

    def __init__(self, app: _Server, scheduler: tuple[str, ...] | None) -> None:
        self._scheduler_command = scheduler
        self._scheduler: subprocess.Popen[bytes] | None = None
        self._scheduler_started_at = float("-inf")
        self._stopping = False
        super().__init__(app)

    def manage_workers(self) -> None:
        super().manage_workers()
        if self._scheduler_command is None or self._stopping:
            return
        if self._scheduler is not None and self._scheduler.poll() is None:
            return
        if self._scheduler is not None:
            pid, status = self._scheduler.pid, self._scheduler.returncode
            self.log.warning("Timer scheduler (pid: %s) exited with %s; starting another", pid, status)
            self._scheduler = None
        if time.monotonic() - self._scheduler_started_at < RESTART_PAUSE:
            return  # a scheduler that cannot start must not make the master spin
        self._scheduler_started_at = time.monotonic()
        # close_fds (the default): the child holds neither the listening socket nor gunicorn's pipes
        self._scheduler = subprocess.Popen([*self._scheduler_command, "--parent-pid", str(os.getpid())])
        self.log.info("Started the timer scheduler (pid: %s)", self._scheduler.pid)

    def reap_workers(self) -> None:
        # gunicorn reaps any child with waitpid(-1); collect the scheduler's exit status first
        if self._scheduler is not None:
            self._scheduler.poll()
        super().reap_workers()

    def stop(self, graceful: bool = True) -> None:
        self._stopping = True
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.poll() is None:
            scheduler.send_signal(signal.SIGTERM)  # it stops after the firing under way, either way
        super().stop(graceful)
        if scheduler is not None:
            try:
                scheduler.wait(timeout=STOP_WAIT)
            except subprocess.TimeoutExpired:
                self.log.warning("Timer scheduler (pid: %s) did not stop; killing it", scheduler.pid)
                scheduler.kill()
                scheduler.wait()
