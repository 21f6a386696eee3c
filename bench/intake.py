"""Intake benchmark: registering a real RMA case (rma_case) through the service layer.

Each variant is one command timed alone, on SQLite and on PostgreSQL, in rounds that take turns
(a load that comes and goes on a shared machine falls on all variants alike):
  plain      a return with its order checked: warranty table, intake facts, eligibility table
             (24 rows, 10 inputs), the review task and its 24-hour timer
  product    the same with a serial number whose record holds two repairs (the product lookup
             and its history in the start data)
  documents  a start without a proof of purchase (the request task), then the two
             customer-service completions of the documents loop, timed together (three commands)
Prints p50 / p95 / max milliseconds per variant.
Usage: python bench/intake.py [N per variant] [ROUNDS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from rma_cases import case_data, deploy_rma  # noqa: E402
from support import ADMIN, AGENT, private_postgres  # noqa: E402

from rma_orchestrator.bootstrap import bootstrap  # noqa: E402
from rma_orchestrator.config import Settings  # noqa: E402
from rma_orchestrator.service.context import Services  # noqa: E402
from rma_orchestrator.service.instances import get_instance, start_instance  # noqa: E402
from rma_orchestrator.service.products import seed_product  # noqa: E402
from rma_orchestrator.service.tasks import complete_task  # noqa: E402
from rma_orchestrator.store.db import Database  # noqa: E402
from rma_orchestrator.store.migrate import upgrade  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SERIAL = "SN-BENCH-1"
REPAIR = {"in_warranty": True, "fixed": False}


def _open_task(services: Services, instance_id: int, element: str) -> str:
    return next(t.id for t in get_instance(services, instance_id, ADMIN).tasks if t.element_id == element)


class Intake:
    """Services on one database with the RMA processes deployed; each method times one variant."""

    def __init__(self, url: str) -> None:
        self.database = Database(url)
        upgrade(self.database)
        self.services = bootstrap(Settings.from_env({}, database_url=url), database=self.database)
        deploy_rma(self.services)
        seed_product(
            self.services,
            {
                "serial_no": SERIAL,
                "category": "home_goods",
                "warranty_start_on": "2026-01-10",
                "warranty_months": 24,
                "repairs": [
                    {**REPAIR, "started_on": "2026-03-01", "ended_on": "2026-03-09"},
                    {**REPAIR, "started_on": "2026-05-01", "ended_on": "2026-05-21"},
                ],
            },
            ADMIN,
        )
        for variant in (self.plain, self.product, self.documents):
            variant()  # parse and cache the definitions, warm the statement caches

    def plain(self) -> float:
        data = case_data(self.services)
        began = time.perf_counter()
        start_instance(self.services, "rma_case", data, AGENT)
        return time.perf_counter() - began

    def product(self) -> float:
        data = case_data(self.services)
        data["product"] = {**data["product"], "serial_no": SERIAL}
        began = time.perf_counter()
        start_instance(self.services, "rma_case", data, AGENT)
        return time.perf_counter() - began

    def documents(self) -> float:
        services = self.services
        data = case_data(services, order_verified=False)
        began = time.perf_counter()
        started = start_instance(services, "rma_case", data, AGENT)
        request = _open_task(services, started.id, "request_documents")
        complete_task(services, request, {"documents_request_channel": "phone"}, AGENT)
        receive = _open_task(services, started.id, "receive_documents")
        complete_task(services, receive, {"order_verified": True}, AGENT)
        elapsed = time.perf_counter() - began
        assert _open_task(services, started.id, "review_case")
        return elapsed

    def close(self) -> None:
        self.database.dispose()


def _row(label: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    p50 = statistics.median(ms)
    return f"  {label:<10} n={len(ms):<4} p50 {p50:6.1f}  p95 {p95:6.1f}  max {ms[-1]:6.1f} ms"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    per_round = max(n // rounds, 1)
    times: dict[str, dict[str, list[float]]] = {}
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        benches = {"sqlite": Intake(f"sqlite:///{tmp}/bench.sqlite3")}
        try:
            benches["postgresql"] = Intake(stack.enter_context(private_postgres(PG_ADMIN, "rma_bench")))
        except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
            print(f"PostgreSQL skipped ({str(error).splitlines()[0]})")
        for _ in range(rounds):
            for db, bench in benches.items():
                variants: dict[str, Callable[[], float]] = {
                    "plain": bench.plain,
                    "product": bench.product,
                    "documents": bench.documents,
                }
                for label, variant in variants.items():
                    found = times.setdefault(db, {}).setdefault(label, [])
                    found.extend(variant() for _ in range(per_round))
        for bench in benches.values():
            bench.close()
    print(f"{rounds} rounds of {per_round} per variant")
    for db, variants in times.items():
        print(db)
        for label, seconds in variants.items():
            print(_row(label, seconds))


if __name__ == "__main__":
    main()
