"""Who may do what (DESIGN §7): one place for the role checks every command uses."""

from __future__ import annotations

from ..errors import Forbidden
from .context import Actor


def require_role(actor: Actor, *roles: str) -> None:
    """Admins pass every check; others need one of ``roles``."""
    if not actor.has_role(*roles):
        raise Forbidden(
            f"{actor.name} ({actor.role}) may not do this; it needs the role {' or '.join(roles)}"
        )
