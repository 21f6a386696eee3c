"""The staff's working day in headless Chromium: sign in, inbox, claim, form errors, drafts, conflicts,
new cases with photos, refusals; every test leaves a screenshot under test-artifacts/."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from workspace import Workspace, screenshot

from rma_orchestrator.service.attachments import list_attachments
from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import SYSTEM, Actor
from rma_orchestrator.service.instances import list_instances
from rma_orchestrator.service.messages import deliver_message

MANAGER = Actor("boss", "manager")


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    yield context
    context.close()


def _inbox_order(page: Any) -> list[str]:
    return [row.get_attribute("data-task") for row in page.query_selector_all("tr[data-task]")]


def _fill_review(page: Any, address: str | None) -> None:
    page.select_option("[name=return_method]", "customer_ships")
    if address is not None:
        page.fill("[name=return_address]", address)


@pytest.mark.parametrize(("locale", "required"), [("en-US", "required"), ("zh-CN", "必填")])
def test_an_agent_works_a_task_from_the_inbox_to_the_warehouse(
    workspace: Workspace, browser: Any, locale: str, required: str
) -> None:
    first = workspace.start_case(order_no="SO-FIRST")
    move_clock(workspace.services, SYSTEM, add="PT1H")  # the second case is due an hour later
    second = workspace.start_case(order_no="SO-SECOND")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=locale)
    page = context.new_page()
    workspace.sign_in(page, "agent")
    page.goto(f"{workspace.base}/tasks?view=groups")
    assert _inbox_order(page) == [workspace.open_task(first), workspace.open_task(second)]
    screenshot(page, f"inbox-{locale}")

    page.keyboard.press("j")  # the first row, by keyboard
    with page.expect_navigation():
        page.keyboard.press("c")  # claimed from the list
    assert page.locator(".flash").count() == 1
    page.goto(f"{workspace.base}/tasks?view=mine")
    assert _inbox_order(page) == [workspace.open_task(first)]
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{workspace.base}/tasks/{workspace.open_task(first)}"

    _fill_review(page, address=None)  # the address is missing: an error at its field
    page.click("button[value=complete]")
    field = page.locator("[name=return_address]")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby") or ""
    messages = " ".join(page.locator(f"#{i}").inner_text() for i in described.split())
    assert required in messages
    assert page.locator("[name=return_method]").input_value() == "customer_ships"  # kept
    screenshot(page, f"task-error-{locale}")

    _fill_review(page, address="上海市浦东新区 1 号 仓库")
    page.click("button[value=complete]")
    page.wait_for_url(f"{workspace.base}/tasks/{workspace.open_task(second)}")  # the next task opens

    other_browser = browser.new_context(viewport={"width": 390, "height": 800}, locale=locale)
    warehouse = other_browser.new_page()  # a handheld scanner in the warehouse
    workspace.sign_in(warehouse, "warehouse")
    warehouse.goto(f"{workspace.base}/tasks?view=groups")
    assert _inbox_order(warehouse) == []
    deliver_message(
        workspace.services,
        "goods_received",
        first.business_key,
        {"received_at": "2026-05-12T08:30:00+08:00", "received_by": "仓库", "parcel_condition": "intact"},
        MANAGER,
    )
    warehouse.wait_for_selector("tr[data-task]", timeout=15_000)  # appears without a reload
    assert first.business_key in warehouse.inner_text("#inbox-rows")
    screenshot(warehouse, f"warehouse-new-task-{locale}")
    other_browser.close()
    context.close()


def test_a_second_agent_with_the_same_task_open_gets_the_conflict_message(
    workspace: Workspace, browser: Any
) -> None:
    task = workspace.open_task(workspace.start_case())
    first = browser.new_context(locale="en-US").new_page()
    second = browser.new_context(locale="en-US").new_page()
    workspace.sign_in(first, "agent")
    workspace.sign_in(second, "agent2")
    for page in (first, second):
        page.goto(f"{workspace.base}/tasks/{task}")
        _fill_review(page, address="上海")
    first.click("button[value=complete]")
    first.wait_for_url(re.compile(r".*/tasks(\?.*)?$"))
    second.click("button[value=complete]")
    alert = second.locator("[role=alert]")
    assert "claimed" in alert.inner_text() or "completed" in alert.inner_text()
    assert second.get_by_role("link", name="Back to the inbox").is_visible()
    screenshot(second, "task-conflict")


def _png(path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


def _fill_start_form(page: Any, workspace: Workspace) -> None:
    now = workspace.services.clock.now().astimezone(ZoneInfo(workspace.services.settings.business_tz))
    page.fill("[name='customer.name']", "赵敏 Zhao Min")
    page.fill("[name='customer.phone']", "13700001234")
    page.fill("[name='customer.email']", "zhao@example.cn")
    page.fill("[name=order_no]", "SO-PAGE-1")
    page.fill("[name='product.sku']", "KETTLE-1")
    page.fill("[name='product.name']", "电热水壶 Electric kettle")
    page.select_option("[name='product.category']", "home_goods")
    page.select_option("[name='product.exclusion']", "none")
    page.fill("[name='product.price_paid']", "199.00")
    page.fill("[name=purchased_on]", (now - timedelta(days=6)).date().isoformat())
    page.fill("[name=received_at]", (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("[name=reported_at]", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.select_option("[name=kind]", "return")
    page.select_option("[name=reason]", "no_reason")
    page.fill("[name=description]", "不想要了。 No longer wanted.")
    for box in ("condition.unused", "condition.packaging_complete", "condition.accessories_complete"):
        page.check(f"[name='{box}']")
    page.select_option("[name=channel]", "portal")


def test_a_new_case_with_a_photo_shows_its_decision(
    workspace: Workspace, context: Any, tmp_path: Path
) -> None:
    page = context.new_page()
    workspace.sign_in(page, "agent")
    page.goto(f"{workspace.base}/cases/new")
    _fill_start_form(page, workspace)
    page.set_input_files("[name=photos]", str(_png(tmp_path / "kettle.png")))
    page.set_input_files("[name=proof_of_purchase]", str(_png(tmp_path / "receipt.png")))
    page.click("button[value=start]")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    text = page.inner_text("main")
    assert "registered" in text and "Eligibility decision" in text
    # unused, within 7 days, with a proof of purchase: accepted
    assert "eligible:" in text and "not eligible" not in text
    assert page.locator("img[alt='kettle.png']").count() == 1
    (case,) = list_instances(workspace.services, MANAGER).items
    kinds = {a.filename: a.kind for a in list_attachments(workspace.services, MANAGER, case.id)}
    assert kinds == {"kettle.png": "photo", "receipt.png": "proof_of_purchase"}
    screenshot(page, "new-case-decision")


def test_a_forbidden_file_is_refused_and_staff_of_another_group_get_403(
    workspace: Workspace, context: Any, tmp_path: Path
) -> None:
    page = context.new_page()
    workspace.sign_in(page, "agent")
    page.goto(f"{workspace.base}/cases/new")
    _fill_start_form(page, workspace)
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"MZ\x90\x00this is a program, not a photo")
    page.set_input_files("[name=photos]", str(fake))
    page.click("button[value=start]")
    assert "not accepted" in page.inner_text("#f-photos-error")
    assert page.locator("[name='customer.name']").input_value() == "赵敏 Zhao Min"
    assert list_instances(workspace.services, MANAGER).total == 0
    screenshot(page, "upload-refused")

    task = workspace.open_task(workspace.start_case())
    other = context.browser.new_context(locale="en-US").new_page()
    workspace.sign_in(other, "warehouse")
    answer = other.goto(f"{workspace.base}/tasks/{task}")
    assert answer is not None and answer.status == 403
    screenshot(other, "task-forbidden")


def test_a_draft_survives_a_reload(workspace: Workspace, context: Any) -> None:
    task = workspace.open_task(workspace.start_case())
    page = context.new_page()
    workspace.sign_in(page, "agent")
    page.goto(f"{workspace.base}/tasks/{task}")
    _fill_review(page, address="北京市朝阳区 8 号")
    with page.expect_navigation():  # the draft is saved by a form post: reload only after its answer
        page.click("button[value=draft]")
    page.reload()
    assert page.locator("[name=return_address]").input_value() == "北京市朝阳区 8 号"
    screenshot(page, "draft-restored")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_inbox_and_the_task_page_fit_the_screen(workspace: Workspace, browser: Any, width: int) -> None:
    task = workspace.open_task(workspace.start_case())
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
    page = context.new_page()
    workspace.sign_in(page, "agent")
    for path, name in (("/tasks?view=groups", "inbox"), (f"/tasks/{task}", "task")):
        page.goto(f"{workspace.base}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} is {overflow}px wider than a {width}px screen"
        unlabelled = page.evaluate(
            """[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                 .map(e => e.name)"""
        )
        assert unlabelled == [], f"inputs without a label on the {name} page: {unlabelled}"
        screenshot(page, f"{name}-{width}px")
    context.close()
