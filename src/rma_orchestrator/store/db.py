"""Database engines and sessions: SQLite in WAL mode with immediate write transactions, or PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import Connection, Engine, Row, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from ..errors import WriteConflict

AnyRow: TypeAlias = Row[*tuple[Any, ...]]  # a result row; its columns are named by the query


SQLITE_BUSY_SNAPSHOT = sqlite3.SQLITE_BUSY | (2 << 8)  # a read snapshot too old to write from


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine; on SQLite every write transaction takes the write lock at BEGIN.

    pysqlite's own transaction handling starts transactions lazily and deferred, so two
    writers could both read a revision before either writes; ``BEGIN IMMEDIATE`` serialises
    them the way ``SELECT … FOR UPDATE`` does on PostgreSQL.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get("read_only") or options.get("optimistic"):
            connection.exec_driver_sql("BEGIN")  # the write lock comes with the first write
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        """An optimistic transaction whose first write finds another writer came first: a conflict."""
        connection = context.connection
        code = getattr(context.original_exception, "sqlite_errorcode", None)
        if connection is not None and connection.get_execution_options().get("optimistic") and code in (
            sqlite3.SQLITE_BUSY,
            SQLITE_BUSY_SNAPSHOT,
        ):
            raise WriteConflict("another command changed the database since this one read it") from None


class Database:
    """The engine: write connections (locking on SQLite at BEGIN), read connections, ORM readers for tests."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._read_engine = self.engine.execution_options(read_only=True)
        self.reader = sessionmaker(self._read_engine, expire_on_commit=False, autoflush=False)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection in a read transaction: one consistent view, never the write lock."""
        with self._read_engine.connect() as connection, connection.begin():
            yield connection

    def write_connection(self, optimistic: bool = False) -> Connection:
        """A connection for one unit of work; its ``begin()`` takes SQLite's write lock.

        ``optimistic``: on SQLite the transaction starts as a read and takes the write lock at its
        first write, which fails with WriteConflict if another writer committed meanwhile (the
        caller runs the command again). PostgreSQL locks rows as it reads them either way.
        """
        connection = self.engine.connect()
        if optimistic:
            connection.execution_options(optimistic=True)
        return connection

    def read(self) -> Session:
        """An ORM session for looking at rows directly (tests, benchmarks); the service uses ``reading``."""
        return self.reader()

    def dispose(self) -> None:
        self.engine.dispose()
