"""Staff without the manager role in headless Chromium: every page under /monitor answers 403 with the
error page of the layout, and the menu offers none of them. The pages are read from the app's URL map,
so a monitor page added later is checked too; the test leaves a screenshot under test-artifacts/."""

from __future__ import annotations

from typing import Any

from support import MANAGER
from workspace import Workspace, screenshot

from rma_orchestrator.service.batches import prepare_batch
from rma_orchestrator.web import create_app


def _monitor_pages(workspace: Workspace) -> list[str]:
    """Every GET address under /monitor, its ids those of a real case and a real batch preview."""
    case = workspace.start_case()
    batch = prepare_batch(workspace.services, MANAGER, "cancel", instance_ids=[case.id])
    values = {"instance_id": case.id, "batch_id": batch.batch_id}
    app = create_app(services=workspace.services)
    with app.test_request_context():
        adapter = app.url_map.bind("127.0.0.1")
        return sorted(
            adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments})
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/monitor") and "GET" in (rule.methods or ())
        )


def test_staff_get_403_on_every_monitor_page(workspace: Workspace, browser: Any) -> None:
    pages = _monitor_pages(workspace)
    assert {"/monitor/", "/monitor/dashboard", "/monitor/heatmap", "/monitor/calendar"} <= set(pages)
    assert any(p.startswith("/monitor/batches/") for p in pages) and len(pages) >= 8, pages
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    try:
        workspace.sign_in(page, "agent")
        assert page.locator("header nav a[href^='/monitor']").count() == 0
        answers = {}
        for path in pages:
            answer = page.goto(f"{workspace.base}{path}")
            assert answer is not None
            answers[path] = answer.status
            if answer.headers.get("content-type", "").startswith("text/html"):
                assert "You may not open this" in page.content(), path
        assert answers == {path: 403 for path in pages}
        page.goto(f"{workspace.base}/monitor/dashboard")
        screenshot(page, "monitor_forbidden_to_staff")
    finally:
        context.close()
