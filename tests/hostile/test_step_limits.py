"""Every step runs under hard limits that C-level work cannot escape; passing one is an incident there.

Each attempt runs hostile analyst code where it would really run (a script, a gateway condition,
a timer expression, a DMN cell, a multi-instance collection) through the service, on the web
path (start, complete) and the scheduler path (a timer firing), while other commands go on.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import hostile_processes as hp
import pytest
from limited import C_LEVEL_BOMBS, LIMIT, limited_settings, meanwhile, only_incident
from sqlalchemy import text
from support import ADMIN, AGENT, ANALYST

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.errors import InvalidData, InvalidDefinition
from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.results import InstanceInfo
from rma_orchestrator.service.tasks import complete_task

# Without the limits each of these runs for seconds to minutes holding the interpreter lock.
SHARED_REFERENCES = "a = [1] * 100\nb = [a] * 100\nc = [b] * 100\nd = [c] * 10"


def _hard_limit(message: str) -> bool:
    """Sorting ten million strings needs about 1 GB as well as seconds: either limit may stop it first."""
    return f"limit of {LIMIT:g} s" in message or "the limit is 1024 MB per step" in message


@pytest.mark.parametrize("bomb", list(C_LEVEL_BOMBS), ids=list(C_LEVEL_BOMBS))
def test_a_c_level_bomb_in_a_script_becomes_an_incident_at_the_script(
    sqlite_limited: Services, bomb: str
) -> None:
    services = sqlite_limited
    deploy(services, hp.script_at_start("bomb", C_LEVEL_BOMBS[bomb]), ANALYST)
    started, seconds = meanwhile(services, lambda: start_instance(services, "bomb", {}, AGENT))
    assert isinstance(started, InstanceInfo) and started.status == "error"
    element, message = only_incident(services, started)
    assert element == "work"
    assert "limit" in message  # the time limit, or the memory limit for the 2 GB string
    assert seconds < LIMIT + 15  # minutes without the limit; about LIMIT + 0.5 s with it


def test_on_postgresql_too_a_bomb_after_a_user_task_keeps_the_users_completion(limited: Services) -> None:
    services = limited
    deploy(services, hp.script_after_review("reviewed", C_LEVEL_BOMBS["sort_by_str"]), ANALYST)
    started = start_instance(services, "reviewed", {}, AGENT)
    (task,) = get_instance(services, started.id, AGENT).tasks
    completed, _ = meanwhile(services, lambda: complete_task(services, task.id, {"ok": True}, AGENT))
    assert not isinstance(completed, Exception)
    after = get_instance(services, started.id, ADMIN)
    assert after.status == "error" and after.tasks == []  # the review stays completed: kept
    assert after.data.get("ok") is True
    element, message = only_incident(services, started)
    assert element == "work" and _hard_limit(message)


@pytest.mark.parametrize(
    ("files", "element"),
    [
        (hp.condition("hostile", C_LEVEL_BOMBS["sort_by_str"].removeprefix("x = ") + " is None"), "choose"),
        (hp.timer("hostile", '"PT" + str(len(sorted(list(range(10**6)) * 10, key=str))) + "S"'), "wait"),
        (hp.decision("hostile", "len(sorted(list(range(10**6)) * 10, key=str))", "> 0"), "decide"),
    ],
    ids=["gateway_condition", "timer_expression", "dmn_input"],
)
def test_c_level_work_in_conditions_timers_and_dmn_cells_is_stopped_there(
    sqlite_limited: Services, files: dict[str, bytes], element: str
) -> None:
    services = sqlite_limited
    deploy(services, files, ANALYST)
    started, _ = meanwhile(services, lambda: start_instance(services, "hostile", {}, AGENT))
    assert isinstance(started, InstanceInfo) and started.status == "error"
    found, message = only_incident(services, started)
    assert found == element and _hard_limit(message)


def test_on_the_scheduler_path_a_bomb_after_a_timer_is_anonly_incident(limited: Services) -> None:
    services = limited
    deploy(services, hp.timer_then_script("later", C_LEVEL_BOMBS["sort_by_str"]), ANALYST)
    started = start_instance(services, "later", {}, AGENT)
    moved, _ = meanwhile(services, lambda: move_clock(services, ADMIN, add="PT2H"))
    assert not isinstance(moved, Exception) and moved.fired == 1
    assert get_instance(services, started.id, ADMIN).status == "error"
    element, message = only_incident(services, started)
    assert element == "work" and _hard_limit(message)


def test_a_step_past_its_memory_limit_is_an_incident_naming_the_limit(
    sqlite_url: str, tmp_path: Path
) -> None:
    # A generous time limit: on a busy machine the 800 MB take longer than the usual 1.5 s to build,
    # and the step must reach the memory limit first whatever the machine's speed.
    settings = limited_settings(sqlite_url, tmp_path, step_memory_mb=700, script_time_limit=60.0)
    services = bootstrap(settings)
    deploy(services, hp.script_at_start("greedy", "a = [[0] * 5_000_000 for i in range(40)]"), ANALYST)
    started = start_instance(services, "greedy", {}, AGENT)
    assert started.status == "error"
    element, message = only_incident(services, started)
    assert element == "work" and "700 MB" in message


def test_shared_references_cannot_blow_up_the_stored_data(limited: Services) -> None:
    services = limited
    deploy(services, hp.script_after_review("shared", SHARED_REFERENCES), ANALYST)
    started = start_instance(services, "shared", {}, AGENT)
    (task,) = get_instance(services, started.id, AGENT).tasks
    complete_task(services, task.id, {"ok": True}, AGENT)
    after = get_instance(services, started.id, ADMIN)
    assert after.status == "error"
    assert after.data.get("ok") is True and "d" not in after.data  # kept the user's data, not the bomb
    element, message = only_incident(services, started)
    assert element == "work" and "larger than the limit of 1 MB" in message
    with services.database.reading() as connection:
        size = connection.execute(
            text("SELECT length(state) FROM process_instance WHERE id = :id"), {"id": started.id}
        )
        assert size.scalar_one() < 200_000


@pytest.mark.parametrize("script", ["x = 1e308 * 10", "x = -(1e308 * 10)", "x = (1e308 * 10) * 0"])
def test_infinity_and_nan_are_refused_in_task_data(sqlite_limited: Services, script: str) -> None:
    services = sqlite_limited
    deploy(services, hp.script_at_start("odd", script), ANALYST)
    started = start_instance(services, "odd", {}, AGENT)
    element, message = only_incident(services, started)
    assert element == "work" and "JSON cannot store" in message


def test_a_multi_instance_over_the_limit_is_refused_before_it_creates_anything(
    limited: Services,
) -> None:
    services = limited
    deploy(services, hp.multi_instance("many", "items"), ANALYST)
    started = start_instance(services, "many", {"items": list(range(5_000))}, AGENT)
    element, message = only_incident(services, started)
    assert element == "each" and "5000 instances, more than the limit of 1000" in message
    fine = start_instance(services, "many", {"items": list(range(20))}, AGENT)
    assert fine.status == "completed"


def test_a_loop_that_never_waits_is_stopped_with_anonly_incident(limited: Services) -> None:
    services = limited
    deploy(services, hp.endless_loop("spin"), ANALYST)
    started = start_instance(services, "spin", {"i": 0, "n": 10**9}, AGENT)
    assert started.status == "error"
    element, message = only_incident(services, started)
    assert element in {"join", "count", "again"} and "limit of 100 loop turns" in message
    short = start_instance(services, "spin", {"i": 0, "n": 50}, AGENT)
    assert short.status == "completed"


def test_a_timer_expression_far_in_the_future_is_anonly_incident(limited: Services) -> None:
    services = limited
    deploy(services, hp.timer("far", '"P" + str(40) + "Y"'), ANALYST)
    started = start_instance(services, "far", {}, AGENT)
    element, message = only_incident(services, started)
    assert element == "wait" and "limit of 3653 days" in message


@pytest.mark.parametrize(
    ("expression", "kind"),
    [('"P999999Y"', "timeDuration"), ('"P11Y"', "timeDuration"), ('"2999-01-01T00:00:00Z"', "timeDate")],
)
def test_timer_literals_beyond_the_horizon_are_refused_at_deploy(
    sqlite_limited: Services, expression: str, kind: str
) -> None:
    with pytest.raises(InvalidDefinition) as refused:
        deploy(sqlite_limited, hp.timer("far_literal", expression, kind), ANALYST)
    assert any("10 years" in item["message"] for item in refused.value.items)


@pytest.mark.parametrize(
    ("add", "set_to"), [("P99999999999Y", None), ("P11Y", None), (None, "2999-01-01T00:00:00Z")]
)
def test_the_clock_cannot_be_moved_beyond_the_horizon(
    sqlite_limited: Services, add: str | None, set_to: str | None
) -> None:
    with pytest.raises(InvalidData):
        move_clock(sqlite_limited, ADMIN, add=add, set_to=set_to)


def test_a_step_whose_worker_keeps_dying_fails_at_the_third_death(sqlite_url: str, tmp_path: Path) -> None:
    services = bootstrap(limited_settings(sqlite_url, tmp_path, script_time_limit=30.0))
    deploy(services, hp.script_at_start("doomed", "while True:\n    pass"), ANALYST)
    killed: list[int] = []

    def kill_three_times() -> None:
        while len(killed) < 3:
            for pid in services.steps.busy_pids():
                if pid not in killed:
                    time.sleep(0.2)  # let it reach the script
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
            time.sleep(0.05)

    killer = threading.Thread(target=kill_three_times, daemon=True)
    killer.start()
    started = start_instance(services, "doomed", {}, AGENT)
    killer.join(10)
    assert len(killed) == 3
    element, message = only_incident(services, started)
    assert element == "work" and "died 3 times" in message
