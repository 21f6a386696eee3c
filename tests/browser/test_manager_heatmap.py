"""The SLA heatmap in headless Chromium: a manager opens it from the dashboard, sees the review step
marked red with its figures' overlay, clicks the step on the diagram and sees its late case; the test
leaves a screenshot under test-artifacts/."""

from __future__ import annotations

from typing import Any

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
