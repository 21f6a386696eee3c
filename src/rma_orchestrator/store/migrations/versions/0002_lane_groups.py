"""the seven lanes of the RMA procedures as groups, with Chinese and English labels

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LANES = [
    ("customer_service", "客服", "Customer service"),
    ("cs_supervisor", "客服主管", "Customer-service supervisor"),
    ("warehouse", "仓库收货", "Warehouse / receiving"),
    ("quality", "质检", "Quality inspection"),
    ("finance", "财务", "Finance"),
    ("technician", "维修技师", "Repair technician"),
    ("after_sales_manager", "售后经理", "After-sales manager"),
]

group = sa.table("user_group", sa.column("name"), sa.column("label_zh"), sa.column("label_en"))


def upgrade() -> None:
    connection = op.get_bind()
    existing = set(connection.execute(sa.select(group.c.name)).scalars())
    for name, label_zh, label_en in LANES:
        if name in existing:
            connection.execute(
                group.update().where(group.c.name == name).values(label_zh=label_zh, label_en=label_en)
            )
        else:
            connection.execute(group.insert().values(name=name, label_zh=label_zh, label_en=label_en))


def downgrade() -> None:
    op.execute(group.update().values(label_zh=None, label_en=None))
