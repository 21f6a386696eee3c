"""Batch actions from the case list: ``POST /monitor/batches/preview`` (the cases chosen, or every
case the list's filter matches: how many and which), ``POST /monitor/batches`` (run it with a reason,
each case in its own transaction) and ``GET /monitor/batches/<id>`` (the report, kept for a while).

The preview resolves the ids; its form carries them, so the run acts on exactly the cases shown.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from ...errors import InvalidData
from ...service import batches
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
    "pending": lazy_gettext("Not done yet"),
}


@bp.post("/batches/preview")
def batch_preview() -> ResponseReturnValue:
    """How many cases and which: the ticked rows, or all that match the list's filter."""
    actor = require_page_actor()
    action = request.form.get("action", "")
    filter_query = request.form.get("filter", "")
    try:
        if request.form.get("all_matching"):
            search = parse_search(dict(parse_qsl(filter_query)))
            preview = batches.preview_batch(services(), actor, action, search=search)
        else:
            preview = batches.preview_batch(services(), actor, action, instance_ids=_ids())
    except InvalidData as error:
        return _page(filter_query, problems=_problems(error)), 400
    return _page(filter_query, preview=preview)


@bp.post("/batches")
def batch_run() -> ResponseReturnValue:
    actor = require_page_actor()
    action = request.form.get("action", "")
    filter_query = request.form.get("filter", "")
    reason = request.form.get("reason", "")
    try:
        ids = _ids()
        if not reason.strip():  # re-show the same cases, asking for the reason
            preview = batches.preview_batch(services(), actor, action, instance_ids=ids)
            problem = _("Give a reason: it goes into each case's history.")
            return _page(filter_query, preview=preview, problems=[problem]), 400
        params = dict(parse_qsl(filter_query)) if request.form.get("from_filter") else None
        report = batches.run_batch(services(), actor, action, ids, reason, params)
    except InvalidData as error:
        return _page(filter_query, problems=_problems(error)), 400
    return redirect(url_for("monitor.batch_report", batch_id=report.id), 303)


@bp.get("/batches/<int:batch_id>")
def batch_report(batch_id: int) -> ResponseReturnValue:
    report = batches.get_batch(services(), batch_id, require_page_actor())
    filter_link = _list_url(urlencode(report.filter)) if report.filter else None
    return render_template(
        "monitor/batch_report.html",
        report=report,
        action_label=ACTION_LABELS[report.action],
        outcome_labels=OUTCOME_LABELS,
        filter_link=filter_link,
    )


def _ids() -> list[int]:
    values = request.form.getlist("instance_id")
    if not all(value.isdigit() and len(value) < 19 for value in values):
        raise InvalidData("bad id", [{"field": "instance_ids", "message": "not a case id"}])
    return [int(value) for value in values]


def _list_url(filter_query: str) -> str:
    return url_for("monitor.instances") + ("?" + filter_query if filter_query else "")


def _page(filter_query: str, **context: Any) -> str:
    return render_template(
        "monitor/batch_preview.html",
        preview=context.pop("preview", None),
        problems=context.pop("problems", []),
        filter_query=filter_query,
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
