"""inbox indexes that answer a page of 20,000 open tasks without reading the case rows: the
(status, due_at) index of human tasks widened to every column the inbox filters and sorts by,
and a search index of instances over kind, the searched columns and the id (a scan of it is cheap
where a scan of the rows reads past each case's state; PostgreSQL needs the id in it to scan it
alone)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

INBOX_COLUMNS = ["status", "due_at", "created_at", "id", "group_name", "assignee", "instance_id"]
SEARCH_COLUMNS = ["kind", "business_key", "order_no", "customer_name", "customer_phone", "id"]


def upgrade() -> None:
    op.create_index("ix_human_task_inbox", "human_task", INBOX_COLUMNS, unique=False)
    op.drop_index("ix_human_task_status_due", table_name="human_task")
    op.create_index("ix_process_instance_inbox_search", "process_instance", SEARCH_COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index("ix_process_instance_inbox_search", table_name="process_instance")
    op.create_index("ix_human_task_status_due", "human_task", ["status", "due_at"], unique=False)
    op.drop_index("ix_human_task_inbox", table_name="human_task")
