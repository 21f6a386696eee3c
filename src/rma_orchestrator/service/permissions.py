"""Who may do what (DESIGN §7): every rule of commands and reads, decided here and nowhere else.

``staff`` work their groups' tasks, start cases, read, send messages; ``manager`` also works
any task, assigns, cancels, suspends, resumes and retries; ``analyst`` deploys and validates
and sees every task; ``admin`` does everything, including users and the clock.
"""

from __future__ import annotations

from ..errors import Forbidden, TaskHeldByOther
from .context import Actor


def has_role(actor: Actor, *roles: str) -> bool:
    """Admins have every role."""
    return actor.role == "admin" or actor.role in roles


def require_role(actor: Actor, *roles: str) -> None:
    if not has_role(actor, *roles):
        raise Forbidden.of("needs_role", user=actor.name, role=actor.role, roles=roles)


START_ROLES = ("staff", "manager")
READ_ROLES = ("staff", "manager", "analyst")


def may_start(actor: Actor) -> bool:
    return has_role(actor, *START_ROLES)


def require_may_start(actor: Actor) -> None:
    require_role(actor, *START_ROLES)


def require_may_send_messages(actor: Actor) -> None:
    require_role(actor, "staff", "manager")


def require_may_manage_instances(actor: Actor) -> None:
    """Cancel, suspend, resume, retry incidents, assign tasks."""
    require_role(actor, "manager")


def may_monitor(actor: Actor) -> bool:
    """The ``/monitor`` pages (every case, its deadlines and breaches, exports): managers and admins."""
    return has_role(actor, "manager")


def require_may_monitor(actor: Actor) -> None:
    require_role(actor, "manager")


def may_deploy(actor: Actor) -> bool:
    """Edit, check and deploy procedures (the modeler): analysts and admins."""
    return has_role(actor, "analyst")


def require_may_deploy(actor: Actor) -> None:
    require_role(actor, "analyst")


def require_may_administer(actor: Actor) -> None:
    """Users, the working-day calendar, the controlled clock."""
    require_role(actor, "admin")


def may_administer(actor: Actor) -> bool:
    return has_role(actor, "admin")


def require_may_read_calendar(actor: Actor) -> None:
    """The working-day calendar page and API: managers read it (deadlines hang on it), admins change it."""
    require_role(actor, "manager")


def may_read_cases(actor: Actor) -> bool:
    """Every signed-in role reads cases, their audit trails, definitions, incidents and tasks."""
    return has_role(actor, *READ_ROLES)


def require_may_read_cases(actor: Actor) -> None:
    require_role(actor, *READ_ROLES)


def require_may_import_products(actor: Actor) -> None:
    """A product record's warranty comes from the ERP or the cases: managers set it by hand."""
    require_role(actor, "manager")


def require_may_stage_uploads(actor: Actor) -> None:
    """Files uploaded before their case exists are for starting it: whoever may start cases."""
    require_may_start(actor)


def owns_staged_upload(actor: Actor, uploaded_by: str) -> bool:
    """A staged upload (no case yet) is its uploader's alone: only they see it or start a case with it."""
    return uploaded_by == actor.name


def sees_incident_details(actor: Actor) -> bool:
    """Tracebacks name server files and code: managers and admins see them, others the message."""
    return has_role(actor, "manager")


WORK_EVERY_GROUP = ("manager", "admin")  # the roles that may work any task, whatever its group


def may_work_group(actor: Actor, group: str | None) -> bool:
    return has_role(actor, *WORK_EVERY_GROUP) or (group is not None and group in actor.groups)


def sees_every_task(actor: Actor) -> bool:
    return has_role(actor, "manager", "analyst")


def require_may_see_every_task(actor: Actor) -> None:
    """The inbox's ``all`` tab: managers, analysts and admins."""
    if not sees_every_task(actor):
        raise Forbidden(f"{actor.name} ({actor.role}) sees only the tasks of their groups and their own")


def task_visibility(actor: Actor) -> tuple[frozenset[str], str] | None:
    """The (groups, user) whose tasks the actor sees, or None for every task."""
    return None if sees_every_task(actor) else (actor.groups, actor.name)


def require_may_see_task(actor: Actor, group: str | None, assignee: str | None) -> None:
    if not (sees_every_task(actor) or may_work_group(actor, group) or assignee == actor.name):
        raise Forbidden(f"{actor.name} may not see tasks of the group {group}")


def require_may_claim(actor: Actor, group: str | None, assignee: str | None, task_id: str) -> None:
    if not may_work_group(actor, group):
        raise Forbidden.of("not_in_group", user=actor.name, group=group)
    if assignee not in (None, actor.name):
        raise TaskHeldByOther.of("task_claimed", task=task_id, user=assignee)


def require_may_unclaim(actor: Actor, assignee: str | None, task_id: str) -> None:
    if assignee != actor.name and not has_role(actor, "manager"):
        raise TaskHeldByOther(f"task {task_id} is claimed by {assignee or 'nobody'}")


def require_may_complete(actor: Actor, group: str | None, assignee: str | None, task_id: str) -> None:
    """Group members complete unclaimed tasks or their own; managers any task."""
    if not may_work_group(actor, group):
        raise Forbidden.of("not_in_group", user=actor.name, group=group)
    if assignee not in (None, actor.name) and not has_role(actor, "manager"):
        raise TaskHeldByOther.of("task_claimed", task=task_id, user=assignee)
