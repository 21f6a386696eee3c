"""heatmap waits: what the SLA heatmap needs to time every kind of wait, and to read from indexes.

- ``timer.created_at``: when the timer started waiting (the heatmap's time at a timer is its fire
  minus this). Older rows get an estimate: a boundary timer on a user task started with its task
  (exact); any other, at the case's last audit event before it fired (or fell due), which is the
  step that set it unless another branch of the case moved in between; else the case's start.
- ``message_subscription`` keeps a wait once it ends: ``status`` (waiting, delivered, withdrawn),
  ``ended_at``, and the ``process_key`` drawing its element (the ids of called processes can
  repeat). The rows of waits that ended before were deleted: nothing is left to restore; the waits
  open now are marked waiting, their process read from the case's element states.
- ``called_process``: one row per run of a call activity (the called process runs inside the case's
  workflow, so no instance row records it). Filled in for the cases already there from their
  element states (which call activities they entered and how those ended) and the called process's
  own tasks and timers (its first task or timer created: the start; its last one done: the end),
  an estimate, as a called process that ends on an automatic step or a message leaves no later trace.
- Covering indexes for the heatmap: a version's cases of a period (with what the list of late cases
  and its breakdowns show), and a case's tasks, timers
  (only those it reads: waited at, or fired on an SLA), message waits and called processes with
  what the heatmap counts and times.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CONTAINERS = {f"{BPMN}{name}" for name in ("process", "subProcess", "transaction", "adHocSubProcess")}
CHUNK = 2_000
# = models.TIMER_HEATMAP_WHERE: only the timers the heatmap reads (waited at, or fired on an SLA)
TIMER_WHERE = "attached_to IS NULL OR (sla IS NOT NULL AND status = 'fired')"
INDEXES: tuple[tuple[str, str, list[str], str | None], ...] = (
    (
        "ix_process_instance_heatmap",
        "process_instance",
        [
            "process_key",
            "version",
            "started_at",
            "id",
            *("status", "reason", "product_category", "business_key"),
        ],
        None,
    ),
    (
        "ix_human_task_heatmap",
        "human_task",
        ["instance_id", "process_key", "element_id", "status", "created_at", "completed_at"],
        None,
    ),
    (
        "ix_timer_heatmap",
        "timer",
        [
            "instance_id",
            "process_key",
            "element_id",
            "attached_to",
            "status",
            "sla",
            "created_at",
            "fired_at",
        ],
        TIMER_WHERE,
    ),
    (
        "ix_subscription_heatmap",
        "message_subscription",
        ["instance_id", "process_key", "element_id", "status", "created_at", "ended_at"],
        None,
    ),
)
_instance = sa.table(
    "process_instance",
    sa.column("id", sa.Integer),
    sa.column("definition_id", sa.Integer),
    sa.column("process_key", sa.String),
    sa.column("status", sa.String),
    sa.column("started_at", sa.DateTime),
    sa.column("ended_at", sa.DateTime),
    sa.column("element_states", sa.JSON),
)
_definition = sa.table("process_definition", sa.column("id", sa.Integer), sa.column("files", sa.JSON))
_blob = sa.table("blob", sa.column("sha256", sa.String), sa.column("content", sa.LargeBinary))
_task = sa.table(
    "human_task",
    *(sa.column(name, sa.DateTime) for name in ("created_at", "completed_at")),
    sa.column("instance_id", sa.Integer),
    sa.column("process_key", sa.String),
)
_timer = sa.table(
    "timer",
    *(sa.column(name, sa.DateTime) for name in ("created_at", "fired_at")),
    sa.column("instance_id", sa.Integer),
    sa.column("process_key", sa.String),
)
_subscription = sa.table(
    "message_subscription",
    sa.column("id", sa.Integer),
    sa.column("instance_id", sa.Integer),
    sa.column("element_id", sa.String),
    sa.column("process_key", sa.String),
)

TIMER_STARTED = """
UPDATE timer SET created_at = COALESCE(
  (SELECT human_task.created_at FROM human_task WHERE human_task.id = timer.attached_to),
  (SELECT max(event.at) FROM event
    WHERE event.instance_id = timer.instance_id AND event.at < COALESCE(timer.fired_at, timer.due_at)),
  (SELECT process_instance.started_at FROM process_instance WHERE process_instance.id = timer.instance_id))
"""


def upgrade() -> None:
    op.add_column("timer", sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(TIMER_STARTED)
    op.add_column("message_subscription", sa.Column("process_key", sa.String(255), nullable=True))
    op.add_column(
        "message_subscription",
        sa.Column("status", sa.String(20), nullable=False, server_default="waiting"),
    )
    op.add_column("message_subscription", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
    called = op.create_table(
        "called_process",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_id", sa.Integer, sa.ForeignKey("process_instance.id"), nullable=False),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("process_key", sa.String(255), nullable=False),
        sa.Column("element_id", sa.String(255), nullable=False),
        sa.Column("called_key", sa.String(255), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    assert called is not None
    op.create_index(
        "ix_called_process_heatmap",
        "called_process",
        ["instance_id", "process_key", "element_id", "status", "started_at", "ended_at"],
    )
    bind = op.get_bind()
    _fill_subscription_processes(bind)
    _fill_called_processes(bind, called)
    for name, table, columns, where in INDEXES:
        partial = (
            {} if where is None else {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}
        )
        op.create_index(name, table, columns, unique=False, **partial)


def downgrade() -> None:
    for name, table, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index("ix_called_process_heatmap", table_name="called_process")
    op.drop_table("called_process")
    op.execute("DELETE FROM message_subscription WHERE status <> 'waiting'")  # before: open waits only
    for column in ("ended_at", "status", "process_key"):
        op.drop_column("message_subscription", column)
    op.drop_column("timer", "created_at")


def _fill_subscription_processes(bind: sa.Connection) -> None:
    """The process of each open wait: the one whose element states hold its element (waiting first)."""
    rows = bind.execute(
        sa.select(
            _subscription.c.id,
            _subscription.c.element_id,
            _instance.c.process_key,
            _instance.c.element_states,
        ).select_from(_subscription.join(_instance, _instance.c.id == _subscription.c.instance_id))
    ).all()
    for row in rows:
        states: dict[str, dict[str, Any]] = row.element_states or {}
        holding = [key for key, elements in states.items() if row.element_id in elements]
        waiting = [key for key in holding if states[key][row.element_id].get("state") == "waiting"]
        key = (waiting or holding or [row.process_key])[0]
        bind.execute(sa.update(_subscription).where(_subscription.c.id == row.id).values(process_key=key))


def _call_activities(bind: sa.Connection) -> dict[int, list[tuple[str, str, str]]]:
    """Per definition id: (process key, call activity id, called process) of every call in its files."""
    found: dict[int, list[tuple[str, str, str]]] = {}
    parsed: dict[str, list[tuple[str, str, str]]] = {}
    for definition_id, files in bind.execute(sa.select(_definition.c.id, _definition.c.files)).all():
        calls: set[tuple[str, str, str]] = set()
        for name, sha in sorted((files or {}).items()):
            if not name.endswith(".bpmn"):
                continue
            if sha not in parsed:
                content = bind.execute(sa.select(_blob.c.content).where(_blob.c.sha256 == sha)).scalar()
                parsed[sha] = list(_calls_in(content)) if content else []
            calls.update(parsed[sha])
        if calls:
            found[int(definition_id)] = sorted(calls)
    return found


def _calls_in(content: bytes) -> Iterator[tuple[str, str, str]]:
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError:
        return
    pending: list[tuple[ElementTree.Element, str | None]] = [(root, None)]
    while pending:
        node, container = pending.pop()
        for child in node:
            inner = child.get("id") if child.tag in CONTAINERS else container
            if (
                child.tag == f"{BPMN}callActivity"
                and container
                and child.get("id")
                and child.get("calledElement")
            ):
                yield container, str(child.get("id")), str(child.get("calledElement"))
            pending.append((child, inner))


def _fill_called_processes(bind: sa.Connection, called: sa.Table) -> None:
    for definition_id, calls in _call_activities(bind).items():
        last = 0
        while True:
            chunk = bind.execute(
                sa.select(
                    _instance.c.id,
                    _instance.c.status,
                    _instance.c.started_at,
                    _instance.c.ended_at,
                    _instance.c.element_states,
                )
                .where(_instance.c.definition_id == definition_id, _instance.c.id > last)
                .order_by(_instance.c.id)
                .limit(CHUNK)
            ).all()
            if not chunk:
                break
            last = chunk[-1].id
            spans = _child_spans(bind, [row.id for row in chunk])
            rows = [run for row in chunk for run in _runs(row, calls, spans)]
            if rows:
                bind.execute(sa.insert(called), rows)


def _child_spans(bind: sa.Connection, ids: list[int]) -> dict[tuple[int, str], tuple[Any, Any]]:
    """(instance, process) -> (first task or timer created, last one completed or fired)."""
    spans: dict[tuple[int, str], list[Any]] = defaultdict(lambda: [None, None])
    for table, start, end in (
        (_task, _task.c.created_at, _task.c.completed_at),
        (_timer, _timer.c.created_at, _timer.c.fired_at),
    ):
        query = (
            sa.select(table.c.instance_id, table.c.process_key, sa.func.min(start), sa.func.max(end))
            .where(table.c.instance_id.in_(ids))
            .group_by(table.c.instance_id, table.c.process_key)
        )
        for instance_id, key, first, final in bind.execute(query):
            span = spans[(instance_id, key)]
            span[0] = _earliest(span[0], first)
            span[1] = _latest(span[1], final)
    return {key: (span[0], span[1]) for key, span in spans.items()}


def _runs(
    row: Any, calls: list[tuple[str, str, str]], spans: dict[tuple[int, str], tuple[Any, Any]]
) -> Iterator[dict[str, Any]]:
    states: dict[str, dict[str, Any]] = row.element_states or {}
    ended = row.status in ("completed", "cancelled")
    for process_key, element_id, called_key in calls:
        state = states.get(process_key, {}).get(element_id, {}).get("state")
        if state is None:
            continue  # never entered
        first, final = spans.get((row.id, called_key), (None, None))
        if state == "completed":
            status = "completed"
        elif state == "cancelled" or ended:
            status = "cancelled"
        else:
            status = "running"
        started = first or row.started_at
        finish = None if status == "running" else (final if status == "completed" and final else row.ended_at)
        yield {
            "instance_id": row.id,
            "task_id": "",  # unknown here: the case's next step gives its running one the engine's id
            "process_key": process_key,
            "element_id": element_id,
            "called_key": called_key,
            "status": status,
            "started_at": started,
            "ended_at": _latest(finish, started) if finish is not None else None,
        }


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)
