"""A manager repairs a stuck case in headless Chromium: the warehouse scanner reported the goods received
with a time without its UTC offset, so the return's record_receipt step stopped at an incident (a
deadline guessed in the server's time zone would be silently wrong). The manager opens the case, sees
the incident with its error and the failed step on the called process's diagram, first types broken
JSON (refused, nothing changed, what was typed kept), then the corrected receipt time with a reason,
and sees the case move on to the receiving inspection with the reason in its history. The test leaves
screenshots under test-artifacts/."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from support import AGENT, MANAGER, database_state
from workspace import Workspace, classes, page_problems, screenshot

from rma_orchestrator.service.instances import get_instance, list_events
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.service.results import InstanceInfo
from rma_orchestrator.service.tasks import complete_task

REASON = "扫描枪漏了时区，按签收单更正 The scanner dropped the offset; corrected from the delivery note"


def stuck_at_the_receipt(workspace: Workspace) -> tuple[InstanceInfo, dict[str, Any], str]:
    """A return accepted at its review whose goods arrived with ``received_at`` missing its offset:
    the case, the receipt as the warehouse sent it, and that time as it should have been sent."""
    services = workspace.services
    case = workspace.start_case()
    review = {"eligible": True, "approved": True, "return_method": "courier_pickup"}
    complete_task(services, workspace.open_task(case), review, AGENT)
    local = services.clock.now().astimezone(ZoneInfo(services.settings.business_tz)).replace(microsecond=0)
    receipt = {"received_at": local.replace(tzinfo=None).isoformat(), "received_by": "仓库-张伟"}
    receipt["parcel_condition"] = "intact"
    assert deliver_message(services, "goods_received", case.business_key, receipt, AGENT).delivered
    assert get_instance(services, case.id, MANAGER).status == "error"
    return case, receipt, local.isoformat()


def test_a_manager_retries_an_incident_with_corrected_data(workspace: Workspace, browser: Any) -> None:
    services = workspace.services
    case, receipt, corrected_time = stuck_at_the_receipt(workspace)
    (incident,) = get_instance(services, case.id, MANAGER).incidents
    assert incident.element_id == "record_receipt"
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    problems = page_problems(page)
    try:
        workspace.sign_in(page, "manager")
        page.goto(f"{workspace.base}/monitor/instances?status=error")
        page.click(f"tr[data-instance='{case.id}'] a")
        page.wait_for_url(f"{workspace.base}/monitor/instances/{case.id}")
        assert page.locator("h1 .badge").inner_text() == "因错误停止"
        shown = page.locator(f".incident[data-incident='{incident.id}']")
        assert shown.locator("strong").inner_text() == "record_receipt"
        assert "has no UTC offset" in shown.locator(".incident-message").inner_text()
        page.wait_for_selector("#diagram[data-ready='true']")
        page.locator(".djs-element[data-element-id='handle_return']").click()
        page.wait_for_selector("#diagram[data-process='return'][data-ready='true']")
        assert "rma-failed" in classes(page, "record_receipt")
        screenshot(page, "monitor_incident_before_retry")

        form = shown.locator("form")
        broken = '{"goods_received": {"received_at": "' + corrected_time + '"'  # braces left open
        before = database_state(services)
        form.locator("textarea[name=data]").fill(broken)
        form.locator("input[name=reason]").fill(REASON)
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"{workspace.base}/monitor/instances/{case.id}/incidents/{incident.id}/retry")
        refused = page.locator(f"[data-refused='retry:{incident.id}']")
        assert refused.inner_text().startswith("修正数据不是有效的 JSON（第 1 行")
        assert page.locator(f"#data-{incident.id}").input_value() == broken  # what was typed stays
        assert page.locator(f"#retry-reason-{incident.id}").input_value() == REASON
        assert database_state(services) == before
        screenshot(page, "monitor_incident_bad_json")

        corrected = {"goods_received": {**receipt, "received_at": corrected_time}}
        page.locator(f"#data-{incident.id}").fill(json.dumps(corrected, ensure_ascii=False, indent=2))
        page.locator(f".incident[data-incident='{incident.id}'] button[type=submit]").click()
        page.wait_for_url(f"{workspace.base}/monitor/instances/{case.id}")
        assert "故障已重试。" in page.locator(".flash").inner_text()
        assert page.locator(".incident[data-incident]").count() == 0
        assert "没有未解决的故障。" in page.locator("section[aria-labelledby=incidents-title]").inner_text()
        assert page.locator("h1 .badge").inner_text() == "进行中"
        (task,) = page.locator(".open-task").all()
        assert "收货检验" in task.inner_text()  # the step after the receipt: the receiving inspection
        timeline = page.locator("ol.timeline li", has_text="故障已解决")
        assert timeline.locator("q.reason").inner_text() == REASON
        page.wait_for_selector("#diagram[data-ready='true']")
        page.locator(".djs-element[data-element-id='handle_return']").click()
        page.wait_for_selector("#diagram[data-process='return'][data-ready='true']")
        assert "rma-completed" in classes(page, "record_receipt")
        assert "rma-active" in classes(page, "inspect_goods")
        assert problems == []
        screenshot(page, "monitor_incident_retried")
    finally:
        context.close()
    detail = get_instance(services, case.id, MANAGER)
    assert detail.status == "running" and [i.resolved_at is not None for i in detail.incidents] == [True]
    assert [t.element_id for t in detail.tasks if t.status == "open"] == ["inspect_goods"]
    events = list_events(services, case.id, MANAGER).items
    assert [e.details.get("reason") for e in events if e.kind == "incident_resolved"] == [REASON]
