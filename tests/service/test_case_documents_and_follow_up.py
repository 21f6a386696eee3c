"""Issue 10 items 5 and 6 through the real rma_case diagram and real uploads: a missing proof of
purchase or evidence becomes a request to the customer, the documents uploaded on the task let the
eligibility table decide again; the satisfaction follow-up is a customer-service task that the
customer's reply completes, and either way the score is stored for the CSAT figure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from attachment_files import PDF, image_bytes
from rma_cases import case_data, deploy_rma
from sqlalchemy import select
from support import ADMIN, AGENT, MANAGER

from rma_orchestrator.errors import InvalidData
from rma_orchestrator.service.attachments import add_attachment
from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.messages import deliver_message
from rma_orchestrator.service.products import csat_figure
from rma_orchestrator.service.tasks import complete_task
from rma_orchestrator.store.models import TABLES


@pytest.fixture
def rma(services: Services) -> Services:
    deploy_rma(services)
    return services


def open_tasks(services: Services, instance_id: int) -> dict[str, str]:
    return {t.element_id: t.id for t in get_instance(services, instance_id, MANAGER).tasks}


def complete(services: Services, instance_id: int, element: str, data: dict[str, Any]) -> None:
    complete_task(services, open_tasks(services, instance_id)[element], data, AGENT)


def scores(services: Services) -> list[tuple[int | None, str, bool]]:
    table = TABLES["satisfaction_score"]
    with services.database.reading() as connection:
        rows = connection.execute(select(table.c.score, table.c.source, table.c.reached)).all()
    return [(r.score, r.source, r.reached) for r in rows]


def misleading_case(services: Services, **changes: Any) -> dict[str, Any]:
    today = services.clock.now().date()
    return case_data(
        services,
        reason="misleading_sales",
        received_days_ago=5,
        discovered_on=(today - timedelta(days=1)).isoformat(),
        **changes,
    )


def test_evidence_uploaded_before_the_registration_makes_a_misleading_claim_eligible(rma: Services) -> None:
    evidence = add_attachment(rma, AGENT, None, "evidence", "advert.png", image_bytes("PNG"))
    started = start_instance(rma, "rma_case", misleading_case(rma, evidence=[evidence.id]), AGENT)
    detail = get_instance(rma, started.id, MANAGER)
    assert [t.element_id for t in detail.tasks] == ["review_case"]
    assert detail.data["has_evidence"] is True and detail.data["eligible"] is True


def test_missing_evidence_is_asked_for_and_the_upload_on_the_task_decides_again(rma: Services) -> None:
    started = start_instance(rma, "rma_case", misleading_case(rma), AGENT)
    data = get_instance(rma, started.id, MANAGER).data
    assert (data["eligible"], data["decision_code"], data["missing_documents"]) == (
        False,
        "evidence_missing",
        "evidence",
    )
    complete(rma, started.id, "request_documents", {"documents_request_channel": "phone"})
    task_id = open_tasks(rma, started.id)["receive_documents"]
    photo = add_attachment(rma, AGENT, started.id, "photo", "shelf.jpg", image_bytes("JPEG"), task_id)
    with pytest.raises(InvalidData, match="another kind"):  # a photo is not evidence
        complete(rma, started.id, "receive_documents", {"evidence": [photo.id]})
    assert list(open_tasks(rma, started.id)) == ["receive_documents"]
    evidence = add_attachment(rma, AGENT, started.id, "evidence", "chat.pdf", PDF, task_id)
    complete(rma, started.id, "receive_documents", {"evidence": [evidence.id]})
    detail = get_instance(rma, started.id, MANAGER)
    assert [t.element_id for t in detail.tasks] == ["review_case"]
    assert detail.data["evidence"] == [evidence.id]
    assert (detail.data["eligible"], detail.data["decision_code"]) == (
        True,
        "misleading_sales_within_15_working_days",
    )


def test_every_kind_without_proof_of_purchase_gets_a_request_first(rma: Services) -> None:
    for kind, reason in (
        ("return", "no_reason"),
        ("exchange", "wrong_item"),
        ("repair", "quality_in_use"),
        ("complaint", "other"),
    ):
        data = case_data(rma, kind=kind, reason=reason, received_days_ago=1, order_verified=False)
        started = start_instance(rma, "rma_case", data, AGENT)
        detail = get_instance(rma, started.id, MANAGER)
        assert [t.element_id for t in detail.tasks] == ["request_documents"], kind
        assert detail.tasks[0].group == "customer_service"
        assert detail.data["missing_documents"] == "proof_of_purchase", kind


def resolved_complaint(services: Services) -> int:
    started = start_instance(
        services, "rma_case", case_data(services, kind="complaint", reason="other"), AGENT
    )
    complete(
        services,
        started.id,
        "review_case",
        {"eligible": True, "approved": True, "return_method": "not_applicable"},
    )
    complete(
        services,
        started.id,
        "investigate",
        {
            "findings": "迟到。 Late.",
            "responsible_party": "logistics",
            "corrective_action": "投诉承运商。 Complained.",
        },
    )
    complete(
        services,
        started.id,
        "answer_customer",
        {
            "answer_zh": "很抱歉。",
            "answer_en": "We are sorry.",
            "answer_channel": "phone",
            "answered_at": services.clock.now().isoformat(),
        },
    )
    return started.id


def test_the_follow_up_task_opens_3_days_after_resolution_and_the_reply_completes_it(rma: Services) -> None:
    instance_id = resolved_complaint(rma)
    move_clock(rma, ADMIN, add="PT71H59M")
    assert open_tasks(rma, instance_id) == {}
    move_clock(rma, ADMIN, add="PT2M")
    detail = get_instance(rma, instance_id, MANAGER)
    assert [(t.element_id, t.group) for t in detail.tasks] == [("follow_up", "customer_service")]
    key = detail.business_key
    assert deliver_message(rma, "survey_reply", key, {"score": 4, "comment": "好。 Good."}, AGENT).delivered
    detail = get_instance(rma, instance_id, MANAGER)
    assert detail.status == "completed" and detail.tasks == []
    assert scores(rma) == [(4, "customer_reply", True)]
    assert csat_figure(rma).average == 4


def test_a_follow_up_by_phone_stores_the_score_once(rma: Services) -> None:
    instance_id = resolved_complaint(rma)
    move_clock(rma, ADMIN, add="PT72H1M")
    complete(rma, instance_id, "follow_up", {"survey_reached": True, "survey_score": 2})
    assert get_instance(rma, instance_id, MANAGER).status == "completed"
    assert scores(rma) == [(2, "phone_call", True)]
    figure = csat_figure(rma)
    assert (figure.entries, figure.scored, figure.average) == (1, 1, 2)
