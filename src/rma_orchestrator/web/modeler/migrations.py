"""``/modeler/processes/<key>/migrate?from=&to=``: an analyst picks two versions of a process, sees
each running case of the first with whether it can move to the second and why not, ticks the cases
(every movable one at first), gives a reason and starts the run; ``/modeler/migrations/<id>`` is
that run's report (the managers' batch report lives under /monitor, which analysts do not see)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ...errors import Conflict, InvalidData
from ...service import batches, case_migration, version_compare
from ..auth import services
from ..monitor.batches import OUTCOME_LABELS
from ..shell import require_page_actor
from . import bp
from .reason_texts import reason_text

REPORT_ROWS = 100
REFRESH_SECONDS = 2


@bp.get("/processes/<key>/migrate")
def migrate_page(key: str) -> ResponseReturnValue:
    return _page(key, request.args.get("from", ""), request.args.get("to", ""))


@bp.post("/processes/<key>/migrate")
def start_migration(key: str) -> ResponseReturnValue:
    actor = require_page_actor()
    source, target = request.form.get("from", ""), request.form.get("to", "")
    values = request.form.getlist("instance_id")
    reason = request.form.get("reason", "")
    if not values:
        return _page(key, source, target, [_("Tick at least one case that can move.")]), 400
    if not reason.strip():
        return _page(key, source, target, [_("Give a reason: it goes into each case's history.")]), 400
    ids = [int(v) for v in values if v.isdigit() and len(v) < 19]
    try:
        report = case_migration.start_migration(
            services(), key, _version(source), _version(target), ids, reason, actor
        )
    except (InvalidData, Conflict) as error:
        return _page(key, source, target, [error.message]), 400
    return redirect(url_for("modeler.migration_report", batch_id=report.id), 303)


@bp.get("/migrations/<int:batch_id>")
def migration_report(batch_id: int) -> ResponseReturnValue:
    report = batches.get_batch(services(), batch_id, require_page_actor(), per_page=REPORT_ROWS)
    return render_template(
        "modeler/migration_report.html",
        report=report,
        running=report.finished_at is None,
        outcome_labels=OUTCOME_LABELS,
        refresh_seconds=REFRESH_SECONDS,
    )


def _page(key: str, source: str, target: str, problems: list[str] | None = None) -> str:
    actor = require_page_actor()
    versions = version_compare.list_versions(services(), key, actor)
    from_version = _version(source) if source else (versions[-2] if len(versions) > 1 else versions[0])
    to_version = _version(target) if target else versions[-1]
    plan = None
    if from_version != to_version:
        plan = case_migration.dry_run(services(), key, from_version, to_version, None, actor)
    return render_template(
        "modeler/migrate.html",
        process_key=key,
        versions=versions,
        from_version=from_version,
        to_version=to_version,
        plan=plan,
        problems=problems or [],
        reason=request.form.get("reason", ""),
        reason_text=reason_text,
    )


def _version(value: str) -> int:
    if not value.isdigit() or len(value) > 9:
        raise InvalidData("bad version", [{"field": "version", "message": _("Choose a version.")}])
    return int(value)
