"""The managers' dashboard in headless Chromium: a manager opens it from the menu, sees the charts
and the warning that the working-day calendar runs out, opens a chart's table and follows a bar to
the cases behind it; the test leaves a screenshot under test-artifacts/."""

from __future__ import annotations

from typing import Any

from support import ADMIN
from workspace import Workspace, screenshot

from rma_orchestrator.service.clock import move_clock


def test_a_manager_sees_the_charts_and_the_calendar_warning(workspace: Workspace, browser: Any) -> None:
    services = workspace.services
    last = services.calendar.get().last_known_year()
    move_clock(services, ADMIN, set_to=f"{last}-12-10T02:00:00+00:00")  # 21 days before it runs out
    late = workspace.start_case(reason="wrong_item")
    workspace.start_case(kind="exchange", reason="no_reason")
    workspace.start_case(reason="no_reason")
    move_clock(services, ADMIN, add="PT25H")  # three first responses breached, three reviews overdue
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    try:
        workspace.sign_in(page, "manager")
        page.click("header nav a[href='/monitor/dashboard']")
        page.wait_for_url(f"{workspace.base}/monitor/dashboard")
        warning = page.locator("#calendar-warning")
        assert warning.is_visible()
        assert f"{last + 1} is not confirmed" in warning.inner_text()
        assert page.locator("figure.chart ol.bars").count() == 6
        assert page.locator("#chart-sla-title").text_content() == "SLA breach rate by timer"
        assert page.get_by_role("list", name="SLA breach rate by timer").count() == 1
        assert page.locator("#chart-sla .bar-value").first.text_content() == "100.0 %"
        table = page.locator("#chart-sla details table")
        assert not table.is_visible()
        page.click("#chart-sla details summary")
        assert table.is_visible() and "first_response" in table.inner_text()
        page.click("text=last 7 days")
        page.wait_for_url("**/monitor/dashboard?days=7")
        screenshot(page, "monitor_dashboard")
        page.locator("#chart-reason a.bar-link").first.click()
        page.wait_for_url("**/monitor/instances?**outcome=end_refunded**")
        page.go_back()
        page.locator("#chart-steps a.bar-link[href$='step=review_case']").click()
        page.wait_for_url("**/monitor/instances?step=review_case")
        assert page.locator("tr[data-instance]").count() == 3
        assert page.locator(f"tr[data-instance='{late.id}']").count() == 1
    finally:
        context.close()
