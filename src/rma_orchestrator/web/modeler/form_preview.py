"""``POST /modeler/form-preview``: a form's JSON Schema (the body) rendered as the staff's task page would
show it, for the form editor's live preview; a schema the deploy would refuse answers 400 with its
findings instead. The answer is an HTML fragment from the autoescaped templates, nothing of the body
is written out unescaped."""

from __future__ import annotations

import json

from flask import render_template, request
from flask.typing import ResponseReturnValue

from ...service.definitions import validate_files
from ..forms.render import render_form
from ..i18n import current_language
from . import bp

PREVIEW_NAME = "preview.json"


@bp.post("/form-preview")
def form_preview() -> ResponseReturnValue:
    text = request.get_data(as_text=True)
    problems = validate_files({PREVIEW_NAME: text.encode()}).errors
    if problems:
        return render_template("modeler/form_preview.html", problems=problems, form=None), 400
    form = render_form(json.loads(text), None, (), current_language())
    return render_template("modeler/form_preview.html", problems=[], form=form)
