"""The SLA heatmap in headless Chromium: a manager opens it from the dashboard, sees the review step
marked red with its figures' overlay, clicks the step on the diagram and sees its late case; the test
leaves a screenshot under test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import ADMIN
from workspace import Workspace, screenshot, serving_workspace

from rma_orchestrator.service.clock import move_clock


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with serving_workspace(tmp_path) as served:
        yield served


def classes(page: Any, element_id: str) -> list[str]:
    return str(page.locator(f".djs-element[data-element-id='{element_id}']").get_attribute("class")).split()


def test_a_manager_sees_the_late_step_red_and_opens_its_late_case(workspace: Workspace, browser: Any) -> None:
    late = workspace.start_case(reason="wrong_item")
    move_clock(workspace.services, ADMIN, add="PT25H")  # its first response is breached, the review waits
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
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
