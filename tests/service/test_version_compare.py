"""compare_versions on both databases: two deployed versions of return, compared as stored."""

from __future__ import annotations

import pytest
from compare_versions import QUALITY_CHECK_V1, QUALITY_CHECK_V2, deploy_two_versions
from support import ADMIN, AGENT, ANALYST, MANAGER

from rma_orchestrator.engine.diagram_diff import Detail
from rma_orchestrator.errors import Forbidden, NotFound
from rma_orchestrator.service.context import Actor, Services
from rma_orchestrator.service.version_compare import compare_diagrams, compare_versions, list_versions


@pytest.fixture
def two_versions(services: Services) -> Services:
    deploy_two_versions(services)
    return services


def test_the_changes_between_two_deployed_versions(two_versions: Services) -> None:
    result = compare_versions(two_versions, "return", 1, 2, ANALYST)
    assert (result.process_key, result.from_version, result.to_version) == ("return", 1, 2)
    by_id = {e.id: e for e in result.elements}
    assert set(by_id) == {"goods_reminder_due", "quality_check"}
    assert by_id["goods_reminder_due"].details == [
        Detail("timer", None, 'timeDuration: "P7D"', 'timeDuration: "P5D"')
    ]
    assert by_id["quality_check"].details == [Detail("name", None, QUALITY_CHECK_V1, QUALITY_CHECK_V2)]
    (decision,) = result.decisions
    (rule,) = decision.rules
    assert rule.id == "rule_missing_packaging"
    assert rule.outputs_before and rule.outputs_before["deduction_percent"] == "5"
    assert rule.outputs_after and rule.outputs_after["deduction_percent"] == "3"
    assert {(f.name, f.change) for f in result.files} == {
        ("return.bpmn", "changed"),
        ("refund_deductions.dmn", "changed"),
    }


def test_backwards_the_same_changes_read_the_other_way(two_versions: Services) -> None:
    result = compare_versions(two_versions, "return", 2, 1, ADMIN)
    timer = next(e for e in result.elements if e.id == "goods_reminder_due")
    assert timer.details[0].before == 'timeDuration: "P5D"'


def test_a_version_compared_with_itself_has_no_change(two_versions: Services) -> None:
    result = compare_versions(two_versions, "return", 2, 2, ANALYST)
    assert (result.elements, result.decisions, result.files, result.moved) == ([], [], [], [])


def test_the_page_gets_both_diagrams(two_versions: Services) -> None:
    compared = compare_diagrams(two_versions, "return", 1, 2, ANALYST)
    assert '"P7D"' in compared.before_xml and '"P5D"' in compared.after_xml
    assert list_versions(two_versions, "return", ANALYST) == [1, 2]


@pytest.mark.parametrize("actor", [AGENT, MANAGER], ids=["staff", "manager"])
def test_only_analysts_and_admins_compare(two_versions: Services, actor: Actor) -> None:
    with pytest.raises(Forbidden):
        compare_versions(two_versions, "return", 1, 2, actor)
    with pytest.raises(Forbidden):
        list_versions(two_versions, "return", actor)


@pytest.mark.parametrize(
    ("key", "old", "new"),
    [("return", 1, 3), ("return", 9, 1), ("no_such_process", 1, 2), ("return", 0, 1), ("x" * 500, 1, 2)],
)
def test_unknown_versions_are_not_found(two_versions: Services, key: str, old: int, new: int) -> None:
    with pytest.raises(NotFound):
        compare_versions(two_versions, key, old, new, ANALYST)


def test_an_undeployed_process_has_no_versions(two_versions: Services) -> None:
    with pytest.raises(NotFound):
        list_versions(two_versions, "no_such_process", ANALYST)
