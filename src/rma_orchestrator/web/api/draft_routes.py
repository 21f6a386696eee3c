"""The JSON API: diagram drafts of the analysts' modeler (service/diagram_drafts.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Response, request
from pydantic import StrictInt

from ...errors import InvalidData, PreconditionRequired
from ...service import diagram_drafts
from ...service.draft_results import DiagramDraftInfo
from ...service.results import DeployResult, Page, ValidationResult
from ..auth import current_actor, services
from . import bp
from .operations import RawBody, operation, parse_body

FILE_TYPES = {".bpmn": "application/xml", ".dmn": "application/xml", ".json": "application/json"}
IF_MATCH: dict[str, dict[str, Any]] = {
    "If-Match": {"type": "string", "description": "the draft's revision the change is based on, e.g. 3"}
}
REVISION = re.compile(r'(?:W/)?"?([0-9]{1,9})"?')
CHANGE_ERRORS = (400, 403, 404, 409, 428)
UNSAFE = re.compile(r"[^A-Za-z0-9._-]")  # in a header's file name (a process key may be any XML name)


@dataclass(frozen=True)
class DraftBody:
    """A new draft of ``process_key``'s files at ``version`` (the latest when left out)."""

    process_key: str
    version: StrictInt | None = None


@dataclass(frozen=True)
class DraftDeployBody:
    """Deploy the draft as it is at ``revision``; ``note`` (required) says what changed and why."""

    note: str
    revision: StrictInt


def _tagged(draft: DiagramDraftInfo, status: int = 200) -> tuple[DiagramDraftInfo, int, dict[str, str]]:
    return draft, status, {"ETag": f'"{draft.revision}"'}


def _if_match() -> int:
    """The revision ``If-Match`` names: 428 without one, 400 when it is no revision."""
    value = request.headers.get("If-Match")
    if value is None:
        raise PreconditionRequired(
            "send If-Match: <revision> with the draft's revision your change is based on "
            "(GET /drafts/{id} answers it)"
        )
    match = REVISION.fullmatch(value.strip())
    if match is None:
        raise InvalidData(
            "bad If-Match", [{"field": "If-Match", "message": "must be the draft's revision, e.g. 3"}]
        )
    return int(match.group(1))


@operation(
    bp,
    "post",
    "/drafts",
    summary="Start a draft from a deployed version's files (no version: the latest; never deployed: empty)",
    returns=DiagramDraftInfo,
    status=201,
    errors=(400, 403, 404),
    body=DraftBody,
)
def diagram_create_draft() -> Any:
    body = parse_body(DraftBody)
    draft = diagram_drafts.create_draft(services(), body.process_key, current_actor(), version=body.version)
    return _tagged(draft, 201)


@operation(
    bp,
    "get",
    "/drafts",
    summary="Every diagram draft, latest saved first",
    returns=Page[DiagramDraftInfo],
    errors=(403,),
)
def diagram_list_drafts() -> Page[DiagramDraftInfo]:
    items = diagram_drafts.list_drafts(services(), current_actor())
    return Page(items, len(items), 1, max(len(items), 1))


@operation(
    bp,
    "get",
    "/drafts/<int:draft_id>",
    summary="One draft with its files",
    returns=DiagramDraftInfo,
    errors=(403, 404),
)
def diagram_get_draft(draft_id: int) -> Any:
    return _tagged(diagram_drafts.get_draft(services(), draft_id, current_actor()))


@operation(
    bp,
    "get",
    "/drafts/<int:draft_id>/files/<name>",
    summary="One file of a draft, as it was last saved",
    returns=bytes,
    errors=(403, 404),
    media_type="application/xml",
    also_media=("application/json",),
)
def diagram_read_draft_file(draft_id: int, name: str) -> Response:
    content = diagram_drafts.read_draft_file(services(), draft_id, name, current_actor())
    suffix = name[name.rfind(".") :]
    return Response(content, mimetype=FILE_TYPES.get(suffix, "application/octet-stream"))


@operation(
    bp,
    "put",
    "/drafts/<int:draft_id>/files/<name>",
    summary="Save a file of a draft (a new name adds one); 409 when the draft is no longer at If-Match",
    returns=DiagramDraftInfo,
    errors=CHANGE_ERRORS,
    body=RawBody(description="the file's new contents"),
    headers=IF_MATCH,
)
def diagram_save_draft_file(draft_id: int, name: str) -> Any:
    revision = _if_match()
    content = request.get_data(cache=False)
    return _tagged(
        diagram_drafts.save_draft_file(services(), draft_id, name, content, revision, current_actor())
    )


@operation(
    bp,
    "delete",
    "/drafts/<int:draft_id>/files/<name>",
    summary="Remove a file from a draft; 409 when the draft is no longer at If-Match",
    returns=DiagramDraftInfo,
    errors=CHANGE_ERRORS,
    headers=IF_MATCH,
)
def diagram_delete_draft_file(draft_id: int, name: str) -> Any:
    revision = _if_match()
    return _tagged(diagram_drafts.delete_draft_file(services(), draft_id, name, revision, current_actor()))


@operation(
    bp,
    "post",
    "/drafts/<int:draft_id>/validations",
    summary="Validate the draft's files exactly as POST /validations would; nothing is deployed",
    returns=ValidationResult,
    errors=(403, 404, 422),
)
def diagram_validate_draft(draft_id: int) -> ValidationResult:
    return diagram_drafts.validate_draft(services(), draft_id, current_actor())


@operation(
    bp,
    "post",
    "/drafts/<int:draft_id>/deployments",
    summary="Deploy the draft at revision with a change note (201 new versions, 200 all identical)",
    returns=DeployResult,
    status=201,
    also=(200,),
    errors=(400, 403, 404, 409, 422),
    body=DraftDeployBody,
)
def diagram_deploy_draft(draft_id: int) -> Any:
    body = parse_body(DraftDeployBody)
    result = diagram_drafts.deploy_draft(services(), draft_id, body.note, body.revision, current_actor())
    return result, 201 if result.created else 200


@operation(
    bp,
    "get",
    "/drafts/<int:draft_id>/archive",
    summary="The draft's files as a zip",
    returns=bytes,
    errors=(403, 404),
    media_type="application/zip",
)
def diagram_draft_archive(draft_id: int) -> Response:
    filename, content = diagram_drafts.draft_archive(services(), draft_id, current_actor())
    response = Response(content, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{UNSAFE.sub("_", filename)}"'
    return response


@operation(
    bp,
    "delete",
    "/drafts/<int:draft_id>",
    summary="Delete a draft",
    returns=None,
    status=204,
    errors=(403, 404),
)
def diagram_delete_draft(draft_id: int) -> Response:
    diagram_drafts.delete_draft(services(), draft_id, current_actor())
    return Response(status=204)
