"""Users, groups (lanes), roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Conflict, InvalidData, NotFound, Unauthorized
from ..store import limits
from ..store import users as stored
from .context import Actor, Services
from .inputs import check_text, text_problem
from .results import UserInfo

ROLES = ("staff", "manager", "analyst", "admin")


def add_user(
    services: Services,
    name: str,
    groups: list[str] | tuple[str, ...] = (),
    role: str = "staff",
    password: str | None = None,
) -> UserInfo:
    """Create a user in ``groups`` (created on first use); a password enables browser sign-in."""
    if role not in ROLES:
        raise InvalidData(
            "unknown role", [{"field": "role", "message": f"must be one of {', '.join(ROLES)}"}]
        )
    if not isinstance(name, str) or not name.strip():
        raise InvalidData("bad user name", [{"field": "name", "message": "a user name is required"}])
    check_text("name", name, limits.USER_NAME)
    for group in groups:
        check_text("groups", group, limits.GROUP_NAME)
    unique_groups = list(dict.fromkeys(groups))
    with services.clock.pinned() as now, services.uow() as uow:
        if uow.users.by_name(name) is not None:
            raise Conflict(f"user {name} already exists")
        password_hash = generate_password_hash(password) if password else None
        uow.users.insert(name, role, password_hash, now, unique_groups)
        uow.commit()
    return UserInfo(name, role, unique_groups)


def create_token(services: Services, name: str) -> str:
    """A new API token for user ``name``; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    if text_problem(name, limits.USER_NAME) is not None:
        raise NotFound(f"no user named {name!r}")
    with services.clock.pinned() as now, services.uow() as uow:
        user = uow.users.by_name(name)
        if user is None:
            raise NotFound(f"no user named {name}")
        uow.users.add_token(user.id, _hash(token), now)
        uow.commit()
    return token


def actor_for_token(services: Services, token: str) -> Actor:
    with services.database.reading() as connection:
        user = stored.user_by_token(connection, _hash(token))
        if user is None or not user.active:
            raise Unauthorized("invalid or revoked token")
        return Actor(user.name, user.role, frozenset(stored.groups_of(connection, user.id)))


def actor_for_password(services: Services, name: str, password: str) -> Actor:
    if text_problem(name, limits.USER_NAME) is not None:
        raise Unauthorized("wrong user name or password")
    with services.database.reading() as connection:
        user = stored.user_by_name(connection, name)
        if user is None or not user.active or not user.password_hash:
            raise Unauthorized("wrong user name or password")
        if not check_password_hash(user.password_hash, password):
            raise Unauthorized("wrong user name or password")
        return Actor(user.name, user.role, frozenset(stored.groups_of(connection, user.id)))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for_name(services: Services, name: str) -> Actor:
    """The active user ``name`` as an actor (a browser session names its user)."""
    if text_problem(name, limits.USER_NAME) is not None:
        raise Unauthorized("unknown user")
    with services.database.reading() as connection:
        user = stored.user_by_name(connection, name)
        if user is None or not user.active:
            raise Unauthorized("unknown or deactivated user")
        return Actor(user.name, user.role, frozenset(stored.groups_of(connection, user.id)))
