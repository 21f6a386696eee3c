"""Shared fixtures: a migrated database per test on SQLite and on PostgreSQL, services, a client."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from support import AGENT, ANALYST, empty_postgres, lifecycle_files, private_postgres

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.results import InstanceInfo
from rma_orchestrator.store.db import Database
from rma_orchestrator.store.migrate import upgrade

PG_ADMIN_URL = os.environ.get("RMA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--workflow-cache",
        type=int,
        default=256,
        help="live workflows the services keep between commands (0: restore at every command)",
    )


@pytest.fixture(scope="session")
def workflow_cache(pytestconfig: pytest.Config) -> int:
    """The cache size the services under test use; `make test` runs the service tests with 0 too."""
    return int(pytestconfig.getoption("--workflow-cache"))


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("RMA_") and name != "RMA_TEST_PG_URL":
            monkeypatch.delenv(name, raising=False)


def _postgres_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        return str(error).splitlines()[0]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (a migration per test would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A private PostgreSQL database for this test run, migrated once."""
    problem = _postgres_available()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and is unreachable: {problem}")
        pytest.skip(f"PostgreSQL unreachable here: {problem}")
    with private_postgres(PG_ADMIN_URL, "rma_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "rma.sqlite3"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    empty_postgres(url)
    return url


@pytest.fixture
def services(db_url: str, tmp_path: Path, workflow_cache: int) -> Iterator[Services]:
    settings = Settings.from_env(
        {}, data_dir=tmp_path, database_url=db_url, controlled_clock=True, workflow_cache_size=workflow_cache
    )
    built = bootstrap(settings)
    yield built
    built.database.dispose()


@pytest.fixture
def deployed(services: Services) -> Services:
    from rma_orchestrator.service.definitions import deploy

    deploy(services, lifecycle_files(), ANALYST)
    return services


@pytest.fixture
def start_order(deployed: Services) -> Callable[..., InstanceInfo]:
    from rma_orchestrator.service.instances import start_instance

    def start(amount: float = 500, category: str = "electronics", **extra: Any) -> InstanceInfo:
        data = {"order_no": f"SO-{uuid.uuid4().hex[:8]}", "amount": amount, "category": category}
        return start_instance(deployed, "order_review", data, AGENT, **extra)

    return start
