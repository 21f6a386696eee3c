"""Names the pages show for codes: case kinds, groups, bilingual titles in the user's language."""

from __future__ import annotations

from flask import Flask, g
from flask_babel import lazy_gettext

from ..service.groups import group_labels
from .auth import services
from .bilingual import pick as pick_text
from .i18n import current_language

KIND_LABELS = {
    "return": lazy_gettext("Return"),
    "exchange": lazy_gettext("Exchange"),
    "repair": lazy_gettext("Repair"),
    "complaint": lazy_gettext("Complaint"),
}

STATUS_LABELS = {
    "running": lazy_gettext("Running"),
    "completed": lazy_gettext("Completed"),
    "cancelled": lazy_gettext("Cancelled"),
    "suspended": lazy_gettext("Suspended"),
    "error": lazy_gettext("Stopped at an error"),
}

ROLE_LABELS = {
    "staff": lazy_gettext("staff"),
    "manager": lazy_gettext("manager"),
    "analyst": lazy_gettext("analyst"),
    "admin": lazy_gettext("administrator"),
}


EVENT_LABELS = {
    "instance_started": lazy_gettext("Case registered"),
    "task_created": lazy_gettext("Task created"),
    "task_claimed": lazy_gettext("Task claimed"),
    "task_unclaimed": lazy_gettext("Task given back"),
    "task_assigned": lazy_gettext("Task assigned"),
    "task_completed": lazy_gettext("Task completed"),
    "task_cancelled": lazy_gettext("Task cancelled"),
    "message_received": lazy_gettext("Message received"),
    "timer_fired": lazy_gettext("Timer fired"),
    "sla_breached": lazy_gettext("SLA breached"),
    "legal_breach": lazy_gettext("Legal deadline breached"),
    "incident_raised": lazy_gettext("Incident"),
    "incident_resolved": lazy_gettext("Incident resolved"),
    "instance_completed": lazy_gettext("Case closed"),
    "instance_cancelled": lazy_gettext("Case cancelled"),
    "instance_suspended": lazy_gettext("Case suspended"),
    "instance_resumed": lazy_gettext("Case resumed"),
    "attachment_added": lazy_gettext("Attachment added"),
    "case_record_stored": lazy_gettext("Product record updated"),
    "case_record_skipped": lazy_gettext("Case record skipped (malformed)"),
}


ATTACHMENT_KIND_LABELS = {
    "photo": lazy_gettext("Photo"),
    "proof_of_purchase": lazy_gettext("Proof of purchase"),
    "evidence": lazy_gettext("Evidence"),
    "other": lazy_gettext("Other file"),
}


def attachment_kind_label(kind: str) -> str:
    return str(ATTACHMENT_KIND_LABELS.get(kind, kind))


def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind))


def kind_label(kind: str | None) -> str:
    return str(KIND_LABELS.get(kind or "", kind or ""))


def status_label(status: str) -> str:
    """A case's status in the user's language."""
    return str(STATUS_LABELS.get(status, status))


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def group_label(group: str | None) -> str:
    """The group's name in the user's language, its code when it has no label."""
    if not group:
        return ""
    labels = g.get("group_labels")
    if labels is None:
        labels = g.group_labels = group_labels(services())
    zh, en = labels.get(group, (None, None))
    chosen = zh if current_language() == "zh_CN" else en
    return chosen or en or zh or group


def pick(text: str | None) -> str:
    """The user's half of a bilingual "中文 English" text."""
    return pick_text(text or "", current_language())


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        kind_label=kind_label,
        status_label=status_label,
        event_label=event_label,
        attachment_kind_label=attachment_kind_label,
        group_label=group_label,
        role_label=role_label,
        pick=pick,
    )
