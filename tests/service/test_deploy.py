"""Deploying: versions only when content changes, dry runs, errors that change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from support import ANALYST, lifecycle_files

from rma_orchestrator.errors import Forbidden, InvalidDefinition
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy, list_definitions
from rma_orchestrator.store.models import Blob, Deployment, DeploymentFile, ProcessDefinition


def _count(services: Services, model: type) -> int:
    with services.database.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_first_deploy_creates_version_one_of_each_process(services: Services) -> None:
    result = deploy(services, lifecycle_files(), ANALYST)
    assert {(p.process_key, p.version, p.created) for p in result.processes} == {
        ("order_review", 1, True),
        ("order_fix", 1, True),
    }
    assert [d.process_key for d in list_definitions(services, ANALYST)] == ["order_fix", "order_review"]


def test_identical_upload_reports_the_existing_version(services: Services) -> None:
    first = deploy(services, lifecycle_files(), ANALYST)
    again = deploy(services, lifecycle_files(), ANALYST)
    assert not again.created
    assert again.deployment_id == first.deployment_id
    assert {(p.process_key, p.version) for p in again.processes} == {("order_review", 1), ("order_fix", 1)}
    assert _count(services, Deployment) == 1


def test_changed_decision_table_versions_only_the_process_using_it(services: Services) -> None:
    deploy(services, lifecycle_files(), ANALYST)
    dmn = (
        lifecycle_files()["review_rules.dmn"].replace(b"&lt; 100", b"&lt; 200").replace(b">= 100", b">= 200")
    )
    assert dmn != lifecycle_files()["review_rules.dmn"]
    result = deploy(services, {"review_rules.dmn": dmn}, ANALYST)
    assert [(p.process_key, p.version, p.created) for p in result.processes] == [("order_review", 2, True)]


def test_changed_called_process_versions_its_callers(services: Services) -> None:
    deploy(services, lifecycle_files(), ANALYST)
    fix = lifecycle_files()["order_fix.bpmn"].replace(b"fixed = True", b"fixed = 'yes'")
    result = deploy(services, {"order_fix.bpmn": fix}, ANALYST)
    assert {(p.process_key, p.version) for p in result.processes} == {("order_fix", 2), ("order_review", 2)}


def test_changed_form_versions_the_process_naming_it(services: Services) -> None:
    deploy(services, lifecycle_files(), ANALYST)
    form = lifecycle_files()["review_form.json"].replace(b'"title"', b'"description": "changed", "title"', 1)
    result = deploy(services, {"review_form.json": form}, ANALYST)
    assert [(p.process_key, p.version) for p in result.processes] == [("order_review", 2)]


def test_dry_run_validates_and_writes_nothing(services: Services) -> None:
    result = deploy(services, lifecycle_files(), ANALYST, dry_run=True)
    assert result.dry_run and result.deployment_id is None
    assert _count(services, ProcessDefinition) == 0


def test_invalid_upload_lists_errors_and_deploys_nothing(services: Services) -> None:
    files = lifecycle_files()
    files["order_fix.bpmn"] = files["order_fix.bpmn"].replace(b"fixed = True", b"import os")
    files["broken.bpmn"] = b"<bpmn:definitions"
    with pytest.raises(InvalidDefinition) as caught:
        deploy(services, files, ANALYST)
    errors = caught.value.items
    assert {e["file"] for e in errors} >= {"order_fix.bpmn", "broken.bpmn"}
    assert all({"file", "line", "element", "message"} <= e.keys() for e in errors)
    assert _count(services, ProcessDefinition) == 0 and _count(services, Deployment) == 0


def test_only_analysts_deploy(services: Services) -> None:
    from support import AGENT

    with pytest.raises(Forbidden):
        deploy(services, lifecycle_files(), AGENT)
    assert _count(services, Deployment) == 0


def test_files_with_identical_content_share_one_blob(services: Services) -> None:
    files = lifecycle_files()
    files["copy_of_review_form.json"] = files["review_form.json"]
    result = deploy(services, files, ANALYST)
    assert result.created
    assert _count(services, Blob) == len(set(files.values()))
    with services.database.read() as session:
        shas = dict(session.execute(select(DeploymentFile.name, DeploymentFile.sha256)).all())
    assert shas["copy_of_review_form.json"] == shas["review_form.json"]


def test_the_lanes_exist_as_groups_with_labels(services: Services) -> None:
    from rma_orchestrator.store.staff_models import Group

    with services.database.read() as session:
        labels = {g.name: (g.label_zh, g.label_en) for g in session.scalars(select(Group))}
    assert labels["after_sales_manager"] == ("售后经理", "After-sales manager")
    assert set(labels) >= {
        "customer_service",
        "cs_supervisor",
        "warehouse",
        "quality",
        "finance",
        "technician",
    }
