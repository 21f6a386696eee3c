"""monitor indexes: the managers' instance list, newest case first with the filters it reads on the
instances (status, process and version, kind), the cases waiting at a step (open tasks by element),
and the cases whose SLA was breached (fired SLA timers)

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
    ("ix_process_instance_monitor", "process_instance", ["started_at", "id", "status", "process_key", "version", "kind"]),
    ("ix_human_task_step", "human_task", ["status", "element_id", "instance_id"]),
    ("ix_timer_sla_breach", "timer", ["status", "sla", "instance_id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
