"""``/tasks``: the inbox, next SLA breach first, with tabs, filters in the URL, claim and unclaim."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlencode

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ...errors import Conflict, InvalidData
from ...service import permissions, saved_filters, tasks
from ...service.results import InboxTask, Page
from ..auth import services
from ..error_texts import error_text
from ..shell import require_page_actor, safe_next
from . import bp

VIEWS = ("mine", "groups", "all")
KINDS = ("return", "exchange", "repair", "complaint")
PER_PAGE = 25
REFRESH_SECONDS = 20  # how often an open inbox asks for new tasks


@dataclass(frozen=True)
class InboxQuery:
    """What the inbox shows, read from the URL so a link shares it."""

    view: str = "mine"
    kind: str = ""
    group: str = ""
    overdue: bool = False
    q: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: MultiDict[str, str], default_view: str) -> InboxQuery:
        view = args.get("view", default_view)
        page = args.get("page", "1")
        return cls(
            view=view if view in VIEWS else default_view,
            kind=args.get("kind", "") if args.get("kind", "") in KINDS else "",
            group=args.get("group", "").strip()[:120],
            overdue=args.get("overdue", "") in ("1", "true", "on"),
            q=args.get("q", "").strip()[:200],
            page=int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1,
        )

    def query_string(self, **changes: Any) -> str:
        """This query with ``changes`` as URL parameters (defaults left out, page 1 unless given)."""
        values = {**asdict(self), "page": 1, **changes}
        params = {k: v for k, v in values.items() if v and not (k == "page" and v == 1)}
        return urlencode({k: ("1" if v is True else v) for k, v in params.items()})

    def url(self, **changes: Any) -> str:
        """The inbox address of this query with ``changes``."""
        query = self.query_string(**changes)
        return url_for("tasks.inbox") + ("?" + query if query else "")


def _find(actor: Any, query: InboxQuery) -> Page[InboxTask]:
    return tasks.list_tasks(
        services(),
        actor,
        view=query.view,
        kind=query.kind or None,
        group=query.group or None,
        overdue=query.overdue,
        q=query.q or None,
        page=query.page,
        per_page=PER_PAGE,
    )


def default_view(actor: Any) -> str:
    return "all" if permissions.sees_every_task(actor) else "mine"


@bp.get("/tasks")
def inbox() -> ResponseReturnValue:
    actor = require_page_actor()
    permissions.require_may_read_cases(actor)
    query = InboxQuery.from_args(request.args, default_view(actor))
    found = _find(actor, query)
    if found.total == 0 and query.view == "mine" and "view" not in request.args:
        query = replace(query, view="groups")  # holding nothing: what the groups wait for
        found = _find(actor, query)
    context = {
        "query": query,
        "found": found,
        "now": services().clock.now(),
        "views": [v for v in VIEWS if v != "all" or permissions.sees_every_task(actor)],
        "kinds": KINDS,
        "groups": sorted(actor.groups),
        "last_page": max(1, -(-found.total // PER_PAGE)),
        "refresh_seconds": current_app.config.get("INBOX_REFRESH_SECONDS", REFRESH_SECONDS),
        "saved": saved_filters.list_filters(services(), actor),
    }
    if request.headers.get("X-Inbox-Refresh") == "1":
        return render_template("tasks/inbox_rows.html", **context)
    return render_template("tasks/inbox.html", **context)


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> ResponseReturnValue:
    return _assignment(task_id, tasks.claim_task, _("You claimed the task."))


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> ResponseReturnValue:
    return _assignment(task_id, tasks.unclaim_task, _("You gave the task back to its group."))


def _assignment(task_id: str, command: Any, done: str) -> ResponseReturnValue:
    actor = require_page_actor()
    try:
        command(services(), task_id, actor)
        flash(done, "info")
    except Conflict as error:  # claimed or completed meanwhile: say so where the user was
        flash(_("That task changed meanwhile: %(reason)s", reason=error_text(error)), "warning")
    return redirect(safe_next(request.form.get("next")) or url_for("tasks.inbox"))


@bp.post("/tasks/filters")
def save_filter() -> ResponseReturnValue:
    """Keep the inbox's current filters under a name of the user's (a name replaces its filter)."""
    actor = require_page_actor()
    name = request.form.get("name", "").strip()
    query = request.form.get("query", "")
    try:
        saved = saved_filters.save_filter(services(), name, query, actor)
    except InvalidData as error:
        flash(_("The filter was not saved: %(reason)s", reason=error.items[0].get("message", "")), "error")
        return redirect(url_for("tasks.inbox") + ("?" + query if query else ""))
    flash(_("Filter saved as %(name)s.", name=saved.name), "info")
    return redirect(url_for("tasks.inbox") + ("?" + saved.query if saved.query else ""))


@bp.post("/tasks/filters/delete")
def delete_filter() -> ResponseReturnValue:
    actor = require_page_actor()
    name = request.form.get("name", "")
    saved_filters.delete_filter(services(), name, actor)
    flash(_("Filter %(name)s deleted.", name=name), "info")
    return redirect(safe_next(request.form.get("next")) or url_for("tasks.inbox"))
