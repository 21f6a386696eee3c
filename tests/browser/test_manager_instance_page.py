"""The managers' instance page in headless Chromium: a case waiting at its review with the 24-hour
first-response timer shows that timer marked on the bpmn-js diagram, an overlay with its due time
in the business time zone, the path taken, the bpmn.io logo; a click on a call activity opens the
called process's diagram. The test leaves a screenshot under test-artifacts/."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from support import MANAGER
from workspace import Workspace, classes, page_problems, screenshot

from rma_orchestrator.service.instances import get_instance


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
    problems = page_problems(page)
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


def test_a_manager_reassigns_a_task_to_a_member_of_its_group_with_a_reason(
    workspace: Workspace, browser: Any
) -> None:
    case = workspace.start_case()
    task_id = workspace.open_task(case)
    reason = "李娜休假 Li Na is on leave"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        workspace.sign_in(page, "manager")
        page.goto(f"{workspace.base}/monitor/instances/{case.id}")
        choice = page.locator(f"#user-{task_id}")
        offered = choice.locator("option").all_inner_texts()
        assert [text.strip() for text in offered] == [
            "请选择接手任务的人",
            "agent_li",
            "agent_wang",  # customer service, the review's lane
            "mgr_zhou (经理)",  # a manager may take any task
        ]  # not wh_zhang of the warehouse
        choice.select_option("agent_wang")
        page.fill(f"#assign-reason-{task_id}", reason)
        screenshot(page, "monitor_reassign_choice")
        page.locator(f".open-task[data-task='{task_id}'] button[type=submit]").click()
        page.wait_for_url(f"{workspace.base}/monitor/instances/{case.id}")
        assert "任务已指派给 agent_wang。" in page.locator(".flash").inner_text()
        assert "由 agent_wang 认领" in page.locator(f".open-task[data-task='{task_id}']").inner_text()
        assigned = page.locator("ol.timeline li", has_text="任务已指派")
        assert assigned.locator("q.reason").inner_text() == reason
    finally:
        context.close()
    (task,) = [t for t in get_instance(workspace.services, case.id, MANAGER).tasks if t.id == task_id]
    assert task.assignee == "agent_wang"
