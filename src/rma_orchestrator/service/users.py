"""Users, groups (lanes), roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Conflict, InvalidData, NotFound, Unauthorized
from ..store.models import ApiToken, Group, Membership, User
from .context import Actor, Services

ROLES = ("staff", "manager", "analyst", "admin")


def add_user(
    services: Services,
    name: str,
    groups: list[str] | tuple[str, ...] = (),
    role: str = "staff",
    password: str | None = None,
) -> dict[str, Any]:
    """Create a user in ``groups`` (created on first use); a password enables browser sign-in."""
    if role not in ROLES:
        raise InvalidData(
            "unknown role", [{"field": "role", "message": f"must be one of {', '.join(ROLES)}"}]
        )
    if not name or not name.strip() or len(name) > 120:
        raise InvalidData("bad user name", [{"field": "name", "message": "1 to 120 characters"}])
    with services.clock.pinned() as now, services.uow() as uow:
        if uow.session.scalar(select(User.id).where(User.name == name)) is not None:
            raise Conflict(f"user {name} already exists")
        user = User(
            name=name,
            role=role,
            password_hash=generate_password_hash(password) if password else None,
            active=True,
            created_at=now,
        )
        uow.session.add(user)
        uow.session.flush()
        for group in dict.fromkeys(groups):
            if uow.session.get(Group, group) is None:
                uow.session.add(Group(name=group))
                uow.session.flush()
            uow.session.add(Membership(user_id=user.id, group_name=group))
        uow.commit()
        return {"name": name, "role": role, "groups": list(dict.fromkeys(groups))}


def create_token(services: Services, name: str) -> str:
    """A new API token for user ``name``; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    with services.clock.pinned() as now, services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFound(f"no user named {name}")
        uow.session.add(ApiToken(user_id=user.id, token_hash=_hash(token), created_at=now))
        uow.commit()
    return token


def actor_for_token(services: Services, token: str) -> Actor:
    with services.database.read() as session:
        user = session.scalar(
            select(User)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == _hash(token))
        )
        if user is None or not user.active:
            raise Unauthorized("invalid or revoked token")
        return _actor(session, user)


def actor_for_password(services: Services, name: str, password: str) -> Actor:
    with services.database.read() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None or not user.active or not user.password_hash:
            raise Unauthorized("wrong user name or password")
        if not check_password_hash(user.password_hash, password):
            raise Unauthorized("wrong user name or password")
        return _actor(session, user)


def _actor(session: Any, user: User) -> Actor:
    groups = session.scalars(select(Membership.group_name).where(Membership.user_id == user.id)).all()
    return Actor(user.name, user.role, frozenset(groups))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
