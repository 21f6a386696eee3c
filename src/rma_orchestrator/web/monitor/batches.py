"""Batch actions from the case list: ``POST /monitor/batches/preview`` (the cases chosen, or every
case the list's filter matches, kept as a prepared run), ``GET /monitor/batches/<id>`` (that
preview, asking for a reason; once started, the report, reloading itself while the run goes on),
``POST /monitor/batches/<id>/start`` and ``POST /monitor/batches/<id>/stop``.

The preview's ids are fixed in the database, not in the form, so a preview of every case of a
large filter needs no form carrying them, and the run acts on exactly the cases shown. Starting
answers at once: the scheduler's batch worker works the cases in the background.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from ...errors import Conflict, InvalidData
from ...service import batches
from ...service.batches import BatchPreview, BatchReport
from ...service.instance_search import parse_search
from ..auth import services
from ..shell import require_page_actor
from . import bp

ACTION_LABELS = {
    "cancel": lazy_gettext("Cancel"),
    "suspend": lazy_gettext("Suspend"),
    "resume": lazy_gettext("Resume"),
    "retry_incidents": lazy_gettext("Retry their incidents"),
}
OUTCOME_LABELS = {
    "ok": lazy_gettext("Done"),
    "failed": lazy_gettext("Failed"),
    "skipped": lazy_gettext("Skipped"),
    "pending": lazy_gettext("Not done yet"),
}
STATUS_LABELS = {
    "running": lazy_gettext("Running"),
    "finished": lazy_gettext("Run finished"),
    "stopped": lazy_gettext("Run stopped"),
}
REPORT_ROWS = 100  # cases a report page lists
REFRESH_SECONDS = 2  # how often a running report reloads itself


@bp.post("/batches/preview")
def batch_preview() -> ResponseReturnValue:
    """How many cases and which: the ticked rows, or all that match the list's filter."""
    actor = require_page_actor()
    action = request.form.get("action", "")
    filter_query = request.form.get("filter", "")
    try:
        if request.form.get("all_matching"):
            search = parse_search(dict(parse_qsl(filter_query)))
            preview = batches.prepare_batch(services(), actor, action, search=search)
        else:
            preview = batches.prepare_batch(services(), actor, action, instance_ids=_ids())
    except InvalidData as error:
        return _preview_page(None, filter_query, problems=_problems(error)), 400
    return redirect(url_for("monitor.batch_report", batch_id=preview.batch_id), 303)


@bp.post("/batches/<int:batch_id>/start")
def batch_run(batch_id: int) -> ResponseReturnValue:
    actor = require_page_actor()
    reason = request.form.get("reason", "")
    if not reason.strip():  # re-show the same cases, asking for the reason
        preview = batches.get_prepared_batch(services(), batch_id, actor)
        problem = _("Give a reason: it goes into each case's history.")
        return _preview_page(preview, _filter_query(preview), problems=[problem]), 400
    try:
        batches.start_prepared_batch(services(), actor, batch_id, reason)
    except InvalidData as error:
        preview = batches.get_prepared_batch(services(), batch_id, actor)
        return _preview_page(preview, _filter_query(preview), problems=_problems(error)), 400
    except Conflict:
        if batches.get_batch(services(), batch_id, actor).status == "prepared":
            raise  # a preview too old to start
        # started already (the form was sent twice): its report
    return redirect(url_for("monitor.batch_report", batch_id=batch_id), 303)


@bp.post("/batches/<int:batch_id>/stop")
def batch_stop(batch_id: int) -> ResponseReturnValue:
    batches.stop_batch(services(), batch_id, require_page_actor())
    return redirect(url_for("monitor.batch_report", batch_id=batch_id), 303)


@bp.get("/batches/<int:batch_id>")
def batch_report(batch_id: int) -> ResponseReturnValue:
    """A prepared run's preview, or a started run's report (one page of its cases)."""
    actor = require_page_actor()
    outcome = request.args.get("outcome") or None
    page = request.args.get("page", "1")
    report = batches.get_batch(
        services(),
        batch_id,
        actor,
        outcome=outcome if outcome in batches.OUTCOMES else None,
        page=int(page) if page.isdigit() and len(page) < 10 and int(page) > 0 else 1,
        per_page=REPORT_ROWS,
    )
    if report.status == "prepared":
        preview = batches.get_prepared_batch(services(), batch_id, actor)
        return _preview_page(preview, _filter_query(preview))
    failures = (
        batches.get_batch(services(), batch_id, actor, outcome="failed", per_page=REPORT_ROWS)
        if report.failed and report.items_outcome is None
        else None
    )
    return render_template(
        "monitor/batch_report.html",
        report=report,
        failures=failures,
        running=report.finished_at is None,
        refresh_seconds=REFRESH_SECONDS,
        action_label=ACTION_LABELS[report.action],
        status_label=STATUS_LABELS[report.status],
        outcome_labels=OUTCOME_LABELS,
        filter_link=_list_url(urlencode(report.filter)) if report.filter else None,
        pages=_pages(report),
    )


def _pages(report: BatchReport) -> dict[str, str | None]:
    """The links to the previous and the next page of the report's cases (None at either end)."""
    last = max(1, -(-report.items_total // report.per_page))

    def link(page: int) -> str:
        args: dict[str, Any] = {"batch_id": report.id, "page": page}
        if report.items_outcome is not None:
            args["outcome"] = report.items_outcome
        return url_for("monitor.batch_report", **args)

    return {
        "previous": link(report.page - 1) if report.page > 1 else None,
        "next": link(report.page + 1) if report.page < last else None,
    }


def _ids() -> list[int]:
    values = request.form.getlist("instance_id")
    if not all(value.isdigit() and len(value) < 19 for value in values):
        raise InvalidData("bad id", [{"field": "instance_ids", "message": "not a case id"}])
    return [int(value) for value in values]


def _filter_query(preview: BatchPreview) -> str:
    return urlencode(preview.filter) if preview.filter else ""


def _list_url(filter_query: str) -> str:
    return url_for("monitor.instances") + ("?" + filter_query if filter_query else "")


def _preview_page(preview: BatchPreview | None, filter_query: str, **context: Any) -> str:
    return render_template(
        "monitor/batch_preview.html",
        preview=preview,
        problems=context.pop("problems", []),
        back=_list_url(filter_query),
        action_labels=ACTION_LABELS,
        max_batch=batches.MAX_BATCH,
        **context,
    )


def _problems(error: InvalidData) -> list[str]:
    """The refusal in the page's language; an unexpected one as the service said it."""
    known = {
        "too many cases": _(
            "At most %(count)s cases per batch: narrow the filter.", count=f"{batches.MAX_BATCH:,}"
        ),
        "no case chosen": _("Choose at least one case, or all cases matching the filter."),
        "unknown cases": _("Some of the chosen cases do not exist (any more)."),
        "bad id": _("Some of the chosen cases do not exist (any more)."),
        "unknown action": _("Choose what to do with the cases."),
        "a reason is required": _("Give a reason: it goes into each case's history."),
    }
    if error.message in known:
        return [known[error.message]]
    return [str(item.get("message", "")) for item in error.items] or [error.message]
