"""CLI fixtures: the environment of an `rma` subprocess pointed at the test database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RMA_")}
    environ.update({"RMA_DATABASE_URL": db_url, "RMA_DATA_DIR": str(tmp_path)})
    return environ
