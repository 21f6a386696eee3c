"""The JSON API: batch actions on many cases (managers), each case in its own transaction."""

from __future__ import annotations

from ...errors import InvalidData
from ...service import batches
from ...service.batches import BatchPreview, BatchReport
from ...service.instance_search import parse_search
from ..auth import current_actor, services
from . import bp
from .bodies import BatchBody
from .operations import operation, parse_body


@operation(
    bp,
    "post",
    "/batches",
    summary="Cancel, suspend, resume or retry the incidents of many cases (managers): the preview "
    "with dry_run, else the report of each case (ok, or failed and why)",
    returns=BatchPreview | BatchReport,
    errors=(400, 403),
    body=BatchBody,
)
def run_batch() -> BatchPreview | BatchReport:
    body = parse_body(BatchBody)
    actor = current_actor()
    if body.filter is not None and body.instance_ids is not None:
        problem = {"field": "filter", "message": "give either instance_ids or a filter, not both"}
        raise InvalidData("choose the cases", [problem])
    search = parse_search(body.filter) if body.filter is not None else None
    ids = body.instance_ids
    if body.dry_run:
        return batches.preview_batch(services(), actor, body.action, instance_ids=ids, search=search)
    reason = body.reason or ""
    if search is not None:  # resolved now, acted on exactly
        return batches.run_matching_batch(services(), actor, body.action, search, reason)
    if ids is None:
        problem = {"field": "instance_ids", "message": "give instance_ids or a filter"}
        raise InvalidData("choose the cases", [problem])
    return batches.run_batch(services(), actor, body.action, ids, reason)


@operation(
    bp,
    "get",
    "/batches/<int:batch_id>",
    summary="The report of a batch (kept 30 days)",
    returns=BatchReport,
    errors=(403, 404),
)
def get_batch(batch_id: int) -> BatchReport:
    return batches.get_batch(services(), batch_id, current_actor())
