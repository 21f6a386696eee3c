"""batch background: a batch run is worked in the background by the scheduler's batch worker, so a
run gets a status (prepared | running | finished | stopped), who stopped it and when, and the
authority it acts with; each case gets a lease (claimed_by, lease_until) and a count of its claims,
and the cases still to do a partial index (what a worker claims next).

Existing runs ran inside a web request and are over: they become ``finished`` (an interrupted one
gets the time of its last outcome, or its start, as its end), and a case of theirs still
``pending`` was cut off before its outcome was written: it becomes ``skipped``, saying so.

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

CUT_OFF = (
    "not recorded: the run was interrupted before this case's outcome was written; "
    "the case's history says whether it was done"
)
PENDING = sa.text("outcome = 'pending'")


def upgrade() -> None:
    op.add_column("batch_run", sa.Column("status", sa.String(10), nullable=False, server_default="finished"))
    op.add_column("batch_run", sa.Column("actor_role", sa.String(20), nullable=True))
    op.add_column("batch_run", sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("batch_run", sa.Column("stopped_by", sa.String(120), nullable=True))
    op.add_column("batch_item", sa.Column("claimed_by", sa.String(120), nullable=True))
    op.add_column("batch_item", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("batch_item", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE batch_run SET finished_at = COALESCE("
        "(SELECT MAX(done_at) FROM batch_item WHERE batch_item.batch_id = batch_run.id), created_at) "
        "WHERE finished_at IS NULL"
    )
    item = sa.table(
        "batch_item",
        sa.column("outcome", sa.String),
        sa.column("message", sa.Text),
    )
    op.execute(item.update().where(item.c.outcome == "pending").values(outcome="skipped", message=CUT_OFF))
    op.create_index(
        "ix_batch_item_pending",
        "batch_item",
        ["batch_id", "position"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    """Back to synchronous runs: prepared ones go, skipped cases read as failed (their message says why)."""
    op.drop_index("ix_batch_item_pending", table_name="batch_item")
    op.execute(
        "DELETE FROM batch_item WHERE batch_id IN (SELECT id FROM batch_run WHERE status = 'prepared')"
    )
    op.execute("DELETE FROM batch_run WHERE status = 'prepared'")
    op.execute("UPDATE batch_item SET outcome = 'failed' WHERE outcome = 'skipped'")
    for column in ("attempts", "lease_until", "claimed_by"):
        op.drop_column("batch_item", column)
    for column in ("stopped_by", "stopped_at", "actor_role", "status"):
        op.drop_column("batch_run", column)
