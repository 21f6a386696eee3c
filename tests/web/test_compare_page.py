"""The compare page /modeler/processes/<key>/compare: both diagrams, the changes listed, the DMN rows."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from compare_versions import QUALITY_CHECK_V2, deploy_two_versions
from flask.testing import FlaskClient

from rma_orchestrator.service.context import Services

SignedIn = Callable[..., FlaskClient]
PAGE = "/modeler/processes/return/compare"


@pytest.fixture
def two_versions(services: Services) -> Services:
    deploy_two_versions(services)
    return services


def _drawing(html: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="compare-data">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))


def test_an_analyst_sees_the_changes_of_the_latest_version(
    signed_in: SignedIn, two_versions: Services
) -> None:
    answer = signed_in("analyst").get(PAGE)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert 'data-element="goods_reminder_due" data-change="changed"' in html
    assert "timeDuration: &#34;P5D&#34;" in html or 'timeDuration: "P5D"' in html
    assert QUALITY_CHECK_V2 in html
    assert 'data-rule="rule_missing_packaging" data-change="changed"' in html
    assert 'class="cell-changed"' in html
    drawing = _drawing(html)
    assert {"id": "goods_reminder_due", "change": "changed"} in drawing["changes"]  # type: ignore[operator]
    assert '"P7D"' in str(drawing["before"]) and '"P5D"' in str(drawing["after"])
    assert '<option value="1" selected>' in html and '<option value="2" selected>' in html


def test_the_page_in_chinese(signed_in: SignedIn, two_versions: Services) -> None:
    html = signed_in("admin", language="zh-CN").get(f"{PAGE}?from=1&to=2").get_data(as_text=True)
    assert "比较版本" in html and "决策表" in html and "计时器" in html


@pytest.mark.parametrize("who", ["staff", "manager"])
def test_others_get_403(signed_in: SignedIn, two_versions: Services, who: str) -> None:
    assert signed_in(who).get(PAGE).status_code == 403


@pytest.mark.parametrize(("query", "status"), [("?from=1&to=5", 404), ("?from=x", 400), ("?to=0", 400)])
def test_bad_versions(signed_in: SignedIn, two_versions: Services, query: str, status: int) -> None:
    assert signed_in("analyst").get(PAGE + query).status_code == status


def test_an_unknown_process_is_404(signed_in: SignedIn, two_versions: Services) -> None:
    assert signed_in("analyst").get("/modeler/processes/nothing/compare").status_code == 404
