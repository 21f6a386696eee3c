"""``/monitor``: the managers' pages. Every one of them needs the manager role (admins have it too):
other staff get the 403 page, nobody signed in is sent to sign in."""

from __future__ import annotations

from flask import Blueprint

from ...service import permissions
from ..shell import require_page_actor

bp = Blueprint("monitor", __name__, url_prefix="/monitor")


@bp.before_request
def _managers_only() -> None:
    """Checked before any view of the blueprint runs, so a page added later cannot forget it."""
    permissions.require_may_monitor(require_page_actor())


from . import (  # noqa: E402,F401 - the views register themselves on bp
    batches,
    calendar,
    dashboard,
    heatmap,
    instance_actions,
    instance_page,
    instances,
)
