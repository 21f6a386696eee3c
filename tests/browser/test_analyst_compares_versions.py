"""An analyst compares version 1 of return with a version 2 deployed with a shorter reminder timer,
a renamed quality check, a replaced script task and a cheaper packaging deduction, in Chromium: the
markers sit on the right elements of the right diagram, the list shows the timer change, and a click
on a change highlights its element."""

from __future__ import annotations

from typing import Any

from compare_versions import QUALITY_CHECK_V2, reshaped_return
from page_client import PASSWORD
from support import ANALYST
from workspace import Workspace, page_problems, screenshot

from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.users import add_user


def _open_compare(workspace: Workspace, browser: Any) -> Any:
    deploy(workspace.services, reshaped_return(), ANALYST)
    add_user(workspace.services, "ana_chen", [], "analyst", PASSWORD)
    page = browser.new_page(viewport={"width": 1500, "height": 1100}, locale="en-US")
    problems = page_problems(page)
    page.goto(f"{workspace.base}/login")
    page.fill("#name", "ana_chen")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    page.goto(f"{workspace.base}/modeler/processes/return/compare?from=1&to=2")
    page.wait_for_selector("#diagram-before[data-ready=true]")
    page.wait_for_selector("#diagram-after[data-ready=true]")
    page.problems = problems
    return page


def _classes_in(page: Any, side: str, element_id: str) -> list[str]:
    selector = f"#diagram-{side} .djs-element[data-element-id='{element_id}']"
    if not page.locator(selector).count():
        return []
    return str(page.locator(selector).first.get_attribute("class")).split()


def test_the_changes_are_marked_on_both_diagrams_and_listed(workspace: Workspace, browser: Any) -> None:
    page = _open_compare(workspace, browser)
    # added: only on the new diagram; removed: only on the old one; changed: on both
    assert "rma-added" in _classes_in(page, "after", "note_shipment")
    assert _classes_in(page, "before", "note_shipment") == []
    assert "rma-removed" in _classes_in(page, "before", "record_shipment")
    assert _classes_in(page, "after", "record_shipment") == []
    for side in ("before", "after"):
        assert "rma-changed" in _classes_in(page, side, "goods_reminder_due")
        assert "rma-changed" in _classes_in(page, side, "flow_shipped_to_record")
        assert "rma-changed" not in _classes_in(page, side, "wait_for_goods")
    # the badges say it without colour
    after_badges = page.locator("#diagram-after .rma-change-badge")
    assert set(after_badges.all_text_contents()) == {"+", "~"}
    assert set(page.locator("#diagram-before .rma-change-badge").all_text_contents()) == {"−", "~"}
    assert (
        page.locator("#diagram-after .rma-change-badge[data-element='note_shipment']").text_content() == "+"
    )

    timer = page.locator(".change-item[data-element='goods_reminder_due']")
    row = timer.locator("tr[data-aspect='timer']")
    assert row.locator("td.before").inner_text().strip() == 'timeDuration: "P7D"'
    assert row.locator("td.after").inner_text().strip() == 'timeDuration: "P5D"'
    assert QUALITY_CHECK_V2 in page.locator(".change-item[data-element='quality_check']").inner_text()
    cell = page.locator(".rule-change[data-rule='rule_missing_packaging'] .rule-after td.cell-changed")
    assert cell.inner_text().strip().endswith("3")

    timer.locator(".change-select").click()
    assert timer.get_attribute("data-selected") is not None
    assert "rma-focus" in _classes_in(page, "after", "goods_reminder_due")
    assert "rma-focus" in _classes_in(page, "before", "goods_reminder_due")
    assert page.problems == []
    screenshot(page, "version-compare")
    page.close()


def test_a_click_on_a_marked_element_selects_its_change(workspace: Workspace, browser: Any) -> None:
    page = _open_compare(workspace, browser)
    page.locator("#diagram-before .djs-element[data-element-id='record_shipment']").first.click()
    assert (
        page.locator(".change-item[data-element='record_shipment']").get_attribute("data-selected")
        is not None
    )
    assert "rma-focus" in _classes_in(page, "before", "record_shipment")
    page.close()
