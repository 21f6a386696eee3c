"""Two timers on one event-based gateway: what SpiffWorkflow 3.2 does, and that the projection says so.

The engine keeps one due time per waiting task (``event_value``), set by the gateway's first
timer; every timer of the gateway compares against it, and the first one's branch is taken.
So "remind after 1 hour, abandon after 7 days" never reminds. The snapshot shows the one
timer the engine will fire, at the time it will fire, rather than a reminder that never comes.
Model a reminder and an abandonment as two boundary timers instead (DESIGN §4).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rma_orchestrator.engine import clockhook
from rma_orchestrator.engine.bundle import load_bundle
from rma_orchestrator.engine.sandbox import make_script_engine
from rma_orchestrator.engine.step import Run, Start, StepResult, step

DIAGRAM = Path(__file__).parent / "data" / "gateway_two_timers.bpmn"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def move_to(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """Sets the engine's "now" to START plus an offset (START to begin with)."""
    now = [START]
    monkeypatch.setattr(clockhook, "_now", clockhook._now)  # put back after the test
    clockhook.use_clock(lambda: now[0])

    def move(offset: timedelta) -> None:
        now[0] = START + offset

    return move


DEFINITION = load_bundle({DIAGRAM.name: DIAGRAM.read_bytes()}).processes["gateway_two_timers"]


def _restored_run(result: StepResult) -> StepResult:
    """Run what is due on the workflow restored from ``result``'s stored state."""
    return step(DEFINITION, make_script_engine(), Run(), load_state=lambda: result.state)


def test_two_timers_on_a_gateway_wait_for_the_first_ones_due_time(
    move_to: Callable[[timedelta], None],
) -> None:
    started = step(DEFINITION, make_script_engine(), Start({}))
    assert [(t.element_id, t.due_at) for t in started.snapshot.timers] == [
        ("abandon", START + timedelta(days=7))
    ]
    move_to(timedelta(hours=2))
    later = _restored_run(started)
    assert later.error is None and not later.snapshot.completed  # the 1-hour reminder did not fire
    assert [t.due_at for t in later.snapshot.timers] == [START + timedelta(days=7)]
    move_to(timedelta(days=7, seconds=1))
    done = _restored_run(later)
    assert done.snapshot.outcome == "end_abandoned"
    assert [t.element_id for t in done.snapshot.fired_timers] == ["abandon"]
    assert done.snapshot.element_states["gateway_two_timers"].keys() == {
        "start",
        "abandon_or_remind",
        "abandon",
        "end_abandoned",
    }
