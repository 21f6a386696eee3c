"""The tables of DESIGN §3, declared once.

The declarative classes give Alembic and the tests their metadata; the repositories in
``store/`` run Core statements against ``TABLES`` on the unit of work's connection.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


def _where(condition: str) -> dict[str, Any]:
    """A partial index's condition, on both databases: the index holds the rows that meet it."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


class Blob(Base):
    """File contents addressed by their SHA-256, shared by every deployment that uploads them."""

    __tablename__ = "blob"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Deployment(Base):
    __tablename__ = "deployment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(120))
    content_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)  # the change note of a deploy from the modeler


class DeploymentFile(Base):
    __tablename__ = "deployment_file"
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    __table_args__ = (Index("ix_deployment_file_name", "name", "deployment_id"),)


class ProcessDefinition(Base):
    __tablename__ = "process_definition"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(255))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    files: Mapped[dict[str, Any]]  # file name -> sha256: everything the version depends on
    main_file: Mapped[str] = mapped_column(String(255))
    start_form: Mapped[str | None] = mapped_column(String(255))
    deployed_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("process_key", "version"),)


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    process_key: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int]
    business_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    outcome: Mapped[str | None] = mapped_column(String(255))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    started_by: Mapped[str | None] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]]
    element_states: Mapped[dict[str, Any]]
    projection: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what the last step projected
    revision: Mapped[int] = mapped_column(Integer)
    order_no: Mapped[str | None] = mapped_column(String(120), index=True)
    customer_name: Mapped[str | None] = mapped_column(String(255))
    customer_phone: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str | None] = mapped_column(String(40))
    product_category: Mapped[str | None] = mapped_column(String(40))
    product_name: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(String(40))  # the case's reason (the dashboard's rates)
    # The earliest due time of the case's open tasks (null without one), written with each step's
    # projection: the case list sorts by it from an index instead of grouping every open task.
    next_due_at: Mapped[datetime | None]
    # The dashboard's per-case figures, set in the step that ends them (store/instances.py): seconds
    # from registration to the first completed review_case or request_documents task, and to the end
    # of a completed case (null while there is none, and for a cancelled case).
    first_response_seconds: Mapped[float | None]
    resolution_seconds: Mapped[float | None]
    # The inbox's kind filter and text search read this index, never the rows: a row's later
    # columns sit past its state, which SQLite keeps in overflow pages.
    __table_args__ = (
        Index(
            "ix_process_instance_inbox_search",
            "kind",
            "business_key",
            "order_no",
            "customer_name",
            "customer_phone",
            "id",  # implied on SQLite; PostgreSQL answers from the index alone only with it
        ),
        # The managers' instance list (/monitor/instances): newest first, with what it filters on.
        Index("ix_process_instance_monitor", "status", "started_at", "id", "process_key", "version", "kind"),
        Index("ix_process_instance_started", "started_at", "id"),  # an export's chunks, newest first
        # The list by next deadline, nulls last: read forward for the earliest first, backward for the
        # latest first (a scan runs one way over every column, hence one index per direction).
        Index("ix_process_instance_due_first", text("(next_due_at IS NULL)"), "next_due_at", "id"),
        Index("ix_process_instance_due_last", text("(next_due_at IS NOT NULL)"), "next_due_at", "id"),
        # The managers' dashboard (/monitor/dashboard): the cases of a period with what it groups by
        # and sums, and each figure in its own order, for its median and 90th percentile.
        Index(
            "ix_process_instance_dashboard",
            *("started_at", "kind", "reason", "product_category", "status", "outcome", "ended_at"),
            *("first_response_seconds", "resolution_seconds"),
        ),
        Index(  # the same in the order of what a period's pass groups by, for a long period
            "ix_process_instance_dashboard_groups",
            *("reason", "product_category", "started_at", "kind", "outcome"),
            *("first_response_seconds", "resolution_seconds"),
        ),
        Index("ix_process_instance_kind_started", "kind", "started_at", "status"),  # the repair figures
        Index(
            "ix_process_instance_first_response",
            "first_response_seconds",
            "started_at",
            "kind",
            **_where("first_response_seconds IS NOT NULL"),
        ),
        Index(
            "ix_process_instance_resolution",
            "resolution_seconds",
            "started_at",
            "kind",
            **_where("resolution_seconds IS NOT NULL"),
        ),
        # The SLA heatmap: one version's cases of a period, and its late cases with what the list and
        # its breakdowns show, from the index alone (reason and category sit past the state).
        Index(
            "ix_process_instance_heatmap",
            *("process_key", "version", "started_at", "id"),
            *("status", "reason", "product_category", "business_key"),
        ),
    )
    # Every UPDATE says WHERE revision = <the one read> and bumps it: a write based on a stale
    # read fails (StaleDataError) instead of overwriting, whatever locking did or did not happen.
    __mapper_args__ = {"version_id_col": revision}


class BusinessKeyCounter(Base):
    """Last sequence number handed out per business day, for keys like RMA-20261125-0001."""

    __tablename__ = "business_key_counter"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int]


class HumanTask(Base):
    __tablename__ = "human_task"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the engine's task id
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(255))
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    group: Mapped[str | None] = mapped_column("group_name", String(120), index=True)
    assignee: Mapped[str | None] = mapped_column(String(120))
    form: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(120))
    data: Mapped[dict[str, Any] | None]  # what the form starts from: the task's data when it opened
    # The inbox: open tasks by next deadline with every column its filters read (a page and its
    # total come from this index alone), a group's queue, a user's own tasks (these two also
    # serve what single-column indexes on status and assignee did).
    __table_args__ = (
        Index(
            "ix_human_task_inbox",
            "status",
            "due_at",
            "created_at",
            "id",
            "group_name",
            "assignee",
            "instance_id",
        ),
        Index("ix_human_task_status_group", "status", "group_name"),
        Index("ix_human_task_assignee_status", "assignee", "status"),
        Index("ix_human_task_step", "status", "element_id", "instance_id"),  # cases waiting at a step
        # The same with the step's name: the dashboard's open cases by step from the index alone.
        Index("ix_human_task_step_names", "status", "element_id", "instance_id", "name"),
        Index("ix_human_task_instance_open", "instance_id", "status", "due_at"),  # a case's next deadline
        # The dashboard's first response: a case's tasks at an element with their completion.
        Index("ix_human_task_instance_element", "instance_id", "element_id", "completed_at"),
        # The SLA heatmap: a case's tasks with what it counts and times, read from the index alone.
        Index(
            "ix_human_task_heatmap",
            *("instance_id", "process_key", "element_id", "status", "created_at", "completed_at"),
        ),
    )


class TaskDraft(Base):
    """Form data a user saved on an open task without completing it; gone when the task closes."""

    __tablename__ = "task_draft"
    task_id: Mapped[str] = mapped_column(ForeignKey("human_task.id"), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(120), primary_key=True)
    data: Mapped[dict[str, Any]]
    saved_at: Mapped[datetime]


_BREACHED = text("status = 'fired' AND sla IS NOT NULL")  # an SLA timer that fired
# The timers the SLA heatmap reads (a partial index: most timers are boundary timers cancelled with
# their task); its statement says the very same, or neither database uses the index.
TIMER_HEATMAP_WHERE = "attached_to IS NULL OR (sla IS NOT NULL AND status = 'fired')"


class Timer(Base):
    __tablename__ = "timer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))  # the engine's waiting task
    element_id: Mapped[str] = mapped_column(String(255))
    process_key: Mapped[str] = mapped_column(String(255))
    attached_to: Mapped[str | None] = mapped_column(String(36))  # human task guarded by it
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    sla: Mapped[str | None] = mapped_column(String(120))
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None]
    fired_at: Mapped[datetime | None]
    created_at: Mapped[datetime | None]  # set since migration 0016 (estimated there for older rows)
    lag_seconds: Mapped[float | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # claims not fired
    # The registration of the timer's case (its instance's started_at; null when the instance is no
    # case), which never changes: the dashboard's breach rates of a period read the timers alone.
    case_started_at: Mapped[datetime | None]
    __table_args__ = (
        UniqueConstraint("instance_id", "task_id", "due_at"),
        Index("ix_timer_status_due", "status", "due_at"),
        Index("ix_timer_sla_breach", "status", "sla", "instance_id"),  # cases whose SLA was breached
        # The cases whose SLA was breached, in id order: counted (and listed) from this index alone.
        Index("ix_timer_breached", "instance_id", postgresql_where=_BREACHED, sqlite_where=_BREACHED),
        Index(  # the SLA heatmap: a case's timers waited at, or fired on an SLA, with their times
            "ix_timer_heatmap",
            *("instance_id", "process_key", "element_id", "attached_to", "status", "sla"),
            *("created_at", "fired_at"),
            sqlite_where=text(TIMER_HEATMAP_WHERE),
            postgresql_where=text(TIMER_HEATMAP_WHERE),
        ),
        Index("ix_timer_instance_sla", "instance_id", "sla", "status"),  # a case's SLA timers
        # The dashboard's breach rates of a period, and of a long period in their groups' order.
        Index("ix_timer_case_sla", "case_started_at", "sla", "status", **_where("sla IS NOT NULL")),
        Index("ix_timer_sla_case", "sla", "status", "case_started_at", **_where("sla IS NOT NULL")),
    )


class MessageSubscription(Base):
    """A wait for a message: open while ``status`` is waiting; kept when it ends (delivered, or
    withdrawn: another event won, the activity ended) with the time, for the SLA heatmap."""

    __tablename__ = "message_subscription"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(120))
    message_name: Mapped[str] = mapped_column(String(255))
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(255))
    process_key: Mapped[str | None] = mapped_column(String(255))  # the process drawing the element
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="waiting", server_default="waiting")
    ended_at: Mapped[datetime | None]
    __table_args__ = (
        Index("ix_subscription_key_name", "business_key", "message_name"),
        Index(
            "ix_subscription_heatmap",
            *("instance_id", "process_key", "element_id", "status", "created_at", "ended_at"),
        ),
    )


class MessageInbox(Base):
    """Every message received: kept until an instance waits for it, and the idempotency record."""

    __tablename__ = "message_inbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    business_key: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]]
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    received_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))  # pending | delivered | expired
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    delivered_at: Mapped[datetime | None]
    actor: Mapped[str | None] = mapped_column(String(120))
    __table_args__ = (Index("ix_inbox_key_status", "business_key", "status"),)


class Event(Base):
    __tablename__ = "event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(60), index=True)
    actor: Mapped[str | None] = mapped_column(String(120))
    element_id: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[dict[str, Any]]


class Incident(Base):
    __tablename__ = "incident"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    command: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(120))


class Attachment(Base):
    """A photo, proof of purchase or other evidence: its bytes live on disk under the data dir, by hash.

    ``instance_id`` is null while the upload is staged (a new case's files come before the case).
    """

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[datetime]
    task_id: Mapped[str | None] = mapped_column(String(36))  # the task whose form it came with


# The product records, the batch runs, the runs of call activities, the staff's accounts and
# settings and the modeler's diagram drafts live in modules of their own on the same Base; importing
# them here registers their tables wherever the metadata is read.
from . import batch_models, call_models, draft_models, product_models, staff_models  # noqa: E402, F401

TABLES = Base.metadata.tables
