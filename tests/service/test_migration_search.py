"""Migration 0014: on PostgreSQL the case search's four columns get trigram GIN indexes (ILIKE '%…%'
becomes an index search); SQLite gets none; a downgrade takes them away."""

from __future__ import annotations

from sqlalchemy import text

from rma_orchestrator.service.context import Services
from rma_orchestrator.store.migrate import downgrade, upgrade

TRIGRAM_INDEXES = {
    f"ix_process_instance_{column}_trgm"
    for column in ("business_key", "order_no", "customer_name", "customer_phone")
}


def _trigram_indexes(services: Services) -> set[str]:
    if services.database.is_sqlite:
        query = text("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%trgm'")
    else:
        query = text("SELECT indexname FROM pg_indexes WHERE tablename = 'process_instance'")
    with services.database.reading() as connection:
        return {name for name in connection.execute(query).scalars() if name.endswith("_trgm")}


def test_postgresql_searches_by_trigram_indexes_and_sqlite_keeps_its_scan(services: Services) -> None:
    expected = set() if services.database.is_sqlite else TRIGRAM_INDEXES
    assert _trigram_indexes(services) == expected
    try:
        downgrade(services.database, "0013")
        assert _trigram_indexes(services) == set()
    finally:
        upgrade(services.database)  # the PostgreSQL database is shared by the run's other tests
    assert _trigram_indexes(services) == expected
