"""the finance lead as a group: refund deadlines escalate to them (POLICY.md section 3), not to
the after-sales manager

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FINANCE_LEAD = ("finance_lead", "财务主管", "Finance lead")

group = sa.table("user_group", sa.column("name"), sa.column("label_zh"), sa.column("label_en"))


def upgrade() -> None:
    name, label_zh, label_en = FINANCE_LEAD
    connection = op.get_bind()
    exists = connection.execute(sa.select(group.c.name).where(group.c.name == name)).first()
    if exists:
        connection.execute(
            group.update().where(group.c.name == name).values(label_zh=label_zh, label_en=label_en)
        )
    else:
        connection.execute(group.insert().values(name=name, label_zh=label_zh, label_en=label_en))


def downgrade() -> None:
    """Keeps the group: users may already work in it, and their membership rows point at it."""
