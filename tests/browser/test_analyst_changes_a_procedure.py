"""Issue 12's whole journey in headless Chromium, as one analyst does it, from page to page by the
pages' own links and buttons: the analyst opens the modeler from the menu, starts a draft of ``return``,
changes the goods-wait reminder timer in the properties panel, sees the error of a broken expression
marked on the timer, fixes it, runs the process's scenarios against the draft (one passes, the one
that waits out the reminder shows its first difference), deploys version 2 with a change note,
compares it with version 1, moves the case that waits for its parcel to version 2 and finds it
among version 2's cases (the migrate page from version 2). Staff get 403 on the modeler.
Screenshots under test-artifacts/journey_*.png.

The scenarios come from a folder of this test's own (two of processes/tests/), so a run stays short
and nothing is written into the checkout; the batch worker runs beside the app as ``rma scheduler``
runs it."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from migration_cases import start_return
from playwright.sync_api import expect
from rma_cases import ROOT
from support import ADMIN
from workspace import Workspace, analysts_workspace, classes, page_problems, screenshot, sign_in_as

from rma_orchestrator.service.instances import get_instance

TIMER = "goods_reminder_due"  # the 7-day reminder while return waits for the parcel
VALUE = "#bio-properties-panel-timerEventDefinitionValue"
SCENARIOS = ("return_refunded_quality.yaml", "return_abandoned.yaml")  # the second waits 7 days


@pytest.fixture
def journey(tmp_path: Path) -> Iterator[Workspace]:
    processes = tmp_path / "processes"
    (processes / "tests").mkdir(parents=True)
    for name in SCENARIOS:
        shutil.copy(ROOT / "processes" / "tests" / name, processes / "tests" / name)
    with analysts_workspace(tmp_path / "data", processes_dir=processes) as served:
        yield served


def _timer_panel(page: Any) -> Any:
    """Select the reminder timer on the canvas and open its Timer group; the due-time preview."""
    hit = page.locator(f".djs-shape[data-element-id='{TIMER}'] > .djs-hit").first
    hit.dispatch_event("click")  # the shape may lie under the palette
    header = page.locator("[data-group-id='group-timer'] .bio-properties-panel-group-header")
    if "open" not in (header.get_attribute("class") or ""):
        header.click()
    return page.locator(".rma-timer-preview")


def test_an_analyst_changes_the_reminder_and_moves_a_waiting_case_to_version_2(
    journey: Workspace, browser: Any
) -> None:
    case = start_return(journey.services, f"JD-{uuid.uuid4().hex[:8]}")  # waits for its parcel on v1
    context = browser.new_context(viewport={"width": 1400, "height": 950}, locale="en-US")
    page = context.new_page()
    problems = page_problems(page)
    try:
        sign_in_as(page, journey, "ana_chen")
        page.click("header nav a[href='/modeler']")
        page.locator("[data-process='return'] tr[data-version='1']").get_by_role("button").click()
        page.wait_for_url(re.compile(r".*/modeler/drafts/\d+$"))
        expect(page.locator("#editor")).to_have_attribute("data-ready", "true")

        # a broken expression: the preview says so, Validate marks the timer, the finding selects it
        preview = _timer_panel(page)
        expect(page.locator(VALUE)).to_have_value('"P7D"')
        page.fill(VALUE, '"five days"')
        expect(preview).to_have_attribute("data-state", "error")
        page.click("#editor-validate")
        finding = page.locator("#findings li.finding-error", has_text="five days")
        expect(finding).to_be_visible()
        assert "rma-finding-error" in classes(page, TIMER)
        finding.get_by_role("button").click()
        expect(page.locator(f".djs-shape[data-element-id='{TIMER}']")).to_have_class(
            re.compile(r"\bselected\b")
        )
        screenshot(page, "journey_1_broken_timer_marked")

        # fixed (the finding left the timer selected): the preview gives the due time, Validate finds
        # nothing, the mark is gone
        page.fill(VALUE, '"P5D"')
        expect(preview).to_have_attribute("data-state", "ok")
        page.click("#editor-validate")
        expect(page.locator("#findings li.finding-error")).to_have_count(0)
        expect(page.locator(f".djs-element[data-element-id='{TIMER}']")).not_to_have_class(
            re.compile(r"\brma-finding-error\b")
        )
        revision = page.locator("#draft-revision").inner_text()
        screenshot(page, "journey_2_timer_fixed")

        # the scenarios against the draft: pass and fail per file, the first difference shown
        editor_url = page.url
        page.click("#to-scenarios")
        rows = page.locator("#draft-scenarios tr[data-file]")
        expect(rows).to_have_count(len(SCENARIOS))
        page.click("#run-all")
        passed = page.locator("tr[data-file='return_refunded_quality.yaml']")
        failed = page.locator("tr[data-file='return_abandoned.yaml']")
        expect(passed).to_have_attribute("data-state", "passed", timeout=120_000)
        expect(failed).to_have_attribute("data-state", "failed", timeout=120_000)
        assert "step" in failed.inner_text()  # the first difference names its step
        screenshot(page, "journey_3_scenarios")

        # deploy version 2 with a note, then compare it with version 1
        page.click("#to-editor")
        page.wait_for_url(editor_url)
        expect(page.locator("#editor")).to_have_attribute("data-ready", "true")
        expect(page.locator("#draft-revision")).to_have_text(revision)
        page.click("#editor-deploy")
        page.fill("#deploy-note", "Reminder after 5 days instead of 7")
        page.click("#deploy-submit")
        expect(page.locator("#deploy-summary")).to_contain_text("return v2")
        screenshot(page, "journey_4_deployed")
        created = page.locator("#deploy-versions li[data-process='return']")
        created.locator("a[data-link='compare']").click()
        page.wait_for_url("**/modeler/processes/return/compare?from=1&to=2")
        timer = page.locator(f"#change-list li[data-element='{TIMER}'][data-change='changed']")
        expect(timer.locator("tr[data-aspect='timer'] td.after")).to_contain_text("P5D")
        screenshot(page, "journey_5_compared")

        # move the waiting case to version 2
        page.click("#to-migrate")
        page.wait_for_url("**/modeler/processes/return/migrate?from=1&to=2")
        row = page.locator(f"#migrate-cases tr[data-instance='{case.id}']")
        expect(row).to_have_attribute("data-movable", "yes")
        page.fill("#reason", "Reminder after 5 days")
        with page.expect_navigation():
            page.click("#migrate-start")
        page.locator("#migration-summary[data-status='finished']").wait_for(timeout=120_000)
        expect(page.locator(f"#migration-items tr[data-instance='{case.id}']")).to_have_attribute(
            "data-outcome", "ok"
        )
        screenshot(page, "journey_6_migrated")

        # the case is now among the cases of version 2
        page.goto(f"{journey.base}/modeler/processes/return/migrate?from=2&to=1")
        expect(page.locator(f"#migrate-cases tr[data-instance='{case.id}']")).to_be_visible()
        assert problems == [], "\n".join(problems)
    finally:
        context.close()
    assert get_instance(journey.services, case.id, ADMIN).version == 2

    staff = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = staff.new_page()
    try:
        journey.sign_in(page, "agent")
        assert page.locator("header nav a[href='/modeler']").count() == 0
        answer = page.goto(f"{journey.base}/modeler")
        assert answer is not None and answer.status == 403
        screenshot(page, "journey_7_staff_403")
    finally:
        staff.close()
