"""A real `rma serve` process tree for tests: start it, call it over HTTP, see its processes (/proc)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support import RMA, free_port

PROC = Path("/proc")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def children(self) -> dict[int, str]:
        return children(self.process.pid)

    def workers(self) -> set[int]:
        return {
            pid
            for pid, command in self.children().items()
            if " scheduler " not in f"{command} " and not step_machinery(command)
        }

    def schedulers(self) -> set[int]:
        return {pid for pid, command in self.children().items() if " scheduler " in f"{command} "}

    def check_alive(self) -> None:
        assert self.process.poll() is None, f"rma serve exited:\n{self.output()}"


@contextmanager
def serving(
    env: dict[str, str],
    log: Path,
    *args: str,
    command: str = "serve",
    cwd: Path | None = None,
    seconds: float = 60,
) -> Iterator[Server]:
    """`rma COMMAND ARGS` (serve or demo) on a free port, answering /healthz within ``seconds``; stopped
    (SIGTERM, then SIGKILL) afterwards."""
    port = free_port()
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [*RMA, command, "--port", str(port), *args],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=cwd,
        )
    server = Server(process, port, log)
    try:
        message = f"rma {command} did not answer /healthz within {seconds:g} s"
        wait_for(lambda: _healthy(server), seconds, message, server)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _healthy(server: Server) -> bool:
    try:
        with urllib.request.urlopen(f"{server.base}/healthz", timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def wait_for(condition: Callable[[], Any], seconds: float, message: str, server: Server | None = None) -> Any:
    """Poll ``condition`` until it is truthy (and return it); fail with ``message`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if server is not None:
            server.check_alive()
        assert time.monotonic() < deadline, message + (f"\n{server.output()}" if server else "")
        time.sleep(0.1)


def call(
    server: Server, method: str, path: str, token: str, body: object = None, timeout: float = 30
) -> tuple[int, Any]:
    """One API request on a fresh connection: (status, decoded JSON body)."""
    request = urllib.request.Request(
        server.base + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def step_machinery(command: str) -> bool:
    """Whether a child process is the fork server (or its resource tracker) that starts step workers."""
    return "from multiprocessing." in command


def children(parent: int) -> dict[int, str]:
    """Live (not zombie) child processes of ``parent``: pid → command line."""
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            state, ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            if int(ppid) == parent and state != "Z":
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    return found


def alive(pid: int) -> bool:
    with suppress(OSError):
        return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


def connection_holder(server_port: int, client_port: int, pids: set[int]) -> int | None:
    """Which of ``pids`` has accepted the TCP connection from ``client_port`` (None while nobody has)."""
    inode = 0
    for line in (PROC / "net" / "tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            inode = int(fields[9])
    if not inode:
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        with suppress(OSError):
            for fd in os.listdir(PROC / str(pid) / "fd"):
                with suppress(OSError):
                    if os.readlink(PROC / str(pid) / "fd" / fd) == target:
                        return pid
    return None
