"""How fast a step past its limits becomes an incident, and how other commands fare meanwhile.

For each round a C-level bomb (``sorted(list(range(10**6)) * 10, key=str)``, seconds of work in
one C call) starts on SQLite with a time limit of 1 s, while another thread starts quick cases
one after another. Prints the time from the bomb's start to its answer (the incident recorded)
and the latency of the quick starts that ran meanwhile.
Usage: python bench/step_limits.py [ROUNDS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "hostile"))

import hostile_processes as hp  # noqa: E402
from support import AGENT, ANALYST  # noqa: E402

from rma_orchestrator.bootstrap import bootstrap  # noqa: E402
from rma_orchestrator.config import Settings  # noqa: E402
from rma_orchestrator.service.definitions import deploy  # noqa: E402
from rma_orchestrator.service.instances import start_instance  # noqa: E402
from rma_orchestrator.store.migrate import upgrade  # noqa: E402

LIMIT = 1.0
BOMB = "x = sorted(list(range(10**6)) * 10, key=str)"


def main(rounds: int) -> None:
    data_dir = Path(tempfile.mkdtemp())
    services = bootstrap(Settings.from_env({}, data_dir=data_dir, script_time_limit=LIMIT))
    upgrade(services.database)
    files = {**hp.script_at_start("quick", "done = True"), **hp.script_at_start("bomb", BOMB)}
    deploy(services, files, ANALYST)
    start_instance(services, "quick", {}, AGENT)  # start the step workers
    to_incident: list[float] = []
    quick: list[float] = []
    for _ in range(rounds):
        running = threading.Event()
        running.set()

        def quick_starts(running: threading.Event = running) -> None:
            while running.is_set():
                began = time.monotonic()
                start_instance(services, "quick", {}, AGENT)
                quick.append(time.monotonic() - began)

        other = threading.Thread(target=quick_starts)
        other.start()
        began = time.monotonic()
        outcome = start_instance(services, "bomb", {}, AGENT)
        to_incident.append(time.monotonic() - began)
        running.clear()
        other.join()
        assert outcome.status == "error", outcome
    quick.sort()
    print(f"time limit {LIMIT:g} s, {rounds} bombs")
    print(
        f"bomb start -> incident: median {statistics.median(to_incident):.2f} s, "
        f"max {max(to_incident):.2f} s (the worker is killed at {LIMIT + 0.5:g} s)"
    )
    print(
        f"quick starts meanwhile: {len(quick)}, p50 {quick[len(quick) // 2] * 1000:.0f} ms, "
        f"p99 {quick[int(len(quick) * 0.99)] * 1000:.0f} ms, max {quick[-1] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
