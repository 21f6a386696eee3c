"""`rma serve` works batch actions in its scheduler process (as `make run` / `rma demo` serve): a run
started while no service was up is worked once one starts, and a run started over the API answers
202 at once and is finished when its report is polled later. Deadlines are upper bounds only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from live_server import call, serving, wait_for
from support import DATA, MANAGER

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.service.batches import get_batch, start_batch
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import get_instance, start_instance

Rma = Callable[..., Result]

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")


def _prepare(rma: Rma) -> str:
    """Migrate, deploy the timer test processes, add a manager; returns the manager's API token."""
    for args in (
        ("db", "upgrade"),
        ("deploy", str(DATA / "timers")),
        ("users", "add", "mia", "--group", "customer_service", "--role", "manager"),
    ):
        result = rma(*args)
        assert result.exit_code == 0, result.output
    return str(rma("tokens", "create", "mia").stdout.strip())


def _statuses(services: Services, ids: list[int]) -> list[str]:
    return [get_instance(services, i, MANAGER).status for i in ids]


def test_serve_works_batches_in_its_scheduler_even_those_started_while_it_was_down(
    rma: Rma, env: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    token = _prepare(rma)
    services = bootstrap(Settings.from_env({}, data_dir=tmp_path, database_url=db_url))
    try:
        waiting = [start_instance(services, "wait_duration", {}, MANAGER).id for _ in range(6)]
        early = start_batch(services, MANAGER, "suspend", waiting[:3], "before the restart")
        assert early.status == "running" and _statuses(services, waiting[:3]) == ["running"] * 3

        with serving(env, tmp_path / "serve.log", "--workers", "1") as server:
            body = {"action": "suspend", "instance_ids": waiting[3:], "reason": "over the API"}
            status, started = call(server, "POST", "/api/v1/batches", token, body)
            assert status == 202 and started["status"] == "running", started

            def finished(batch_id: int) -> dict[str, object] | None:
                code, report = call(server, "GET", f"/api/v1/batches/{batch_id}", token)
                assert code == 200, report
                return report if report["status"] == "finished" else None

            later = wait_for(lambda: finished(started["id"]), 120, "the API's run did not finish", server)
            assert (later["succeeded"], later["failed"]) == (3, 0)
            wait_for(lambda: finished(early.id), 120, "the run started before serving did not finish", server)
        assert get_batch(services, early.id, MANAGER).succeeded == 3
        assert _statuses(services, waiting) == ["suspended"] * 6
    finally:
        services.database.dispose()
