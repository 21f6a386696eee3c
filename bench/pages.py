"""Speed of the staff pages on a database of 20,000 open tasks: the inbox and a task page.

Fills a fresh database: processes/ and forms/ deployed, the demo's cases started through the
service (real definitions, forms, open tasks, timers and audit events), then copies of the demo
cases that have open tasks (instance row, open tasks, timers, events) inserted in batches with
Core executemany until --tasks tasks are open. The copies differ where the inbox looks: RMA
number, customer name and phone, order number, product, group holder, created and due times (a
quarter of the deadlines passed, tasks with no SLA keep none). They are for reading: their
workflow state is their demo case's, so completing one would not find its task.

Then signs in through the Flask test client (the real app, CSRF on) as a customer-service agent
and as a manager and times --requests GETs of each page in this process (the server's time:
routing, session, queries, template), the pages taking turns so that a noisy machine weighs on
all alike. Prints p50/p95/max in ms, statements per request and p95 against the goal (inbox
100 ms, task page 150 ms). SQLite always (a file, as `rma serve` uses it); --postgres adds a
private PostgreSQL database on 127.0.0.1 (vacuumed and analysed after the fill, as autovacuum
would soon after).
Usage: python bench/pages.py [--tasks 20000] [--requests 200] [--postgres]
"""

from __future__ import annotations

import argparse
import copy
import itertools
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Connection, event, func, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from page_client import csrf_token  # noqa: E402
from support import private_postgres  # noqa: E402

from rma_orchestrator.bootstrap import bootstrap  # noqa: E402
from rma_orchestrator.config import Settings  # noqa: E402
from rma_orchestrator.service.context import SYSTEM, Services  # noqa: E402
from rma_orchestrator.service.definitions import deploy  # noqa: E402
from rma_orchestrator.service.demo import LANES, seed_demo  # noqa: E402
from rma_orchestrator.service.users import add_user  # noqa: E402
from rma_orchestrator.store.migrate import upgrade  # noqa: E402
from rma_orchestrator.store.models import TABLES  # noqa: E402
from rma_orchestrator.web import create_app  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "bench pages password"
AGENT_NAME, MANAGER_NAME = "bench_cs", "bench_manager"
BATCH = 2_000  # open tasks per batch of inserts
RESET_SEQUENCE = (
    "SELECT setval(pg_get_serial_sequence('process_instance', 'id'), max(id)) FROM process_instance"
)
GOALS_MS = {"inbox": 100.0, "task": 150.0}
INBOX_TOTAL = re.compile(r"([\d,]+) tasks, page \d+ of \d+")

_instance, _task, _timer, _event = (
    TABLES[name] for name in ("process_instance", "human_task", "timer", "event")
)


def _pairs(text: str) -> list[tuple[str, str]]:
    """``"王 Wang 李 Li"`` → ``[("王", "Wang"), ("李", "Li")]``: what the copies' names come from."""
    words = text.split()
    return list(zip(words[::2], words[1::2], strict=True))


SURNAMES = _pairs("王 Wang 李 Li 张 Zhang 刘 Liu 陈 Chen 杨 Yang 赵 Zhao 黄 Huang 周 Zhou 吴 Wu")
GIVEN_NAMES = _pairs("芳 Fang 伟 Wei 娜 Na 敏 Min 静 Jing 丽 Li 强 Qiang 磊 Lei 军 Jun 洋 Yang")
PRODUCTS = [
    " ".join(pair) for pair in _pairs("电热水壶 Kettle 手机 Phone 吹风机 Hair-dryer 电饭煲 Rice-cooker")
]


@dataclass
class Filled:
    """What the fill made: counts, and the values the timed requests pick from."""

    open_tasks: int
    cases: int
    seconds: float
    task_ids: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)


def prepare(url: str, data_dir: Path) -> Services:
    """Services on a migrated database with processes/ and forms/ deployed, the demo's users and
    cases started through the service, and the two users the benchmark signs in as."""
    services = bootstrap(Settings.from_env({}, data_dir=data_dir, database_url=url))
    upgrade(services.database)
    files = {
        p.name: p.read_bytes()
        for directory in ("processes", "forms")
        for p in sorted((ROOT / directory).iterdir())
        if p.suffix in (".bpmn", ".dmn", ".json")
    }
    deploy(services, files, SYSTEM)
    seeded = seed_demo(services)
    assert seeded.skipped is None, seeded.skipped
    add_user(services, AGENT_NAME, ["customer_service"], "staff", PASSWORD)
    add_user(services, MANAGER_NAME, ["after_sales_manager"], "manager", PASSWORD)
    return services


def fill(
    services: Services, tasks: int, progress: Callable[[int, int], None] = lambda done, total: None
) -> Filled:
    """Copy the demo cases with open tasks until ``tasks`` tasks are open, BATCH tasks per transaction."""
    began = time.perf_counter()
    rng = random.Random(20261202)
    now = services.clock.now()
    with services.database.reading() as connection:
        templates = itertools.cycle(_templates(connection))
        next_id = connection.execute(select(func.max(_instance.c.id))).scalar_one() + 1
        open_now = connection.execute(select(func.count()).where(_task.c.status == "open")).scalar_one()
        cases = connection.execute(select(func.count()).select_from(_instance)).scalar_one()
    filled = Filled(open_tasks=open_now, cases=cases, seconds=0.0)
    while filled.open_tasks < tasks:
        rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        in_batch = 0
        while in_batch < BATCH and filled.open_tasks + in_batch < tasks:
            template = next(templates)
            want = min(len(template.tasks), tasks - filled.open_tasks - in_batch)
            in_batch += _clone(template, want, next_id, now, rng, rows, filled)
            next_id += 1
        with services.database.engine.begin() as connection:
            for table in (_instance, _task, _timer, _event):
                if rows[table.name]:
                    connection.execute(insert(table), rows[table.name])
        filled.open_tasks += in_batch
        filled.cases += len(rows[_instance.name])
        progress(filled.open_tasks, tasks)
    if not services.database.is_sqlite:  # explicit ids leave the sequence behind; autovacuum's work
        with services.database.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
            connection.execute(text(RESET_SEQUENCE))
            connection.execute(text("VACUUM ANALYZE"))
    filled.seconds = time.perf_counter() - began
    return filled


@dataclass(frozen=True)
class _Template:
    instance: dict[str, Any]
    tasks: list[dict[str, Any]]  # its open tasks
    timers: list[dict[str, Any]]
    events: list[dict[str, Any]]


def _templates(connection: Connection) -> list[_Template]:
    """The demo cases that have open tasks, each with every row the copies repeat."""
    open_rows = connection.execute(select(_task).where(_task.c.status == "open").order_by(_task.c.id)).all()
    tasks_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in open_rows:
        tasks_of[row.instance_id].append(dict(row._mapping))
    templates = []
    for instance_id, tasks in sorted(tasks_of.items()):
        instance = connection.execute(select(_instance).where(_instance.c.id == instance_id)).one()
        timers = connection.execute(select(_timer).where(_timer.c.instance_id == instance_id)).all()
        events = connection.execute(select(_event).where(_event.c.instance_id == instance_id)).all()
        templates.append(
            _Template(
                dict(instance._mapping),
                tasks,
                [dict(r._mapping) for r in timers],
                [dict(r._mapping) for r in events],
            )
        )
    return templates


def _clone(
    template: _Template,
    want: int,
    instance_id: int,
    now: datetime,
    rng: random.Random,
    rows: dict[str, list[dict[str, Any]]],
    filled: Filled,
) -> int:
    """Rows of one copy of ``template`` with its first ``want`` open tasks added to ``rows``; returns want."""
    started = now - timedelta(minutes=rng.randrange(10, 14 * 24 * 60))
    shift = started - template.instance["started_at"]
    surname, given = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
    person = {
        "name": f"{surname[0]}{given[0]} {given[1]} {surname[1]}",
        "phone": f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
        "order_no": f"SO-{started:%Y%m%d}-{rng.randrange(10**6):06d}",
        "product": rng.choice(PRODUCTS),
    }
    instance = {
        **template.instance,
        "id": instance_id,
        "business_key": f"RMA-{started:%Y%m%d}-{instance_id:05d}",
        "started_at": started,
        "data": _personal(template.instance["data"], person),
        "customer_name": person["name"],
        "customer_phone": person["phone"],
        "order_no": person["order_no"],
        "product_name": person["product"],
        "first_response_seconds": None,  # a copy's tasks are its open ones: none answered it
    }
    rows[_instance.name].append(instance)
    filled.phones.append(person["phone"])
    new_ids: dict[str, str] = {}
    dues: dict[str, datetime | None] = {}
    for task in template.tasks[:want]:
        task_id = str(uuid.uuid4())
        new_ids[task["id"]] = task_id
        due = _due(task["due_at"], now, rng)
        dues[task["id"]] = due
        assignee = _holder(task["group_name"], rng)
        rows[_task.name].append(
            {
                **task,
                "id": task_id,
                "instance_id": instance_id,
                "assignee": assignee,
                "created_at": task["created_at"] + shift,
                "due_at": due,
                "data": _personal(task["data"], person) if task["data"] is not None else None,
            }
        )
        filled.task_ids.append(task_id)
    instance["next_due_at"] = min((due for due in dues.values() if due is not None), default=None)
    for timer in template.timers:
        attached = timer["attached_to"]
        due = timer["due_at"] + shift
        status = timer["status"]
        if attached in dues:  # the SLA of a copied task: its deadline, fired if it has passed
            if dues[attached] is None:
                continue
            due = dues[attached]
            status = "pending" if due > now else "fired"
        elif attached in {t["id"] for t in template.tasks}:
            continue  # guards a task this copy leaves out
        rows[_timer.name].append(
            {
                **{k: v for k, v in timer.items() if k != "id"},
                "instance_id": instance_id,
                "task_id": str(uuid.uuid4()),
                "attached_to": new_ids.get(attached, attached),
                "due_at": due,
                "status": status,
                "fired_at": due if status == "fired" else _shifted(timer["fired_at"], shift),
                "created_at": _shifted(timer.get("created_at"), shift),
                "case_started_at": _shifted(timer["case_started_at"], shift),
            }
        )
    for recorded in template.events:
        details = dict(recorded["details"])
        if details.get("task_id") in new_ids:
            details["task_id"] = new_ids[details["task_id"]]
        rows[_event.name].append(
            {
                **{k: v for k, v in recorded.items() if k != "id"},
                "instance_id": instance_id,
                "at": recorded["at"] + shift,
                "details": details,
            }
        )
    return want


def _holder(group: str | None, rng: random.Random) -> str | None:
    """Who holds a copied task: the agent 5 % of customer service's, a demo user of the lane 10 %."""
    roll = rng.random()
    if roll < 0.05 and group == "customer_service":
        return AGENT_NAME
    if roll > 0.9 and group in LANES:
        return f"{group}_demo"
    return None


def _shifted(at: datetime | None, shift: timedelta) -> datetime | None:
    return at + shift if at is not None else None


def _due(template_due: datetime | None, now: datetime, rng: random.Random) -> datetime | None:
    """A task with an SLA gets a deadline, a quarter of them passed; one without keeps none."""
    if template_due is None:
        return None
    if rng.random() < 0.25:
        return now - timedelta(minutes=rng.randrange(5, 10 * 24 * 60))
    return now + timedelta(minutes=rng.randrange(5, 7 * 24 * 60))


def _personal(data: dict[str, Any], person: dict[str, str]) -> dict[str, Any]:
    """``data`` with this copy's customer, order number and product name where it has them."""
    data = copy.deepcopy(data)
    if isinstance(data.get("customer"), dict):
        data["customer"].update(name=person["name"], phone=person["phone"])
    if "order_no" in data:
        data["order_no"] = person["order_no"]
    if isinstance(data.get("product"), dict):
        data["product"]["name"] = person["product"]
    return data


def sign_in(services: Services, name: str) -> FlaskClient:
    """A test client of a new app on ``services`` signed in as ``name`` (English pages, CSRF on)."""
    app = create_app(services=services)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    answer = client.post(
        "/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


@dataclass(frozen=True)
class Page:
    label: str
    goal: str  # a key of GOALS_MS
    client: FlaskClient
    url: Callable[[random.Random], str]  # a new address per request


def pages(agent: FlaskClient, manager: FlaskClient, filled: Filled) -> list[Page]:
    """The pages timed: the agent's inbox tabs, the manager's with filters, random task pages."""
    phones, task_ids = filled.phones or ["139"], filled.task_ids

    def fragment(rng: random.Random) -> str:
        phone = rng.choice(phones)
        start = rng.randrange(3, len(phone) - 4)
        return phone[start : start + 5]

    return [
        Page("inbox, agent's default (mine)", "inbox", agent, lambda rng: "/tasks?view=mine"),
        Page("inbox, agent's groups, unclaimed", "inbox", agent, lambda rng: "/tasks?view=groups"),
        Page("inbox, manager, view=all", "inbox", manager, lambda rng: "/tasks?view=all"),
        Page(
            "inbox, manager, all, q=<phone part>",
            "inbox",
            manager,
            lambda rng: f"/tasks?view=all&q={fragment(rng)}",
        ),
        Page("inbox, manager, all, overdue=1", "inbox", manager, lambda rng: "/tasks?view=all&overdue=1"),
        Page(
            "task page, manager, random task", "task", manager, lambda rng: f"/tasks/{rng.choice(task_ids)}"
        ),
    ]


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)


@contextmanager
def counting_statements(services: Services) -> Iterator[list[int]]:
    """A one-item list counting the statements the engine sends while inside."""
    count = [0]

    def _count(*_: Any) -> None:
        count[0] += 1

    event.listen(services.database.engine, "before_cursor_execute", _count)
    try:
        yield count
    finally:
        event.remove(services.database.engine, "before_cursor_execute", _count)


def measure(services: Services, timed: list[Page], requests: int, warm_up: int = 5) -> dict[str, Timing]:
    """Time ``requests`` GETs of each page, the pages taking turns, after ``warm_up`` untimed rounds."""
    rng = random.Random(7)
    timings = {page.label: Timing() for page in timed}
    with counting_statements(services) as count:
        for turn in range(warm_up + requests):
            for page in timed:
                url = page.url(rng)
                before = count[0]
                began = time.perf_counter()
                answer = page.client.get(url)
                elapsed = time.perf_counter() - began
                assert answer.status_code == 200, (url, answer.status_code)
                if turn >= warm_up:
                    timings[page.label].seconds.append(elapsed)
                    timings[page.label].statements.append(count[0] - before)
    return timings


def inbox_total(client: FlaskClient, url: str) -> int:
    """The task count an inbox page states under its table (0 when it shows none)."""
    found = INBOX_TOTAL.search(client.get(url).get_data(as_text=True))
    return int(found.group(1).replace(",", "")) if found else 0


def report(label: str, filled: Filled, timed: list[Page], timings: dict[str, Timing]) -> None:
    print(
        f"{label}: {filled.open_tasks:,} open tasks in {filled.cases:,} cases "
        f"(filled in {filled.seconds:.1f} s), "
        f"{len(next(iter(timings.values())).seconds)} requests of each page; server time in ms"
    )
    print_timings(timed, timings, GOALS_MS)


def print_timings(timed: list[Page], timings: dict[str, Timing], goals: dict[str, float]) -> None:
    """A row a page: p50, p95 and max ms, the median statements a request, p95 against its goal."""
    width = max(len(page.label) for page in timed)
    print(f"  {'page':{width}s} {'p50':>7s} {'p95':>7s} {'max':>7s} {'stmts':>6s}  p95/goal")
    for page in timed:
        ms = sorted(s * 1000 for s in timings[page.label].seconds)
        p95 = ms[max(0, int(len(ms) * 0.95) - 1)]
        goal = goals[page.goal]
        print(
            f"  {page.label:{width}s} {statistics.median(ms):7.1f} {p95:7.1f} {ms[-1]:7.1f} "
            f"{statistics.median(timings[page.label].statements):6.0f}  {p95 / goal:.2f} of {goal:.0f} ms"
        )


def run(label: str, url: str, data_dir: Path, tasks: int, requests: int) -> None:
    services = prepare(url, data_dir)

    def progress(done: int, total: int) -> None:
        print(f"\r  {label}: {done:,}/{total:,} open tasks", end="", file=sys.stderr, flush=True)

    filled = fill(services, tasks, progress)
    print(file=sys.stderr)
    timed = pages(sign_in(services, AGENT_NAME), sign_in(services, MANAGER_NAME), filled)
    timings = measure(services, timed, requests)
    report(label, filled, timed, timings)
    services.database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20_000, help="open tasks to fill the database with")
    parser.add_argument("--requests", type=int, default=200, help="timed requests of each page")
    parser.add_argument("--postgres", action="store_true", help=f"also on a private database of {PG_ADMIN}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/pages.sqlite3", Path(tmp), args.tasks, args.requests)
    if not args.postgres:
        return
    with ExitStack() as stack:
        try:
            url = stack.enter_context(private_postgres(PG_ADMIN, "rma_bench"))
        except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
            print(f"PostgreSQL skipped ({str(error).splitlines()[0]})")
            return
        run(
            "PostgreSQL",
            url,
            Path(stack.enter_context(tempfile.TemporaryDirectory())),
            args.tasks,
            args.requests,
        )


if __name__ == "__main__":
    main()
