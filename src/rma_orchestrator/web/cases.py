"""``/cases/new``: customer service registers a case from its start form, photos and proof included;
``/cases/<id>`` then shows the eligibility decision, its reason and the case's first task."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..errors import InvalidData
from ..service import attachments, definitions, instances
from .auth import services
from .forms import field_errors, parse_form, render_form
from .i18n import current_language
from .shell import require_page_actor
from .tasks.case_view import case_view
from .uploads import store_uploads

bp = Blueprint("cases", __name__)
CASE_PROCESS = "rma_case"  # every after-sales case starts here (processes/rma_case.bpmn)


@bp.get("/cases/new")
def new_case() -> ResponseReturnValue:
    actor = require_page_actor()
    start = definitions.start_form(services(), CASE_PROCESS, actor)
    return _render(start.schema, {}, [])


@bp.post("/cases/new")
def register_case() -> ResponseReturnValue:
    actor = require_page_actor()
    start = definitions.start_form(services(), CASE_PROCESS, actor)
    schema = start.schema or {"type": "object", "properties": {}}
    parsed = parse_form(schema, request.form, services().settings.business_tz, request.files)
    language = current_language()
    if parsed.row_action is not None:
        return _render(schema, parsed.rows_changed(), [])
    try:
        data = store_uploads(actor, None, schema, parsed.data, parsed.files)
    except InvalidData as error:
        return _render(schema, parsed.data, field_errors(error, language), status=400)
    if parsed.errors:
        return _render(schema, data, field_errors(parsed.errors, language), status=400)
    try:
        started = instances.start_instance(services(), CASE_PROCESS, data, actor)
    except InvalidData as error:
        return _render(schema, data, field_errors(error, language), status=400)
    return redirect(url_for("cases.case_started", instance_id=started.id))


@bp.get("/cases/<int:instance_id>")
def case_started(instance_id: int) -> ResponseReturnValue:
    actor = require_page_actor()
    detail = instances.get_instance(services(), instance_id, actor)
    return render_template(
        "cases/started.html",
        instance=detail,
        case=case_view(detail, {}),
        tasks=[t for t in detail.tasks if t.status == "open"],
        files=attachments.list_attachments(services(), actor, instance_id),
        now=services().clock.now(),
    )


def _render(
    schema: dict[str, Any] | None, data: dict[str, Any], errors: list[dict[str, Any]], status: int = 200
) -> ResponseReturnValue:
    form = render_form(schema, data, errors, current_language()) if schema else None
    return render_template("cases/new.html", form=form, errors=errors), status
