"""``/modeler``: the deployed processes and decision tables with their versions (who, when, the note),
the drafts (who saved last, when), and a button that starts a draft from a version."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ...errors import InvalidData
from ...service import diagram_drafts
from ...service.definition_versions import list_decision_versions, list_process_versions
from ..auth import services
from ..shell import require_page_actor
from . import bp


@bp.get("")
def index() -> ResponseReturnValue:
    actor = require_page_actor()
    return render_template(
        "modeler/index.html",
        processes=list_process_versions(services(), actor),
        decisions=list_decision_versions(services(), actor),
        drafts=diagram_drafts.list_drafts(services(), actor),
    )


@bp.post("/drafts")
def start_draft() -> ResponseReturnValue:
    """A new draft of a process from the version the form names (the latest when none)."""
    actor = require_page_actor()
    process_key = request.form.get("process_key", "").strip()
    text = request.form.get("version", "").strip()
    if text and not text.isdigit():
        raise InvalidData("version", [{"field": "version", "message": "a version number"}])
    draft = diagram_drafts.create_draft(services(), process_key, actor, int(text) if text else None)
    return redirect(url_for("modeler.editor", draft_id=draft.id))
