"""case search trigrams: on PostgreSQL, trigram (pg_trgm) GIN indexes on the four columns the case
search reads (RMA number, order number, customer name and phone), so that ``ILIKE '%…%'`` is an index
search instead of a scan of every case (110-170 ms for 100,000 cases, for each inbox or case-list
search). SQLite has no such index; its LIKE scans the covering search index.

When the extension cannot be created (a database user without the right to), the indexes are left
out and searches stay correct, only slower: the migration says so in the log and goes on.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import logging

from alembic import op
from sqlalchemy import text

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COLUMNS = ("business_key", "order_no", "customer_name", "customer_phone")
log = logging.getLogger("rma_orchestrator.migrations")


def _index(column: str) -> str:
    return f"ix_process_instance_{column}_trgm"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    savepoint = bind.begin_nested()
    try:
        bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except Exception as error:  # noqa: BLE001 - any refusal: the searches scan, as before
        savepoint.rollback()
        log.warning("pg_trgm could not be created (%s); case searches will scan", error)
        return
    savepoint.commit()
    for column in COLUMNS:
        bind.execute(
            text(
                f"CREATE INDEX IF NOT EXISTS {_index(column)} ON process_instance USING gin ({column} gin_trgm_ops)"
            )
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS {_index(column)}")
