"""Speed of the managers' monitoring pages on a year of history: 100,000 cases, 20,000 open tasks.

Fills a fresh database by the bulk path of ``bench/pages.py`` (processes/ and forms/ deployed, the
demo's cases started through the service, copies of its cases with open tasks inserted with Core
executemany until --tasks tasks are open), then adds finished copies until --cases cases exist:
spread over the past 365 days, 92 % completed with an outcome that fits their kind, 8 % cancelled,
their tasks completed, their timers fired (one in ten an SLA breach, with its event) or cancelled,
an end event in the audit trail, the follow-up's satisfaction score of a resolution the customer
experienced and a repaired unit's repair attempts; the dashboard's figures stored on each case and
timer as the steps store them. A progress line on stderr shows the fill.

Then times --requests GETs of each monitoring page through the Flask test client as a manager
(the server's time: routing, session, queries, template), the pages taking turns: the case list
(default, filtered, searched, sorted by deadline) and, where the routes exist, the dashboard (7,
30, 90 and 365 days) and the heatmap. Prints p50/p95/max in ms and p95 against the goal (lists
100 ms, dashboard and heatmap 500 ms). SQLite always; --postgres adds a private PostgreSQL database
on 127.0.0.1.
Usage: python bench/monitor.py [--cases 100000] [--tasks 20000] [--requests 100] [--postgres]
       python bench/monitor.py --database URL   (fill it once and keep it; later runs time it as it is)
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pages import (  # bench/pages.py: the same fill and timing, for the staff pages
    MANAGER_NAME,
    PG_ADMIN,
    RESET_SEQUENCE,
    Filled,
    Page,
    fill,
    measure,
    prepare,
    print_timings,
    sign_in,
)
from sqlalchemy import Connection, func, insert, select, text
from support import private_postgres

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.service.context import Services
from rma_orchestrator.store.migrate import current_revision, upgrade
from rma_orchestrator.store.models import TABLES

_instance, _task, _timer, _event = (
    TABLES[name] for name in ("process_instance", "human_task", "timer", "event")
)
_product, _repair, _score = (TABLES[name] for name in ("product", "product_repair", "satisfaction_score"))
FOLLOWED_UP = {  # the outcomes whose case ends with a satisfaction follow-up (rma_case.bpmn)
    *("end_refunded", "end_exchanged", "end_repaired", "end_quote_declined", "end_complaint_answered"),
}
FIRST_RESPONSE_STEPS = ("review_case", "request_documents")
BATCH = 2_000  # finished cases per transaction
GOALS_MS = {"list": 100.0, "dashboard": 500.0, "heatmap": 500.0}
OUTCOMES = {
    "return": ["end_refunded"] * 7 + ["end_rejected", "end_abandoned"],
    "exchange": ["end_exchanged"] * 4 + ["end_rejected"],
    "repair": ["end_repaired"] * 5 + ["end_quote_declined", "end_refunded", "end_exchanged"],
    "complaint": ["end_complaint_answered"],
}
RESOLUTIONS = {
    "end_refunded": "refunded",
    "end_rejected": "rejected",
    "end_abandoned": "abandoned",
    "end_exchanged": "exchanged",
    "end_repaired": "repaired",
    "end_quote_declined": "quote_declined",
    "end_complaint_answered": "complaint_answered",
}


def add_history(
    services: Services, cases: int, filled: Filled, progress: Any = lambda done, total: None
) -> None:
    """Finished copies of the demo cases until ``cases`` cases exist, BATCH per transaction."""
    began = time.perf_counter()
    rng, follow = random.Random(20261203), random.Random(FOLLOW_UP_SEED)
    now = services.clock.now()
    with services.database.reading() as connection:
        templates = _finished_templates(connection)
        next_id = connection.execute(select(func.max(_instance.c.id))).scalar_one() + 1
    while filled.cases < cases:
        rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for _ in range(min(BATCH, cases - filled.cases)):
            _finished_copy(rng.choice(templates), next_id, now, rng, rows)
            follow_ups(rows[_instance.name][-1], follow, rows)
            next_id += 1
        with services.database.engine.begin() as connection:
            for table in (_instance, _task, _timer, _event, _product, _repair, _score):
                if rows[table.name]:
                    connection.execute(insert(table), rows[table.name])
        filled.cases += len(rows[_instance.name])
        progress(filled.cases, cases)
    if not services.database.is_sqlite:
        with services.database.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
            connection.execute(text(RESET_SEQUENCE))
            connection.execute(text(RESET_PRODUCTS))
            connection.execute(text("VACUUM ANALYZE"))
    filled.seconds += time.perf_counter() - began


FOLLOW_UP_SEED = 20261204
PRODUCT_IDS = 10_000_000  # a finished repair copy's unit: this plus its case's id
RESET_PRODUCTS = "SELECT setval(pg_get_serial_sequence('product', 'id'), max(id)) FROM product"


def follow_ups(case: dict[str, Any], rng: random.Random, rows: dict[str, list[Any]]) -> None:
    """What the procedure stores for a finished copy: the follow-up's satisfaction score of a
    resolution the customer experienced and, for a repaired unit, its repair attempts (one in five
    fixed at the second attempt), each repaired case on a unit of its own."""
    if case["status"] != "completed" or case["outcome"] not in FOLLOWED_UP:
        return
    reached = rng.random() < 0.9
    rows[_score.name].append(
        {
            "instance_id": case["id"],
            "business_key": case["business_key"],
            "entry_no": 0,
            "score": rng.choice((1, 2, 3, 4, 4, 5, 5, 5)) if reached else None,
            "source": rng.choice(("customer_reply", "phone_call")) if reached else "phone_call",
            "reached": reached,
            "recorded_at": case["ended_at"],
            "case_started_at": case["started_at"] if case["kind"] is not None else None,
        }
    )
    if case["kind"] != "repair" or case["outcome"] != "end_repaired":
        return
    product_id = PRODUCT_IDS + case["id"]
    rows[_product.name].append(
        {
            "id": product_id,
            "serial_no": f"SN-H{case['id']:07d}",
            "category": case["product_category"],
            "created_at": case["started_at"],
            "updated_at": case["ended_at"],
        }
    )
    began = case["started_at"].date()
    attempts = [False, True] if rng.random() < 0.2 else [True]
    for entry_no, fixed in enumerate(attempts, start=1):
        days = rng.randrange(1, 31)
        rows[_repair.name].append(
            {
                "product_id": product_id,
                "instance_id": case["id"],
                "business_key": case["business_key"],
                "entry_no": entry_no,
                "started_on": began,
                "ended_on": began + timedelta(days=days),
                "days": days,
                "in_warranty": True,
                "fixed": fixed,
                "recorded_at": case["ended_at"],
            }
        )
        began += timedelta(days=days)


def _finished_templates(connection: Connection) -> list[dict[str, Any]]:
    """Every demo case with its tasks, timers and events: what a finished copy repeats."""
    templates = []
    for instance in connection.execute(select(_instance).order_by(_instance.c.id)).all():
        of_it = {
            name: [
                dict(r._mapping) for r in connection.execute(select(t).where(t.c.instance_id == instance.id))
            ]
            for name, t in (("tasks", _task), ("timers", _timer), ("events", _event))
        }
        templates.append({"instance": dict(instance._mapping), **of_it})
    return templates


def _finished_copy(
    template: dict[str, Any], instance_id: int, now: datetime, rng: random.Random, rows: dict[str, list[Any]]
) -> None:
    source = template["instance"]
    started = now - timedelta(minutes=rng.randrange(15 * 24 * 60, 365 * 24 * 60))
    ended = started + timedelta(minutes=rng.randrange(60, 20 * 24 * 60))
    shift = started - source["started_at"]
    cancelled = rng.random() < 0.08
    outcome = None if cancelled else rng.choice(OUTCOMES.get(source["kind"] or "return", ["end_rejected"]))
    data = {**source["data"], "resolution": RESOLUTIONS.get(outcome or "")}
    rows[_instance.name].append(
        {
            **source,
            "id": instance_id,
            "business_key": f"RMA-{started:%Y%m%d}-H{instance_id:06d}",
            "status": "cancelled" if cancelled else "completed",
            "outcome": outcome,
            "started_at": started,
            "ended_at": ended,
            "data": data,
            "order_no": f"SO-{started:%Y%m%d}-{rng.randrange(10**6):06d}",
            "customer_phone": f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
            "next_due_at": None,  # no open task
        }
    )
    first_done = started + timedelta(minutes=rng.randrange(5, 30 * 60))
    ids: dict[str, str] = {}
    answered: list[datetime] = []
    for task in template["tasks"]:
        ids[task["id"]] = str(uuid.uuid4())
        done = min(first_done + timedelta(minutes=rng.randrange(0, 3 * 24 * 60)), ended)
        if not cancelled and task["element_id"] in FIRST_RESPONSE_STEPS:
            answered.append(done)
        rows[_task.name].append(
            {
                **task,
                "id": ids[task["id"]],
                "instance_id": instance_id,
                "status": "cancelled" if cancelled else "completed",
                "created_at": started,
                "due_at": _moved(task["due_at"], shift),
                "completed_at": done,
                "completed_by": None if cancelled else "customer_service_demo",
            }
        )
    breached = rng.random() < 0.1
    for timer in template["timers"]:
        fired = breached and timer["sla"] is not None
        due = timer["due_at"] + shift
        rows[_timer.name].append(
            {
                **{k: v for k, v in timer.items() if k != "id"},
                "instance_id": instance_id,
                "task_id": str(uuid.uuid4()),
                "attached_to": ids.get(timer["attached_to"], timer["attached_to"]),
                "due_at": due,
                "status": "fired" if fired else "cancelled",
                "fired_at": due if fired else None,
                "lag_seconds": 0.4 if fired else None,
                "created_at": _moved(timer.get("created_at"), shift),
                "case_started_at": started if source["kind"] is not None else None,
            }
        )
        if fired:
            rows[_event.name].append(
                _event_row(instance_id, "sla_breached", due, timer["element_id"], sla=timer["sla"])
            )
    for recorded in template["events"]:
        if recorded["kind"] in ("instance_completed", "instance_cancelled"):
            continue
        rows[_event.name].append(
            {
                **{k: v for k, v in recorded.items() if k != "id"},
                "instance_id": instance_id,
                "at": recorded["at"] + shift,
            }
        )
    end_kind = "instance_cancelled" if cancelled else "instance_completed"
    rows[_event.name].append(_event_row(instance_id, end_kind, ended, outcome))
    case = rows[_instance.name][-1]  # the dashboard's figures, as the steps would have stored them
    case["first_response_seconds"] = (min(answered) - started).total_seconds() if answered else None
    case["resolution_seconds"] = None if cancelled else (ended - started).total_seconds()


def _event_row(
    instance_id: int, kind: str, at: datetime, element_id: str | None, **details: Any
) -> dict[str, Any]:
    return {
        "instance_id": instance_id,
        "at": at,
        "kind": kind,
        "actor": None,
        "element_id": element_id,
        "details": details,
    }


def _moved(at: datetime | None, shift: timedelta) -> datetime | None:
    return at + shift if at is not None else None


def monitor_pages(manager: Any, filled: Filled) -> list[Page]:
    """The pages timed; the dashboard and the heatmap only where their routes exist."""
    phones = filled.phones or ["13900000000"]

    def fragment(rng: random.Random) -> str:
        phone = rng.choice(phones)
        start = rng.randrange(3, len(phone) - 4)
        return phone[start : start + 5]

    month_ago = (datetime.now() - timedelta(days=30)).date().isoformat()
    today = datetime.now().date()
    year = f"from={today - timedelta(days=364)}&to={today}"  # the dashboard's own choices end at 90 days
    timed = [
        Page("cases, default (newest first)", "list", manager, lambda rng: "/monitor/instances"),
        Page("cases, running", "list", manager, lambda rng: "/monitor/instances?status=running"),
        Page(
            "cases, returns overdue", "list", manager, lambda rng: "/monitor/instances?kind=return&overdue=1"
        ),
        Page("cases, SLA breached", "list", manager, lambda rng: "/monitor/instances?breached=1"),
        Page(
            "cases, last 30 days", "list", manager, lambda rng: f"/monitor/instances?started_from={month_ago}"
        ),
        Page("cases, q=<phone part>", "list", manager, lambda rng: f"/monitor/instances?q={fragment(rng)}"),
        Page("cases, sorted by deadline", "list", manager, lambda rng: "/monitor/instances?sort=due"),
    ]
    for label, goal, url in (
        *(
            (f"dashboard, {days} days", "dashboard", f"/monitor/dashboard?days={days}")
            for days in (7, 30, 90)
        ),
        ("dashboard, 365 days", "dashboard", f"/monitor/dashboard?{year}"),
        *(
            (f"heatmap, rma_case, {days} days", "heatmap", f"/monitor/heatmap?process=rma_case&days={days}")
            for days in (7, 30, 90)
        ),
    ):
        if manager.get(url).status_code == 200:
            timed.append(Page(label, goal, manager, lambda rng, url=url: url))
        else:
            print(f"  ({label}: {url} not served yet, not timed)", file=sys.stderr)
    return timed


def report(label: str, filled: Filled, timed: list[Page], timings: dict[str, Any]) -> None:
    print(
        f"{label}: {filled.cases:,} cases, {filled.open_tasks:,} open tasks "
        f"(filled in {filled.seconds:.0f} s), "
        f"{len(next(iter(timings.values())).seconds)} requests of each page; server time in ms"
    )
    print_timings(timed, timings, GOALS_MS)


def run(label: str, url: str, data_dir: Path, cases: int, tasks: int, requests: int) -> None:
    services = _filled_before(url, data_dir)
    if services is not None:
        filled = _what_is_there(services)
    else:
        services = prepare(url, data_dir)

        def progress(done: int, total: int) -> None:
            print(f"\r  {label}: {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

        filled = fill(services, tasks, progress)
        print(" open tasks", file=sys.stderr)
        add_history(services, cases, filled, progress)
        print(" cases", file=sys.stderr)
    timed = monitor_pages(sign_in(services, MANAGER_NAME), filled)
    report(label, filled, timed, measure(services, timed, requests))
    services.database.dispose()


def _filled_before(url: str, data_dir: Path) -> Services | None:
    """Services on ``url`` when an earlier run filled it (migrated to the newest schema), else None."""
    services = bootstrap(Settings.from_env({}, data_dir=data_dir, database_url=url))
    before = current_revision(services.database)
    upgrade(services.database)
    with services.database.reading() as connection:
        if connection.execute(select(func.count()).select_from(_instance)).scalar_one() == 0:
            services.database.dispose()
            return None
    if before != current_revision(services.database) and not services.database.is_sqlite:
        # as after a fill: rows a migration rewrote would otherwise make index-only scans read the table
        with services.database.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return services


def _what_is_there(services: Services) -> Filled:
    with services.database.reading() as connection:
        count = connection.execute(select(func.count()).select_from(_instance)).scalar_one()
        open_tasks = connection.execute(select(func.count()).where(_task.c.status == "open")).scalar_one()
        phones = connection.execute(
            select(_instance.c.customer_phone).where(_instance.c.customer_phone.is_not(None)).limit(2_000)
        ).scalars()
        return Filled(open_tasks=open_tasks, cases=count, seconds=0.0, phones=list(phones))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases in all, open and finished")
    parser.add_argument("--tasks", type=int, default=20_000, help="open tasks")
    parser.add_argument("--requests", type=int, default=100, help="timed requests of each page")
    parser.add_argument("--postgres", action="store_true", help=f"also on a private database of {PG_ADMIN}")
    parser.add_argument(
        "--database",
        help="fill this database (a URL) and keep it; a database filled before is timed as it is",
    )
    args = parser.parse_args()
    if args.database:
        data_dir = Path(tempfile.mkdtemp(prefix="rma_monitor_"))
        run("given database", args.database, data_dir, args.cases, args.tasks, args.requests)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/monitor.sqlite3", Path(tmp), args.cases, args.tasks, args.requests)
    if not args.postgres:
        return
    with ExitStack() as stack:
        try:
            url = stack.enter_context(private_postgres(PG_ADMIN, "rma_bench"))
        except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
            print(f"PostgreSQL skipped ({str(error).splitlines()[0]})")
            return
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        run("PostgreSQL", url, data_dir, args.cases, args.tasks, args.requests)


if __name__ == "__main__":
    main()
