"""``/modeler``: the analysts' pages, where procedures are edited, checked, compared, deployed and
running cases moved to a new version. Every one of them needs the analyst role (admins have it
too): other staff get the 403 page, nobody signed in is sent to sign in."""

from __future__ import annotations

from flask import Blueprint

from ...service import permissions
from ..shell import require_page_actor

bp = Blueprint("modeler", __name__, url_prefix="/modeler")


@bp.before_request
def _analysts_only() -> None:
    """Checked before any view of the blueprint runs, so a page added later cannot forget it."""
    permissions.require_may_deploy(require_page_actor())


# The views register themselves on bp: each module is imported here (below) as it is added.
from . import (  # noqa: E402,F401 - the views register themselves on bp
    compare,
    editor,
    form_preview,
    index,
    migrations,
    scenarios,
)
