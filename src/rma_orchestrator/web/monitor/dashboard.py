"""``/monitor/dashboard``: the managers' figures, the period in the URL, every figure a link to the
cases (or tasks) behind it, every chart's numbers one click away as a table."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from ...errors import InvalidData
from ...service.dashboard import (
    PERIOD_DAYS,
    Dashboard,
    DashboardPeriod,
    get_dashboard,
    parse_period,
    today_of,
)
from ..auth import services
from ..labels import group_label, kind_label, pick, status_label
from ..shell import require_page_actor
from . import bp
from .charts import Bar, BarChart

REASON_LABELS = {
    "no_reason": lazy_gettext("No reason (unused)"),
    "quality_on_receipt": lazy_gettext("Quality problem on receipt"),
    "quality_in_use": lazy_gettext("Quality problem in use"),
    "wrong_item": lazy_gettext("Wrong item"),
    "misleading_sales": lazy_gettext("Misleading sales claims"),
    "other": lazy_gettext("Other reason"),
}
CATEGORY_LABELS = {
    "electronics": lazy_gettext("Electronics"),
    "home_goods": lazy_gettext("Home goods"),
    "other": lazy_gettext("Other products"),
}
SLA_LABELS = {
    "first_response": lazy_gettext("First response (24 h)"),
    "processing_2_working_days": lazy_gettext("Processing after inspection (2 working days)"),
    "refund_7_days": lazy_gettext("Refund (7 days)"),
    "refund_15_days_legal": lazy_gettext("Refund, legal deadline (15 days)"),
    "repair_30_days": lazy_gettext("Repair (30 days)"),
    "complaint_response": lazy_gettext("Complaint answer"),
}
PERIOD_FIELDS = {"days": lazy_gettext("Period"), "from": lazy_gettext("From"), "to": lazy_gettext("To")}


@bp.get("/")
def home() -> ResponseReturnValue:
    """``/monitor`` is the dashboard, at its own address (the period in the query string kept)."""
    query = request.query_string.decode()
    return redirect(url_for("monitor.dashboard") + (f"?{query}" if query else ""))


@bp.get("/dashboard")
def dashboard() -> ResponseReturnValue:
    actor = require_page_actor()
    today = today_of(services())
    try:
        period = parse_period(request.args, today)
    except InvalidData as error:
        problems = [
            _(
                "%(field)s: %(hint)s",
                field=PERIOD_FIELDS.get(str(i.get("field")), ""),
                hint=str(i.get("message")),
            )
            for i in error.items
        ]
        default = parse_period({}, today)
        page = render_template(
            "monitor/dashboard.html", board=None, problems=problems, period=default, choices=PERIOD_DAYS
        )
        return page, 400
    board = get_dashboard(services(), actor, period)
    return render_template(
        "monitor/dashboard.html",
        board=board,
        problems=[],
        period=period,
        choices=PERIOD_DAYS,
        charts=_charts(board),
        links=_Links(period),
        hours=_hours,
        percent=_percent,
        reason_label=lambda key: _label(REASON_LABELS, key),
        category_label=lambda key: _label(CATEGORY_LABELS, key),
        sla_label=lambda key: _label(SLA_LABELS, key),
        period_url=lambda **params: _url("monitor.dashboard", params),
    )


class _Links:
    """The addresses of the cases behind each figure: the case list with the filters that reproduce it."""

    def __init__(self, period: DashboardPeriod) -> None:
        self.period = period

    def cases(self, **filters: Any) -> str:
        return _url("monitor.instances", {k: v for k, v in filters.items() if v})

    def of_period(self, **filters: Any) -> str:
        return self.cases(**filters, **self.period.list_params())

    def overdue_tasks(self, group: str | None) -> str:
        return _url("tasks.inbox", {"view": "all", "group": group or "", "overdue": "1"})


def _url(endpoint: str, params: dict[str, Any]) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
    return url_for(endpoint) + ("?" + query if query else "")


def _label(labels: dict[str, Any], key: str | None) -> str:
    if key is None:
        return _("not given")
    return str(labels.get(key, key))


def _hours(seconds: float | None) -> str:
    return "—" if seconds is None else _("%(hours).1f h", hours=seconds / 3600)


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def _charts(board: Dashboard) -> dict[str, BarChart]:
    links = _Links(board.period)
    open_bars = [
        Bar(
            f"{kind_label(o.kind)} · {status_label(o.status)}",
            o.cases,
            str(o.cases),
            links.cases(kind=o.kind, status=o.status),
        )
        for o in board.open_by_kind
    ]
    step_bars = [
        Bar(pick(s.name), s.cases, str(s.cases), links.cases(step=s.element_id)) for s in board.open_by_step
    ]
    overdue_bars = [
        Bar(group_label(g.group) or _("no group"), g.tasks, str(g.tasks), links.overdue_tasks(g.group))
        for g in board.overdue_by_group
    ]
    sla_bars = [
        Bar(_label(SLA_LABELS, s.sla), s.rate or 0.0, _percent(s.rate), links.of_period(sla=s.sla))
        for s in board.sla
    ]

    def refund_bars(rows: Any, labels: dict[str, Any], field: str) -> list[Bar]:
        return [
            Bar(
                _label(labels, r.key),
                r.rate or 0.0,
                _percent(r.rate),
                links.of_period(**{field: r.key or ""}, outcome="end_refunded"),
            )
            for r in rows
        ]

    return {
        "open": BarChart(
            "chart-open", _("Open cases by kind"), _("Cases not yet ended, by kind and status."), open_bars
        ),
        "steps": BarChart(
            "chart-steps",
            _("Open cases by step"),
            _("Where open cases wait now: an open task at the step."),
            step_bars,
        ),
        "overdue": BarChart(
            "chart-overdue",
            _("Overdue tasks by group"),
            _("Open tasks past their deadline, by group."),
            overdue_bars,
        ),
        "sla": BarChart(
            "chart-sla",
            _("SLA breach rate by timer"),
            _("Breached timers among the decided ones (breached or met) of the period's cases."),
            sla_bars,
            scale=1.0,
        ),
        "reason": BarChart(
            "chart-reason",
            _("Refund rate by reason"),
            _("The period's cases that ended refunded, by the case's reason."),
            refund_bars(board.by_reason, REASON_LABELS, "reason"),
            scale=1.0,
        ),
        "category": BarChart(
            "chart-category",
            _("Refund rate by product category"),
            _("The period's cases that ended refunded, by product category."),
            refund_bars(board.by_category, CATEGORY_LABELS, "category"),
            scale=1.0,
        ),
    }
