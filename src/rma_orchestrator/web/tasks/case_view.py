"""What the task page shows of the case: the facts staff look for, read from the case data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...service.product_results import ProductInfo
from ...service.results import InstanceDetail, TimerInfo


@dataclass(frozen=True)
class Deadline:
    element_id: str
    due_at: datetime
    status: str


@dataclass(frozen=True)
class CaseView:
    business_key: str
    process_key: str
    status: str
    customer: dict[str, Any]
    order_no: str | None
    product: dict[str, Any]
    purchased_on: str | None
    received_at: str | None
    reported_at: str | None
    kind: str | None
    reason: str | None
    description: str | None
    eligible: bool | None
    decision_code: str | None
    reason_zh: str | None
    reason_en: str | None
    shipping_paid_by: str | None
    missing_documents: tuple[str, ...] = ()  # attachment kinds the table asks for before it decides
    deadlines: list[Deadline] = field(default_factory=list)
    product_record: ProductInfo | None = None  # the unit's history by serial number


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def case_view(instance: InstanceDetail, task_data: dict[str, Any]) -> CaseView:
    """The case as of the task: the task's own data first (it is the newest), then the case's."""
    data = {**instance.data, **task_data}
    eligible = data.get("eligible")
    return CaseView(
        business_key=instance.business_key,
        process_key=instance.process_key,
        status=instance.status,
        customer=_object(data.get("customer")),
        order_no=_text(data.get("order_no")),
        product=_object(data.get("product")),
        purchased_on=_text(data.get("purchased_on")),
        received_at=_text(data.get("received_at")),
        reported_at=_text(data.get("reported_at")),
        kind=_text(data.get("kind")),
        reason=_text(data.get("reason")),
        description=_text(data.get("description")),
        eligible=eligible if isinstance(eligible, bool) else None,
        decision_code=_text(data.get("decision_code")),
        reason_zh=_text(data.get("reason_zh")),
        reason_en=_text(data.get("reason_en")),
        shipping_paid_by=_text(data.get("shipping_paid_by")),
        missing_documents=_kinds(data.get("missing_documents")),
        deadlines=_deadlines(instance.timers),
        product_record=instance.product,
    )


def _kinds(value: Any) -> tuple[str, ...]:
    """The eligibility table's ``missing_documents`` ("proof_of_purchase, evidence") as kinds."""
    text = _text(value) or ""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _deadlines(timers: list[TimerInfo]) -> list[Deadline]:
    return sorted(
        (Deadline(t.element_id, t.due_at, t.status) for t in timers), key=lambda d: d.due_at
    )
