"""The JSON API: deployments and process definitions."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from ...errors import InvalidData
from ...service import (
    definitions,
    version_compare,
)
from ...service.results import (
    DefinitionInfo,
    DeployResult,
    Page,
    ValidationResult,
)
from ...service.version_compare import VersionComparison
from ..auth import current_actor, services
from . import bp
from .operations import Multipart, operation
from .params import FLAG, bool_arg, version_arg


@operation(
    bp,
    "post",
    "/deployments",
    summary="Deploy .bpmn, .dmn and .json form files (201 new versions, 200 all identical)",
    returns=DeployResult,
    status=201,
    also=(200,),
    errors=(400, 403, 422),
    body=Multipart({"files": {"type": "array", "items": {"type": "string", "format": "binary"}}}),
    query={"dry_run": FLAG},
)
def deploy() -> Any:
    actor = current_actor()
    result = definitions.deploy(services(), _uploaded_files(), actor, dry_run=bool_arg("dry_run"))
    return result, 201 if result.created and not result.dry_run else 200


@operation(
    bp,
    "post",
    "/validations",
    summary=(
        "Validate .bpmn, .dmn and .json form files as a deploy would, plus the lint rules; nothing is "
        "deployed. errors refuse a deploy, warnings do not; each names its rule and element"
    ),
    returns=ValidationResult,
    errors=(400, 403, 422),
    body=Multipart({"files": {"type": "array", "items": {"type": "string", "format": "binary"}}}),
)
def validate() -> ValidationResult:
    actor = current_actor()
    return definitions.validate_definitions(services(), _uploaded_files(), actor)


def _uploaded_files() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for storage in request.files.getlist("files"):
        name = storage.filename or ""
        if name in files:
            raise InvalidData("duplicate file", [{"field": "files", "message": f"{name} uploaded twice"}])
        files[name] = storage.read()
    return files


@operation(
    bp, "get", "/process-definitions", summary="Latest version of every process", returns=Page[DefinitionInfo]
)
def list_definitions() -> Page[DefinitionInfo]:
    items = definitions.list_definitions(services(), current_actor())
    return Page(items, len(items), 1, max(len(items), 1))


@operation(
    bp,
    "get",
    "/process-definitions/<key>/versions",
    summary="Every version of a process, newest first, with who deployed it and the change note",
    returns=Page[DefinitionInfo],
    errors=(403, 404),
)
def list_versions(key: str) -> Page[DefinitionInfo]:
    items = definitions.list_versions(services(), key, current_actor())
    return Page(items, len(items), 1, max(len(items), 1))


@operation(
    bp,
    "get",
    "/process-definitions/<key>/versions/<int:version>/bpmn",
    summary="BPMN XML of one version",
    returns=str,
    errors=(404,),
    media_type="application/xml",
)
def definition_xml(key: str, version: int) -> Response:
    xml = definitions.get_definition_xml(services(), key, version, current_actor())
    return Response(xml, mimetype="application/xml")


_VERSION = {"type": "integer", "minimum": 1, "maximum": version_compare.MAX_VERSION}


@operation(
    bp,
    "get",
    "/process-definitions/<key>/compare",
    summary=(
        "What changed between two versions of a process: diagram elements added, removed and changed "
        "(layout alone is not a change: those are listed in moved), decision table rules, and files. "
        "to defaults to the latest version, from to the one before it"
    ),
    returns=VersionComparison,
    errors=(400, 403, 404, 422),
    query={"from": _VERSION, "to": _VERSION},
)
def compare_versions(key: str) -> VersionComparison:
    actor = current_actor()
    to_version = version_arg("to")
    if to_version is None:
        to_version = version_compare.list_versions(services(), key, actor)[-1]
    from_version = version_arg("from")
    if from_version is None:
        from_version = max(to_version - 1, 1)
    return version_compare.compare_versions(services(), key, from_version, to_version, actor)
