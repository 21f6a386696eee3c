"""A lane's id says which group works its tasks; its name is for people and may be bilingual.

Deploy refuses a lane whose id names no group, a lane id without the ``lane_`` prefix, and a
lane named for another group's people, storing nothing; on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from support import AGENT, ANALYST, lifecycle_files

from rma_orchestrator.errors import InvalidDefinition
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy, validate_files
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.store.models import ProcessDefinition

START = {"order_no": "SO-1", "amount": 500, "category": "other"}
LANE = '<bpmn:lane id="lane_customer_service" name="customer_service">'


def _with_lane(lane: str) -> dict[str, bytes]:
    files = lifecycle_files()
    xml = files["order_review.bpmn"].decode()
    assert LANE in xml
    return {**files, "order_review.bpmn": xml.replace(LANE, lane).encode()}


def _definitions(services: Services) -> int:
    with services.database.read() as session:
        return int(session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0)


def _refusal(services: Services, lane: str) -> dict[str, object]:
    with pytest.raises(InvalidDefinition) as refused:
        deploy(services, _with_lane(lane), ANALYST)
    (error,) = refused.value.items
    assert error["file"] == "order_review.bpmn" and error["line"] == 18, error
    assert error["element"] == lane.split('"')[1], error
    assert _definitions(services) == 0
    return error


def test_a_bilingual_lane_name_keeps_the_tasks_with_the_group_of_its_id(services: Services) -> None:
    bilingual = '<bpmn:lane id="lane_customer_service" name="客服 Customer service">'
    deploy(services, _with_lane(bilingual), ANALYST)
    case = start_instance(services, "order_review", START, AGENT)
    assert [t.group for t in get_instance(services, case.id, AGENT).tasks] == ["customer_service"]


def test_a_lane_for_a_group_that_does_not_exist_is_refused(services: Services) -> None:
    error = _refusal(services, '<bpmn:lane id="lane_customer_servise" name="customer_servise">')
    assert "stands for the group 'customer_servise', which does not exist" in str(error["message"])
    assert "customer_service" in str(error["message"])  # the known groups are listed


def test_a_lane_named_for_another_groups_people_is_refused(services: Services) -> None:
    error = _refusal(services, '<bpmn:lane id="lane_customer_service" name="质检 Quality inspection">')
    assert "its group 'customer_service' is '客服 Customer service'" in str(error["message"])


def test_a_lane_id_without_the_group_prefix_is_refused(services: Services) -> None:
    error = _refusal(services, '<bpmn:lane id="customer_service_lane" name="客服 Customer service">')
    assert "must have the id 'lane_<group>'" in str(error["message"])


def test_half_a_label_is_not_enough(services: Services) -> None:
    error = _refusal(services, '<bpmn:lane id="lane_customer_service" name="客服">')
    assert "name the lane with the group's labels (e.g. '客服 Customer service')" in str(error["message"])


def test_checking_files_alone_cannot_know_the_groups_but_still_maps_by_id() -> None:
    """Without a database (``rma validate``) the groups are unknown, so only the deploy refuses them."""
    validate_files(_with_lane('<bpmn:lane id="lane_nobody" name="Nobody">'))
