"""Services under small step limits, and the checks every hostile test makes with them.

``meanwhile`` runs a hostile command in a thread and, while it runs, starts and finishes another
case (the ``quick`` process ``limited_services`` deploys): the service must keep answering.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hostile_processes as hp
from support import ADMIN, AGENT, ANALYST

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.results import InstanceInfo

LIMIT = 1.5  # seconds per step in the hostile tests
# Work done in C, out of reach of the sandbox's trace deadline: only a hard limit stops it.
C_LEVEL_BOMBS = {
    "huge_str": 'x = len(str(["x" * 10**7] * 200))',
    "sort_by_str": "x = sorted(list(range(10**6)) * 10, key=str)",
    "decimal_format": "x = len(f\"{Decimal('1e2000000000'):f}\")",
}
SETTLE = 0.3  # seconds for a hostile step to get into its worker before the other case starts


def limited_settings(db_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"controlled_clock": True, "script_time_limit": LIMIT, **overrides}
    return Settings.from_env({}, data_dir=tmp_path, database_url=db_url, **values)


def limited_services(db_url: str, tmp_path: Path, **overrides: Any) -> Services:
    """Services under ``limited_settings`` with the ``quick`` process (one script, done) deployed."""
    services = bootstrap(limited_settings(db_url, tmp_path, **overrides))
    deploy(services, hp.script_at_start("quick", "done = True"), ANALYST)
    return services


def meanwhile(services: Services, hostile: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``hostile`` in a thread; while it runs, another case must start and finish.

    Returns what ``hostile`` returned (or raised) and how long it took.
    """
    outcome: dict[str, Any] = {}

    def attempt() -> None:
        began = time.monotonic()
        try:
            outcome["value"] = hostile()
        except Exception as error:  # noqa: BLE001 - handed to the test
            outcome["value"] = error
        outcome["seconds"] = time.monotonic() - began

    thread = threading.Thread(target=attempt)
    thread.start()
    time.sleep(SETTLE)
    quick = start_instance(services, "quick", {}, AGENT)
    answered_while_running = thread.is_alive()
    thread.join(60)
    assert not thread.is_alive(), "the hostile step was never stopped"
    assert quick.status == "completed"
    seconds = outcome["seconds"]
    # A hostile step stopped early (by the memory limit, say) left nothing to wait for.
    assert answered_while_running or seconds < LIMIT, "another case's command waited for the hostile step"
    return outcome["value"], seconds


def only_incident(services: Services, instance: InstanceInfo) -> tuple[str | None, str]:
    """(element, message) of the one incident of ``instance``."""
    (incident,) = get_instance(services, instance.id, ADMIN).incidents
    return incident.element_id, incident.message
