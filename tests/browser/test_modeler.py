"""An analyst in headless Chromium: opens the modeler, starts a draft of ``return``, sees its diagram in
bpmn-js's modeler, changes the goods-wait reminder timer in the properties panel and sees the due-time
preview follow, saves (the revision goes up), validates a broken expression and finds it marked on the
timer, a click on the finding selects it; a second browser saving the same stale revision gets the
conflict message, not an overwrite. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from typing import Any

from page_client import PASSWORD
from playwright.sync_api import expect
from support import ANALYST
from workspace import Workspace, classes, page_problems, screenshot

from rma_orchestrator.service import diagram_drafts
from rma_orchestrator.service.users import add_user

TIMER = "goods_reminder_due"  # the 7-day reminder on wait_for_goods in processes/return.bpmn
VALUE = "#bio-properties-panel-timerEventDefinitionValue"


def _analyst_page(workspace: Workspace, browser: Any) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    page = context.new_page()
    page.goto(f"{workspace.base}/login")
    page.fill("#name", "ana_model")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{workspace.base}/tasks**")
    return context, page


def _click(page: Any, element_id: str) -> None:
    """A click on the element's shape on the canvas (it may lie under the palette at the left)."""
    page.locator(f".djs-shape[data-element-id='{element_id}'] > .djs-hit").first.dispatch_event("click")


def _select_timer(page: Any) -> Any:
    _click(page, TIMER)
    expect(page.locator(".bio-properties-panel-header-label")).to_contain_text("7")
    header = page.locator("[data-group-id='group-timer'] .bio-properties-panel-group-header")
    if "open" not in (header.get_attribute("class") or ""):
        header.click()
    return page.locator(".rma-timer-preview")


def test_an_analyst_edits_the_reminder_timer_of_a_return_draft(workspace: Workspace, browser: Any) -> None:
    add_user(workspace.services, "ana_model", [], "analyst", PASSWORD)
    context, page = _analyst_page(workspace, browser)
    problems = page_problems(page)
    try:
        page.click("header nav a[href='/modeler']")
        return_v1 = page.locator("[data-process='return'] tr[data-version='1']")
        return_v1.get_by_role("button").click()
        page.wait_for_url(re.compile(r".*/modeler/drafts/\d+$"))
        draft_id = int(page.url.rsplit("/", 1)[1])
        expect(page.locator("#editor")).to_have_attribute("data-ready", "true")
        expect(page.locator(f".djs-shape[data-element-id='{TIMER}']")).to_be_visible()
        expect(page.locator(".bjs-powered-by")).to_be_visible()  # the bpmn.io logo stays
        expect(page.locator("#draft-revision")).to_have_text("1")

        preview = _select_timer(page)
        expect(page.locator(VALUE)).to_have_value('"P7D"')
        expect(preview).to_have_attribute("data-state", "ok")
        before = preview.inner_text()
        page.fill(VALUE, '"P10D"')
        expect(preview).not_to_have_text(before)
        expect(preview).to_have_attribute("data-state", "ok")
        assert "Due at" in preview.inner_text()
        screenshot(page, "modeler_timer_preview")

        page.click("#editor-save")
        expect(page.locator("#draft-revision")).to_have_text("2")
        saved = diagram_drafts.read_draft_file(workspace.services, draft_id, "return.bpmn", ANALYST)
        assert b'"P10D"' in saved and b"spiffworkflow:messageVariable" in saved

        page.fill(VALUE, '"ten days"')
        expect(preview).to_have_attribute("data-state", "error")
        page.click("#editor-validate")
        finding = page.locator("#findings li.finding-error", has_text="ten days")
        expect(finding).to_be_visible()
        expect(page.locator("#draft-revision")).to_have_text("3")  # validation saved the change first
        assert "rma-finding-error" in classes(page, TIMER)
        _click(page, "wait_for_goods")
        assert "selected" not in classes(page, TIMER)
        finding.get_by_role("button").click()
        expect(page.locator(f".djs-shape[data-element-id='{TIMER}']")).to_have_class(
            re.compile(r"\bselected\b")
        )
        screenshot(page, "modeler_validation_finding")
        assert problems == [], "\n".join(problems)
    finally:
        context.close()


def test_a_save_on_a_stale_revision_shows_the_conflict(workspace: Workspace, browser: Any) -> None:
    add_user(workspace.services, "ana_model", [], "analyst", PASSWORD)
    add_user(workspace.services, "ana_other", [], "analyst", PASSWORD)
    draft = diagram_drafts.create_draft(workspace.services, "return", ANALYST, 1)
    first, page = _analyst_page(workspace, browser)
    try:
        page.goto(f"{workspace.base}/modeler/drafts/{draft.id}")
        expect(page.locator("#editor")).to_have_attribute("data-ready", "true")
        xml = diagram_drafts.read_draft_file(workspace.services, draft.id, "return.bpmn", ANALYST)
        other = type(ANALYST)("ana_other", "analyst")
        diagram_drafts.save_draft_file(workspace.services, draft.id, "return.bpmn", xml, 1, other)
        _select_timer(page)
        page.fill(VALUE, '"P9D"')
        page.click("#editor-save")
        conflict = page.locator("#editor-conflict")
        expect(conflict).to_be_visible()
        expect(conflict).to_contain_text("ana_other saved this draft (revision 2)")
        expect(page.locator("#draft-revision")).to_have_text("1")
        kept = diagram_drafts.read_draft_file(workspace.services, draft.id, "return.bpmn", ANALYST)
        assert kept == xml  # nothing overwritten
        screenshot(page, "modeler_conflict")
        conflict.get_by_role("button").click()
        expect(page.locator("#draft-revision")).to_have_text("2")
    finally:
        first.close()


def test_an_analyst_deploys_a_changed_draft_and_follows_the_compare_link(
    workspace: Workspace, browser: Any
) -> None:
    add_user(workspace.services, "ana_model", [], "analyst", PASSWORD)
    draft = diagram_drafts.create_draft(workspace.services, "return", ANALYST, 1)
    context, page = _analyst_page(workspace, browser)
    problems = page_problems(page)
    try:
        page.goto(f"{workspace.base}/modeler/drafts/{draft.id}")
        expect(page.locator("#editor")).to_have_attribute("data-ready", "true")
        _select_timer(page)
        page.fill(VALUE, '"P5D"')
        page.click("#editor-deploy")
        page.click("#deploy-submit")  # no note yet: refused at the field, nothing deployed
        expect(page.locator("#deploy-note-error")).to_contain_text("Write a change note")
        expect(page.locator("#deploy-note")).to_have_attribute("aria-invalid", "true")
        page.fill("#deploy-note", "Reminder after 5 days instead of 7")
        page.click("#deploy-submit")
        summary = page.locator("#deploy-summary")
        expect(summary).to_contain_text("return v2")
        expect(summary).to_contain_text("rma_case v2")
        expect(page.locator("#draft-revision")).to_have_text("2")  # the change was saved first
        created = page.locator("#deploy-versions li[data-process='return']")
        expect(created.locator("a[data-link='migrate']")).to_have_attribute(
            "href", "/modeler/processes/return/migrate?from=1&to=2"
        )
        screenshot(page, "modeler_deployed")
        created.locator("a[data-link='compare']").click()
        page.wait_for_url("**/modeler/processes/return/compare?from=1&to=2")
        timer = page.locator(f"#change-list li[data-element='{TIMER}'][data-change='changed']")
        expect(timer).to_be_visible()
        expect(timer.locator("tr[data-aspect='timer'] td.after")).to_contain_text("P5D")
        expect(page.locator("#to-migrate")).to_be_visible()
        screenshot(page, "modeler_deployed_compare")
        assert problems == [], "\n".join(problems)
    finally:
        context.close()
