"""The JSON API: batch actions on many cases (managers), worked in the background, each case in its
own transaction: start (202 and the report's address), read the report while it runs, stop."""

from __future__ import annotations

from flask import request, url_for

from ...errors import InvalidData
from ...service import batches
from ...service.batches import BatchPreview, BatchReport
from ...service.instance_search import parse_search
from ..auth import current_actor, services
from . import bp
from .bodies import BatchBody
from .operations import operation, parse_body
from .params import PAGING, int_arg, one_of


@operation(
    bp,
    "post",
    "/batches",
    summary="Cancel, suspend, resume or retry the incidents of many cases (managers): the preview "
    "with dry_run (200), else the run is recorded and answered at once (202, Location: its report), "
    "and its cases are worked in the background; poll the report until its status is finished",
    returns=BatchPreview | BatchReport,
    status=202,
    also=(200,),
    errors=(400, 403),
    body=BatchBody,
)
def run_batch() -> tuple[BatchPreview | BatchReport, int] | tuple[BatchReport, int, dict[str, str]]:
    body = parse_body(BatchBody)
    actor = current_actor()
    if body.filter is not None and body.instance_ids is not None:
        problem = {"field": "filter", "message": "give either instance_ids or a filter, not both"}
        raise InvalidData("choose the cases", [problem])
    search = parse_search(body.filter) if body.filter is not None else None
    ids = body.instance_ids
    if body.dry_run:
        return batches.preview_batch(services(), actor, body.action, instance_ids=ids, search=search), 200
    reason = body.reason or ""
    if search is not None:  # resolved now, acted on exactly
        report = batches.start_matching_batch(services(), actor, body.action, search, reason)
    elif ids is None:
        problem = {"field": "instance_ids", "message": "give instance_ids or a filter"}
        raise InvalidData("choose the cases", [problem])
    else:
        report = batches.start_batch(services(), actor, body.action, ids, reason)
    return report, 202, {"Location": url_for("api.get_batch", batch_id=report.id)}


@operation(
    bp,
    "get",
    "/batches/<int:batch_id>",
    summary="The report of a batch (kept 30 days): status (running until every case has an outcome), "
    "counts, and a page of its cases, of one outcome when asked",
    returns=BatchReport,
    errors=(400, 403, 404),
    query={"outcome": one_of(batches.OUTCOMES, "every case"), **PAGING},
)
def get_batch(batch_id: int) -> BatchReport:
    return batches.get_batch(
        services(),
        batch_id,
        current_actor(),
        outcome=request.args.get("outcome") or None,
        page=int_arg("page", 1),
        per_page=int_arg("per_page", batches.ITEMS_PER_PAGE),
    )


@operation(
    bp,
    "post",
    "/batches/<int:batch_id>/stop",
    summary="Stop a running batch: its cases not yet under way are skipped (those under way finish)",
    returns=BatchReport,
    errors=(403, 404, 409),
)
def stop_batch(batch_id: int) -> BatchReport:
    return batches.stop_batch(services(), batch_id, current_actor())
