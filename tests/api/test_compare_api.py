"""GET /process-definitions/{key}/compare: the changes between two versions, analysts and admins only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from compare_versions import QUALITY_CHECK_V2, deploy_two_versions
from flask.testing import FlaskClient

from rma_orchestrator.service.context import Services

Auth = Callable[[str], dict[str, str]]
URL = "/api/v1/process-definitions/return/compare"


@pytest.fixture
def two_versions(services: Services) -> Services:
    deploy_two_versions(services)
    return services


def test_an_analyst_gets_elements_decisions_and_files(
    client: FlaskClient, auth: Auth, two_versions: Services
) -> None:
    answer = client.get(f"{URL}?from=1&to=2", headers=auth("analyst"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert set(body) >= {
        "process_key",
        "from_version",
        "to_version",
        "elements",
        "decisions",
        "files",
        "moved",
    }
    assert (body["process_key"], body["from_version"], body["to_version"]) == ("return", 1, 2)
    elements = {e["id"]: e for e in body["elements"]}
    assert elements["goods_reminder_due"]["change"] == "changed"
    assert elements["goods_reminder_due"]["type"] == "boundaryEvent"
    assert elements["goods_reminder_due"]["details"] == [
        {"aspect": "timer", "key": None, "before": 'timeDuration: "P7D"', "after": 'timeDuration: "P5D"'}
    ]
    assert elements["quality_check"]["name"] == QUALITY_CHECK_V2
    (decision,) = body["decisions"]
    assert (decision["file"], decision["decision_id"]) == ("refund_deductions.dmn", "refund_deductions")
    assert [(r["id"], r["change"]) for r in decision["rules"]] == [("rule_missing_packaging", "changed")]
    assert sorted(f["name"] for f in body["files"]) == ["refund_deductions.dmn", "return.bpmn"]


def test_without_versions_the_latest_is_compared_with_the_one_before(
    client: FlaskClient, auth: Auth, two_versions: Services
) -> None:
    body = client.get(URL, headers=auth("admin")).get_json()
    assert (body["from_version"], body["to_version"]) == (1, 2)
    assert client.get(f"{URL}?to=1", headers=auth("admin")).get_json()["elements"] == []


@pytest.mark.parametrize("who", ["staff", "manager"])
def test_other_roles_are_refused(client: FlaskClient, auth: Auth, two_versions: Services, who: str) -> None:
    assert client.get(f"{URL}?from=1&to=2", headers=auth(who)).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        f"{URL}?from=1&to=3",
        f"{URL}?from=7",
        "/api/v1/process-definitions/nothing/compare",
        f"{URL}?from=1&to=9999",
    ],
)
def test_unknown_versions_are_404(client: FlaskClient, auth: Auth, two_versions: Services, url: str) -> None:
    answer = client.get(url, headers=auth("analyst"))
    assert answer.status_code == 404
    assert answer.get_json()["errors"][0]["message"]


@pytest.mark.parametrize("query", ["from=one", "to=0", "from=-1", "to=%D9%A3", "from=+1"])
def test_a_version_that_is_not_a_number_is_a_field_error(
    client: FlaskClient, auth: Auth, two_versions: Services, query: str
) -> None:
    answer = client.get(f"{URL}?{query}", headers=auth("analyst"))
    assert answer.status_code == 400
    assert answer.get_json()["errors"][0]["field"] in ("from", "to")
