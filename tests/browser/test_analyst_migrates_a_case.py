"""Moving a waiting case in headless Chromium (issue 12, points 5 and 7): an analyst opens the
migrate page of ``return``, sees the case waiting for its parcel movable from version 1 to the
version whose reminder comes after 5 days, starts the run with a reason and reads the report; the
case's page then shows version 2. Screenshots under test-artifacts/.

The batch worker runs beside the app as ``rma scheduler`` runs it: a ``BatchWorker`` thread."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from migration_cases import deploy_return, reminder_after, start_return
from support import ADMIN
from workspace import Workspace, analysts_workspace, screenshot, sign_in_as

from rma_orchestrator.service.instances import get_instance


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with analysts_workspace(tmp_path) as served:
        yield served


def test_an_analyst_moves_a_waiting_case_to_version_2(workspace: Workspace, browser: Any) -> None:
    case = start_return(workspace.services, f"JD-{uuid.uuid4().hex[:8]}")
    assert deploy_return(workspace.services, reminder_after(5)) == 2
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in_as(page, workspace, "ana_chen")
        page.goto(f"{workspace.base}/modeler/processes/return/migrate?from=1&to=2")
        row = page.locator(f"#migrate-cases tr[data-instance='{case.id}']")
        assert row.get_attribute("data-movable") == "yes"
        assert page.locator(f"input[name=instance_id][value='{case.id}']").is_checked()
        page.fill("#reason", "提醒改为 5 天 Reminder after 5 days")
        screenshot(page, "modeler_migrate_dry_run")
        with page.expect_navigation():
            page.click("#migrate-start")
        assert "/modeler/migrations/" in page.url
        # the page reloads itself while the worker moves the case; an upper bound only
        page.locator("#migration-summary[data-status='finished']").wait_for(timeout=120_000)
        assert (
            page.locator(f"#migration-items tr[data-instance='{case.id}']").get_attribute("data-outcome")
            == "ok"
        )
        screenshot(page, "modeler_migration_report")
    finally:
        context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:  # the case's page, as a manager sees it
        sign_in_as(page, workspace, "mgr_zhou")
        page.goto(f"{workspace.base}/monitor/instances/{case.id}")
        assert "return v2" in page.locator("main").inner_text()
        screenshot(page, "monitor_case_on_version_2")
    finally:
        context.close()
    assert get_instance(workspace.services, case.id, ADMIN).version == 2
