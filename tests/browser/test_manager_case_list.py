"""The managers' case list in headless Chromium: a manager finds a case by its order number;
the test leaves a screenshot under test-artifacts/."""

from __future__ import annotations

from typing import Any

from workspace import Workspace, screenshot


def test_a_manager_filters_the_case_list_by_an_order_number_and_opens_the_case(
    workspace: Workspace, browser: Any
) -> None:
    wanted = workspace.start_case(
        order_no="SO-20261203-7788",
        customer={"name": "王伟 Wang Wei", "phone": "13800001111", "email": "w@example.cn"},
    )
    others = [workspace.start_case(order_no=f"SO-OTHER-{n}") for n in range(3)]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        workspace.sign_in(page, "manager")
        page.click("header nav a[href='/monitor/instances']")
        page.wait_for_url(f"{workspace.base}/monitor/instances")
        assert page.locator("tr[data-instance]").count() == 1 + len(others)
        page.fill("#q", "20261203-7788")
        page.click("form.monitor-filters button[type=submit]")
        page.wait_for_url("**/monitor/instances?q=20261203-7788")
        rows = page.locator("tr[data-instance]")
        assert rows.count() == 1
        assert rows.first.get_attribute("data-instance") == str(wanted.id)
        row_text = rows.first.inner_text()
        assert (
            wanted.business_key in row_text and "SO-20261203-7788" in row_text and "王伟 Wang Wei" in row_text
        )
        assert page.locator("h1").inner_text() == "全部案件"
        screenshot(page, "monitor_filtered_by_order_number")
        rows.first.locator(f"a[href='/monitor/instances/{wanted.id}']").click()
        page.wait_for_url(f"{workspace.base}/monitor/instances/{wanted.id}")
        assert wanted.business_key in page.locator("h1").inner_text()
    finally:
        context.close()
