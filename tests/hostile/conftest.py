"""Fixtures of the hostile tests: a private SQLite file, and a fresh, populated world
(``sweep_world.build_world``) per database."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from limited import limited_services
from support import private_postgres
from sweep_world import World, build_world

from rma_orchestrator.service.context import Services


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite file of this test's own."""
    path = tmp_path / "rma.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@contextmanager
def _database(request: pytest.FixtureRequest, kind: str, workdir: Path) -> Iterator[str]:
    """A migrated database of ``kind`` that only this world uses."""
    if kind == "sqlite":
        path = workdir / "rma.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    shared = request.getfixturevalue("pg_database")  # skips, or fails in CI, when PostgreSQL is down
    with private_postgres(shared.rsplit("/", 1)[0] + "/test", "rma_sweep") as url:
        yield url


@pytest.fixture
def make_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], World]]:
    """``make_world("sqlite" | "postgresql")`` → a fresh world on a database of its own."""
    built: list[World] = []
    with ExitStack() as stack:

        def make(kind: str) -> World:
            workdir = tmp_path_factory.mktemp(f"sweep-{kind}")
            url = stack.enter_context(_database(request, kind, workdir))
            world = build_world(url, workdir)
            built.append(world)
            return world

        yield make
        for world in built:
            world.services.database.dispose()


@pytest.fixture
def limited(db_url: str, tmp_path: Path) -> Iterator[Services]:
    services = limited_services(db_url, tmp_path)
    yield services
    services.database.dispose()


@pytest.fixture
def sqlite_limited(sqlite_url: str, tmp_path: Path) -> Iterator[Services]:
    services = limited_services(sqlite_url, tmp_path)
    yield services
    services.database.dispose()
