"""monitor indexes: the managers' case list (/monitor/instances) read from indexes, not from the
case rows (on SQLite their listed columns sit past the state, in overflow pages): instances by
status and start with the other columns it filters on; by start alone (an export's next chunk
starts where the last one ended); open tasks by element (cases waiting at a step); each case's open
tasks with their deadlines (the next-deadline column and sort; without it SQLite searched every
open task once per case); fired SLA timers (cases whose SLA was breached)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_process_instance_monitor", "process_instance", ["status", "started_at", "id", "process_key", "version", "kind"]),
    ("ix_process_instance_started", "process_instance", ["started_at", "id"]),
    ("ix_human_task_step", "human_task", ["status", "element_id", "instance_id"]),
    ("ix_human_task_instance_open", "human_task", ["instance_id", "status", "due_at"]),
    ("ix_timer_sla_breach", "timer", ["status", "sla", "instance_id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
