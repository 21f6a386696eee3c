"""the staff's inbox: phone and product copied onto instances (backfilled from their data), inbox
indexes on human tasks, task drafts, saved inbox filters, a language per user, sign-in failures

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PHONE_LENGTH, PRODUCT_NAME_LENGTH = 40, 255
BATCH = 500

instance = sa.table(
    "process_instance",
    sa.column("id", sa.Integer()),
    sa.column("data", sa.JSON()),
    sa.column("customer_phone", sa.String()),
    sa.column("product_name", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_phone", sa.String(length=PHONE_LENGTH), nullable=True))
        batch_op.add_column(sa.Column("product_name", sa.String(length=PRODUCT_NAME_LENGTH), nullable=True))
    _backfill()
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_index("ix_human_task_status")
        batch_op.drop_index("ix_human_task_assignee")
        batch_op.create_index("ix_human_task_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_human_task_status_group", ["status", "group_name"], unique=False)
        batch_op.create_index("ix_human_task_assignee_status", ["assignee", "status"], unique=False)
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=10), nullable=True))
    op.create_table(
        "task_draft",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("user_name", sa.String(length=120), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["human_task.id"]),
        sa.PrimaryKeyConstraint("task_id", "user_name"),
    )
    op.create_table(
        "saved_filter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_name", "name"),
    )
    op.create_table(
        "sign_in_failure",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def _backfill() -> None:
    """Copy data.customer.phone and data.product.name of every instance, a batch of rows at a time."""
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(instance.c.id, instance.c.data)
            .where(instance.c.id > last)
            .order_by(instance.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changes = []
        for row in rows:
            data = row.data if isinstance(row.data, dict) else {}
            phone = _field(data, "customer", "phone", PHONE_LENGTH)
            product = _field(data, "product", "name", PRODUCT_NAME_LENGTH)
            if phone is not None or product is not None:
                changes.append({"b_id": row.id, "phone": phone, "product": product})
        if changes:
            connection.execute(
                instance.update()
                .where(instance.c.id == sa.bindparam("b_id"))
                .values(customer_phone=sa.bindparam("phone"), product_name=sa.bindparam("product")),
                changes,
            )
        last = rows[-1].id


def _field(data: dict[str, Any], outer: str, inner: str, limit: int) -> str | None:
    """``data[outer][inner]`` as text cut to its column, as the service copies it at start."""
    holder = data.get(outer)
    value = holder.get(inner) if isinstance(holder, dict) else None
    return str(value)[:limit] if value is not None else None


def downgrade() -> None:
    op.drop_table("sign_in_failure")
    op.drop_table("saved_filter")
    op.drop_table("task_draft")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): copying these tables, as batch mode would on
    # SQLite, fails on the foreign keys that point at them.
    with op.batch_alter_table("app_user", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("locale")
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_index("ix_human_task_assignee_status")
        batch_op.drop_index("ix_human_task_status_group")
        batch_op.drop_index("ix_human_task_status_due")
        batch_op.create_index("ix_human_task_assignee", ["assignee"], unique=False)
        batch_op.create_index("ix_human_task_status", ["status"], unique=False)
    with op.batch_alter_table("process_instance", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("product_name")
        batch_op.drop_column("customer_phone")
