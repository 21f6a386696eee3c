"""The SLA heatmap in headless Chromium: a manager opens it from the dashboard, sees the review step
marked red with its figures' overlay, clicks the step on the diagram and sees its late case; on the
parcel cases, the figures of a timer, a message catch and a call activity, whose click opens the
heatmap of the process it calls. Each test leaves a screenshot under test-artifacts/."""

from __future__ import annotations

from typing import Any

from parcel_cases import parcel_cases
from support import ADMIN
from workspace import Workspace, classes, page_problems, screenshot

from rma_orchestrator.service.clock import move_clock


def test_a_manager_sees_the_late_step_red_and_opens_its_late_case(workspace: Workspace, browser: Any) -> None:
    late = workspace.start_case(reason="wrong_item")
    move_clock(workspace.services, ADMIN, add="PT25H")  # its first response is breached, the review waits
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    problems = page_problems(page)
    try:
        workspace.sign_in(page, "manager")
        page.goto(f"{workspace.base}/monitor/dashboard")
        page.click("#heatmap-link")
        page.wait_for_selector("#diagram[data-ready='true']")
        assert "rma-hot" in classes(page, "review_case")
        assert "rma-hot" not in classes(page, "start_case")
        overlay = page.locator(".rma-heat[data-element='review_case']")
        assert overlay.is_visible()
        text = overlay.inner_text()
        assert "waiting 1" in text and "late" in text and "hot" in str(overlay.get_attribute("class"))
        assert problems == []
        screenshot(page, "monitor_heatmap_late_review")
        page.locator(".djs-element[data-element-id='review_case']").click()
        page.wait_for_selector("#late-cases")
        row = page.locator(f"#late-case-table tr[data-instance='{late.id}'] a")
        assert row.inner_text() == late.business_key
        assert "Wrong item" in page.locator("#late-by-reason").inner_text()
        row.click()
        page.wait_for_url(f"{workspace.base}/monitor/instances/{late.id}")
        assert problems == []
    finally:
        context.close()


def test_a_manager_sees_the_waits_figures_and_opens_a_called_process(
    workspace: Workspace, browser: Any
) -> None:
    parcel_cases(workspace.services)  # a timer, a message catch and a call activity (tests/parcel_cases.py)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        workspace.sign_in(page, "manager")
        page.goto(f"{workspace.base}/monitor/heatmap?process=heat_parent&days=7")
        page.wait_for_selector("#diagram[data-ready='true']")
        timer = page.locator(".rma-heat[data-element='wait_two_hours']").inner_text()
        assert "passed 3" in timer and "median 2.0 h" in timer
        message = page.locator(".rma-heat[data-element='wait_parcel']")
        assert "waiting 1" in message.inner_text() and "median 1.0 h" in message.inner_text()
        assert message.evaluate("node => node.tagName") == "SPAN"  # nothing to open there
        call = page.locator(".rma-heat[data-element='check_parcel']")
        assert "passed 1" in call.inner_text() and "waiting 1" in call.inner_text()
        assert "median 4.0 h" in call.inner_text()
        assert "rma-link" in classes(page, "check_parcel") and "rma-link" not in classes(page, "wait_parcel")
        assert problems == []
        screenshot(page, "monitor_heatmap_call_activity")
        page.locator(".djs-element[data-element-id='check_parcel']").click()
        page.wait_for_url("**call=heat_child**")
        page.wait_for_selector("#diagram[data-ready='true']")
        assert "waiting 1" in page.locator(".rma-heat[data-element='inspect_parcel']").inner_text()
        page.click("#caller-link")
        page.wait_for_selector("#diagram[data-ready='true']")
        assert "call=" not in page.url and page.locator(".rma-heat[data-element='check_parcel']").is_visible()
        assert problems == []
    finally:
        context.close()
