"""``/modeler/drafts/<id>/scenarios``: the scenarios of a draft's process, run against the draft one
file after another (the page's script calls the API per file, so progress shows as it goes), and the
recorder, which drives the draft step by step and saves the steps as a scenario file;
``/modeler/drafts/<id>/scenarios/files/<file>`` downloads a file of the scenario folder."""

from __future__ import annotations

import re

from flask import Response, render_template
from flask.typing import ResponseReturnValue

from ...errors import NotFound
from ...scenarios.draft_runs import list_draft_scenarios
from ...scenarios.folder import existing_file, scenario_folder
from ...service.diagram_drafts import get_draft
from ..auth import services
from ..shell import require_page_actor
from . import bp

UNSAFE = re.compile(r"[^A-Za-z0-9._-]")  # in a header's file name


@bp.get("/drafts/<int:draft_id>/scenarios")
def draft_scenarios(draft_id: int) -> ResponseReturnValue:
    actor = require_page_actor()
    draft = get_draft(services(), draft_id, actor)
    listing, problem = None, None
    try:
        listing = list_draft_scenarios(services(), draft_id, actor)
    except NotFound as error:  # the server has no scenario folder (the draft was found above)
        problem = error.message
    return render_template("modeler/scenarios.html", draft=draft, listing=listing, problem=problem)


@bp.get("/drafts/<int:draft_id>/scenarios/files/<file>")
def draft_scenario_file(draft_id: int, file: str) -> ResponseReturnValue:
    """A scenario file as a download (a saved recording, say)."""
    get_draft(services(), draft_id, require_page_actor())
    path = existing_file(scenario_folder(services().settings), file)
    response = Response(path.read_bytes(), mimetype="application/yaml")
    response.headers["Content-Disposition"] = f'attachment; filename="{UNSAFE.sub("_", path.name)}"'
    return response
