"""The calendar page in headless Chromium: an admin enters a holiday of 2027 and confirms the year;
the test leaves a screenshot under test-artifacts/."""

from __future__ import annotations

from typing import Any

from page_client import PASSWORD
from workspace import Workspace, screenshot

from rma_orchestrator.service.users import add_user


def test_an_admin_enters_a_holiday_and_confirms_the_year(workspace: Workspace, browser: Any) -> None:
    add_user(workspace.services, "admin_qian", [], "admin", PASSWORD)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{workspace.base}/login")
        page.fill("#name", "admin_qian")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{workspace.base}/tasks**")
        page.click("header nav a[href='/monitor/calendar']")
        page.wait_for_url(f"{workspace.base}/monitor/calendar")
        assert page.locator("tr[data-year='2027']").get_attribute("data-known") == "no"
        page.fill("#day-date", "2027-02-11")
        page.select_option("#day-kind", "holiday")
        page.click("#add-day button[type=submit]")
        page.wait_for_url(f"{workspace.base}/monitor/calendar?year=2027")
        assert page.locator("#holidays").inner_text().strip() == "2027-02-11"
        page.click("#confirm-year button[type=submit]")
        page.wait_for_url(f"{workspace.base}/monitor/calendar?year=2027")
        assert page.locator("tr[data-year='2027']").get_attribute("data-known") == "yes"
        assert page.locator("#confirm-year").count() == 0
        screenshot(page, "monitor_calendar_2027_confirmed")
    finally:
        context.close()
    assert workspace.services.calendar.get().is_known_year(2027)
    assert not workspace.services.calendar.get().is_working_day("2027-02-11")
