"""``/monitor/heatmap``: the SLA heatmap of one process version for a period, the diagram with every
element's figures, the late elements red; ``?element=ID`` lists that element's late cases with
their reasons and product categories (the table beside the diagram links there too); a call
activity opens the heatmap of the process it calls (``?call=KEY``), over the same cases."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from ...errors import InvalidData
from ...service.dashboard import PERIOD_DAYS, today_of
from ...service.heatmap import (
    ElementHeat,
    Heatmap,
    HeatmapQuery,
    LateCases,
    get_heatmap,
    get_late_cases,
    list_heatmap_processes,
    parse_heatmap_query,
)
from ..auth import services
from ..labels import pick
from ..shell import require_page_actor
from . import bp
from .dashboard import CATEGORY_LABELS, REASON_LABELS, SLA_LABELS, _hours, _label, _percent

FIELDS = {
    "days": lazy_gettext("Period"),
    "from": lazy_gettext("From"),
    "to": lazy_gettext("To"),
    "process": lazy_gettext("Process"),
    "version": lazy_gettext("Version"),
    "threshold": lazy_gettext("Threshold"),
    "element": lazy_gettext("Element"),
    "call": lazy_gettext("Called process"),
}


@bp.get("/heatmap")
def heatmap() -> ResponseReturnValue:
    actor = require_page_actor()
    processes = list_heatmap_processes(services(), actor)
    if not request.args:
        return render_template("monitor/heatmap.html", heat=None, problems=[], processes=processes)
    try:
        query = parse_heatmap_query(request.args, today_of(services()))
        heat = get_heatmap(services(), actor, query)
        element = request.args.get("element", "").strip()
        late = get_late_cases(services(), actor, query, element) if element else None
    except InvalidData as error:
        problems = [
            _("%(field)s: %(hint)s", field=FIELDS.get(str(i.get("field")), ""), hint=str(i.get("message")))
            for i in error.items
        ]
        page = render_template("monitor/heatmap.html", heat=None, problems=problems, processes=processes)
        return page, 400
    return render_template(
        "monitor/heatmap.html",
        heat=heat,
        late=late,
        chosen=heat.element(late.element_id) if late else None,
        problems=[],
        processes=processes,
        choices=PERIOD_DAYS,
        diagram=_diagram(heat),
        links=_Links(query, heat),
        hours=_hours,
        percent=_percent,
        name=lambda element: pick(element.name),
        reason_label=lambda key: _label(REASON_LABELS, key),
        category_label=lambda key: _label(CATEGORY_LABELS, key),
        sla_label=lambda key: _label(SLA_LABELS, key),
    )


class _Links:
    def __init__(self, query: HeatmapQuery, heat: Heatmap) -> None:
        self.query = query
        self.heat = heat

    def heatmap(self, **changes: Any) -> str:
        params = {**self.query.params(self.heat.version), **changes}
        return _url("monitor.heatmap", params)

    def element(self, element_id: str) -> str:
        return self.heatmap(element=element_id) + "#late-cases"

    def called(self, process_key: str | None) -> str:
        """The heatmap of a process the version calls (None: of the version's own diagram)."""
        return self.heatmap(call=process_key)

    def of(self, element: ElementHeat) -> str | None:
        """Where a click on the element leads: a task's late cases, a call activity's called process."""
        if element.kind == "task":
            return self.element(element.element_id)
        if element.kind == "call" and element.called:
            return self.called(element.called)
        return None

    def cases(self, late: LateCases | None = None, **filters: Any) -> str:
        """The case list of the same version and period; of an element's late cases, by its SLA."""
        params: dict[str, Any] = {
            "process": self.heat.process_key,
            "version": str(self.heat.version),
            **self.query.period.list_params(),
            **filters,
        }
        chosen = self.heat.element(late.element_id) if late else None
        if chosen and len(chosen.slas) == 1:
            params["sla"] = chosen.slas[0]
        return _url("monitor.instances", params)


def _url(endpoint: str, params: dict[str, Any]) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)})
    return url_for(endpoint) + ("?" + query if query else "")


def _diagram(heat: Heatmap) -> dict[str, Any]:
    """What static/heatmap.js draws: the version's XML and, per element, its overlay and marker."""
    links = _Links(heat.query, heat)
    return {
        "xml": heat.xml,
        "elements": [
            {
                "element_id": e.element_id,
                "hot": e.hot,
                "url": links.of(e),
                "label": _overlay(e),
            }
            for e in heat.elements
        ],
    }


def _overlay(element: ElementHeat) -> str:
    """The figures on the diagram beside the element, in the page's language."""
    parts = [_("passed %(n)s", n=element.passed), _("waiting %(n)s", n=element.waiting)]
    if element.median is not None:
        parts.append(_("median %(time)s", time=_hours(element.median)))
        parts.append(_("p90 %(time)s", time=_hours(element.p90)))
    if element.late:
        parts.append(_("late %(rate)s", rate=_percent(element.late_rate)))
    return " · ".join(parts)
