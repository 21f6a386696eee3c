"""``/monitor/instances``: every case, filtered, sorted and paged by its URL (so a link shares the
list), and ``/monitor/instances.csv``: the same list streamed as CSV, whatever its length."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Response, current_app, redirect, render_template, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from ...errors import InvalidData
from ...service import instance_list
from ...service.context import Actor
from ...service.instance_list import EXPORT_CHUNK, InstanceRow
from ...service.instance_search import InstanceSearch, parse_search
from ..auth import services
from ..downloads import content_disposition
from ..labels import kind_label, pick, status_label
from ..shell import require_page_actor
from . import bp
from .batches import ACTION_LABELS
from .csv_export import csv_lines

PER_PAGE_CHOICES = (25, 50, 100)
FIELD_LABELS = {
    "status": lazy_gettext("Status"),
    "kind": lazy_gettext("Kind"),
    "process": lazy_gettext("Process"),
    "version": lazy_gettext("Version"),
    "step": lazy_gettext("Current step"),
    "overdue": lazy_gettext("Overdue only"),
    "breached": lazy_gettext("SLA breached only"),
    "started_from": lazy_gettext("Registered from"),
    "started_to": lazy_gettext("Registered until"),
    "q": lazy_gettext("Search"),
    "reason": lazy_gettext("Reason"),
    "category": lazy_gettext("Product category"),
    "sla": lazy_gettext("SLA timer breached"),
    "outcome": lazy_gettext("Outcome"),
    "sort": lazy_gettext("Sort"),
    "page": lazy_gettext("Page"),
    "per_page": lazy_gettext("Rows per page"),
}


@bp.get("/instances")
def instances() -> ResponseReturnValue:
    actor = require_page_actor()
    try:
        search = parse_search(request.args)
        canonical = search.params(page=search.page)
        if request.args.to_dict() != canonical:  # a submitted form's empty fields: the short, shareable URL
            return redirect(_url("monitor.instances", search, page=search.page))
        found = instance_list.search_instances(services(), actor, search)
    except InvalidData as error:  # the page says what is wrong and keeps what was typed
        typed = {name: request.args.get(name, "") for name in FIELD_LABELS}
        context = _choices(actor)
        page = render_template(
            "monitor/instances.html",
            **context,
            search=InstanceSearch(),
            values=typed,
            problems=_problems(error),
        )
        return page, 400
    return render_template(
        "monitor/instances.html",
        **_choices(actor),
        search=search,
        values=canonical,
        problems=[],
        found=found,
        last_page=max(1, -(-found.total // search.per_page)),
        now=services().clock.now(),
        link=lambda **changes: _url("monitor.instances", search, **changes),
        export_url=_url("monitor.export", search),
        batch_actions=ACTION_LABELS,
        batch_filter=urlencode(search.params()),
    )


@bp.get("/instances.csv")
def export() -> ResponseReturnValue:
    """Every case the filters match (any page), in the list's order: bad filters are a 400, as on the page."""
    actor = require_page_actor()
    search = parse_search(request.args)
    chunk = current_app.config.get("MONITOR_EXPORT_CHUNK", EXPORT_CHUNK)
    rows = instance_list.export_instances(services(), actor, search, chunk_size=chunk)
    zone = ZoneInfo(services().settings.business_tz)
    today = services().clock.now().astimezone(zone).date()
    response = Response(stream_with_context(csv_lines(_header(), _cells(rows, zone))), mimetype="text/csv")
    response.headers["Content-Disposition"] = content_disposition(f"rma-cases-{today.isoformat()}.csv", False)
    response.headers["Cache-Control"] = "no-store"
    return response


def _choices(actor: Actor) -> dict[str, Any]:
    """What the filter form offers: the deployed processes, the steps where cases wait, page sizes."""
    return {"choices": instance_list.filter_choices(services(), actor), "per_page_choices": PER_PAGE_CHOICES}


def _url(endpoint: str, search: InstanceSearch, **changes: Any) -> str:
    query = urlencode(search.params(**changes))
    return url_for(endpoint) + ("?" + query if query else "")


def _problems(error: InvalidData) -> list[str]:
    """Each refused filter in the page's language, naming the field and what it takes."""
    hints = {
        "status": _("choose one of the listed statuses."),
        "kind": _("choose one of the listed kinds."),
        "process": _("no process of that name is deployed."),
        "version": _("choose a process, then one of its versions."),
        "step": _("choose one of the listed steps."),
        "overdue": _("tick the box or leave it empty."),
        "breached": _("tick the box or leave it empty."),
        "started_from": _("write the date as YYYY-MM-DD, e.g. 2026-12-03."),
        "started_to": _("write the date as YYYY-MM-DD, on or after the first date."),
        "q": _("at most 100 characters, without control characters."),
        "reason": _("a reason code, e.g. no_reason."),
        "category": _("a product category code, e.g. electronics."),
        "sla": _("an SLA timer name, e.g. first_response."),
        "outcome": _("an end event id, e.g. end_refunded."),
        "sort": _("choose a column to sort by."),
        "page": _("a page number from 1 on."),
        "per_page": _("from 1 to 200 rows."),
    }
    problems = []
    for item in error.items:
        field = str(item.get("field", ""))
        label = FIELD_LABELS.get(field, field)
        hint = hints.get(field) or str(item.get("message", ""))
        problems.append(_("%(field)s: %(hint)s", field=label, hint=hint))
    return problems


def _header() -> list[str]:
    return [
        _("RMA number"),
        _("Order number"),
        _("Customer"),
        _("Phone"),
        _("Product"),
        _("Kind"),
        _("Process"),
        _("Version"),
        _("Status"),
        _("Current step"),
        _("Next deadline"),
        _("Overdue"),
        _("SLA breached"),
        _("Registered"),
        _("Ended"),
    ]


def _cells(rows: Iterator[InstanceRow], zone: ZoneInfo) -> Iterator[list[str]]:
    def when(moment: datetime | None) -> str:
        return moment.astimezone(zone).isoformat(timespec="seconds") if moment else ""

    yes, no = _("yes"), _("no")
    for row in rows:
        yield [
            row.business_key,
            row.order_no or "",
            row.customer_name or "",
            row.customer_phone or "",
            row.product_name or "",
            kind_label(row.kind),
            row.process_key,
            str(row.version),
            status_label(row.status),
            " / ".join(pick(step.name) for step in row.steps),
            when(row.next_due_at),
            yes if row.overdue else no,
            yes if row.sla_breached else no,
            when(row.started_at),
            when(row.ended_at),
        ]
