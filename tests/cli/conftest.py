"""CLI fixtures: the `rma` command run in-process by click's runner, or the environment of a real one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rma_orchestrator.cli import main

Rma = Callable[..., Result]


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of an `rma` subprocess pointed at the test database."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RMA_")}
    environ.update({"RMA_DATABASE_URL": db_url, "RMA_DATA_DIR": str(tmp_path)})
    return environ


@pytest.fixture
def rma(db_url: str, tmp_path: Path) -> Rma:
    """``rma("deploy", DIR)`` runs the command in this process against the test database.

    Unexpected exceptions propagate (a test fails on the traceback); exit codes and
    ``click`` errors come back in the result, as a shell would see them.
    """
    runner = CliRunner()
    environ = {"RMA_DATABASE_URL": db_url, "RMA_DATA_DIR": str(tmp_path)}

    def invoke(*args: str, extra_env: dict[str, str] | None = None) -> Result:
        return runner.invoke(main, list(args), env={**environ, **(extra_env or {})}, catch_exceptions=False)

    return invoke
