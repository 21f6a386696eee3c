"""The managers' instance page in headless Chromium: a case waiting at its review with the 24-hour
first-response timer shows that timer marked on the bpmn-js diagram, an overlay with its due time
in the business time zone, the path taken, the bpmn.io logo; a click on a call activity opens the
called process's diagram. The test leaves a screenshot under test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from support import MANAGER
from workspace import Workspace, screenshot, serving_workspace

from rma_orchestrator.service.instances import get_instance


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with serving_workspace(tmp_path) as served:
        yield served


def classes(page: Any, element_id: str) -> list[str]:
    return str(page.locator(f".djs-element[data-element-id='{element_id}']").get_attribute("class")).split()


def test_a_manager_sees_the_waiting_timer_marked_with_its_due_time(
    workspace: Workspace, browser: Any
) -> None:
    case = workspace.start_case()
    (timer,) = [t for t in get_instance(workspace.services, case.id, MANAGER).timers]
    assert timer.element_id == "first_response_sla"
    zone = ZoneInfo(workspace.services.settings.business_tz)
    due = timer.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        workspace.sign_in(page, "manager")
        page.goto(f"{workspace.base}/monitor/instances")
        page.click(f"tr[data-instance='{case.id}'] a")
        page.wait_for_url(f"{workspace.base}/monitor/instances/{case.id}")
        page.wait_for_selector("#diagram[data-ready='true']")
        assert {"rma-waiting", "rma-timer"} <= set(classes(page, "first_response_sla"))
        assert "rma-active" in classes(page, "review_case")
        assert "rma-completed" in classes(page, "start_case")
        assert "rma-taken" in classes(page, "flow_start")  # the path from the start event to the review
        assert "rma-taken" not in classes(page, "flow_reviewed")  # not yet left the review
        overlay = page.locator(".rma-due[data-element='first_response_sla']")
        assert overlay.is_visible()
        assert due in overlay.inner_text() and "还剩" in overlay.inner_text()
        assert page.locator(".bjs-powered-by").is_visible()  # bpmn.io's logo stays visible
        assert problems == []  # no script error, nothing refused by the content security policy
        screenshot(page, "monitor_instance_waiting_timer")
        assert not page.locator("#diagram-top").is_visible()  # the case's own diagram is the top
        assert "rma-call" in classes(page, "handle_return")
        page.locator(".djs-element[data-element-id='handle_return']").click()
        page.wait_for_selector("#diagram[data-process='return'][data-ready='true']")
        assert page.locator("#diagram-top").is_visible()
        page.click("#diagram-top")
        page.wait_for_selector("#diagram[data-process='rma_case'][data-ready='true']")
        assert page.locator(".rma-due[data-element='first_response_sla']").is_visible()
    finally:
        context.close()
