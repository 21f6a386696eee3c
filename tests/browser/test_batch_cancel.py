"""Batch actions in headless Chromium: a manager ticks two cases in the case list, previews the batch,
cancels them with a reason and reads the report, which reloads itself until the batch worker has
worked every case; the test leaves screenshots under test-artifacts/.

The app serves from a thread of the test process (``serving_workspace``); the batch worker runs
beside it as ``rma scheduler`` runs it: a ``BatchWorker`` thread on the same database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import MANAGER
from workspace import Workspace, screenshot, serving_workspace

from rma_orchestrator.scheduler import BatchWorker
from rma_orchestrator.service.instances import get_instance, list_events


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with serving_workspace(tmp_path) as served:
        worker = BatchWorker(served.services)
        worker.start()
        try:
            yield served
        finally:
            worker.stop()


def test_a_manager_cancels_two_ticked_cases_with_a_reason_and_reads_the_report(
    workspace: Workspace, browser: Any
) -> None:
    chosen = [workspace.start_case() for _ in range(2)]
    kept = workspace.start_case()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        workspace.sign_in(page, "manager")
        page.goto(f"{workspace.base}/monitor/instances")
        for case in chosen:
            page.check(f"tr[data-instance='{case.id}'] input[name=instance_id]")
        page.select_option("#batch-action", "cancel")
        screenshot(page, "monitor_batch_ticked")
        page.click("#batch-preview")
        page.wait_for_url(f"{workspace.base}/monitor/batches/*")
        batch_url = page.url  # the preview, and once started the report, of this run
        assert "2 个案件" in page.locator("#preview-summary").inner_text()
        listed = page.locator(".batch-preview tr[data-instance]")
        assert sorted(listed.nth(i).get_attribute("data-instance") for i in range(listed.count())) == sorted(
            str(case.id) for case in chosen
        )
        page.click("#batch-run")  # no reason yet: the browser keeps the form
        assert page.url == batch_url and page.locator("#batch-run-form").count() == 1
        page.fill("#reason", "客户撤回申请 Customer withdrew")
        screenshot(page, "monitor_batch_preview")
        with page.expect_navigation():
            page.click("#batch-run")
        assert page.url == batch_url
        assert page.locator("h1").inner_text() == "批量操作：结果报告"
        # the page reloads itself while the worker goes through the cases; an upper bound only
        page.locator("#batch-summary[data-status='finished']").wait_for(timeout=120_000)
        rows = page.locator("#batch-items tr[data-instance]")
        outcomes = {
            rows.nth(i).get_attribute("data-instance"): rows.nth(i).get_attribute("data-outcome")
            for i in range(rows.count())
        }
        assert outcomes == {str(case.id): "ok" for case in chosen}
        assert "共 2 个：2 个完成，0 个失败" in page.locator("#batch-summary").inner_text()
        assert page.locator("#batch-reason").inner_text() == "客户撤回申请 Customer withdrew"
        screenshot(page, "monitor_batch_cancel_report")
    finally:
        context.close()
    services = workspace.services
    assert [get_instance(services, c.id, MANAGER).status for c in chosen] == ["cancelled", "cancelled"]
    assert get_instance(services, kept.id, MANAGER).status == "running"
    for case in chosen:
        events = [e for e in list_events(services, case.id, MANAGER).items if e.kind == "instance_cancelled"]
        assert [e.details.get("reason") for e in events] == ["客户撤回申请 Customer withdrew"]
