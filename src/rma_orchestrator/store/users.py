"""Users, their groups (lanes) and hashed API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, bindparam, insert, or_, select, update

from .db import AnyRow
from .models import TABLES

_user = TABLES["app_user"]
_group = TABLES["user_group"]
_membership = TABLES["membership"]
_token = TABLES["api_token"]

_USER_COLUMNS = (
    _user.c.id,
    _user.c.name,
    _user.c.role,
    _user.c.password_hash,
    _user.c.active,
    _user.c.locale,
)
_BY_NAME = select(*_USER_COLUMNS).where(_user.c.name == bindparam("name"))
_BY_TOKEN = (
    select(*_USER_COLUMNS)
    .join(_token, _token.c.user_id == _user.c.id)
    .where(_token.c.token_hash == bindparam("token_hash"))
)
_GROUPS_OF = select(_membership.c.group_name).where(_membership.c.user_id == bindparam("user_id"))
_SET_LOCALE = update(_user).where(_user.c.name == bindparam("b_name")).values(locale=bindparam("locale"))
_GROUPS = select(_group.c.name).where(_group.c.name.in_(bindparam("names", expanding=True)))


def user_by_name(connection: Connection, name: str) -> AnyRow | None:
    """id, name, role, password_hash, active, locale."""
    return connection.execute(_BY_NAME, {"name": name}).one_or_none()


def user_by_token(connection: Connection, token_hash: str) -> AnyRow | None:
    return connection.execute(_BY_TOKEN, {"token_hash": token_hash}).one_or_none()


def groups_of(connection: Connection, user_id: int) -> list[str]:
    return list(connection.execute(_GROUPS_OF, {"user_id": user_id}).scalars())


def active_users_in(
    connection: Connection, group: str | None, roles: tuple[str, ...]
) -> list[tuple[str, str, list[str]]]:
    """``(name, role, groups)`` of every active user in ``group`` or with one of ``roles``, by name."""
    wanted: ColumnElement[bool] = _user.c.role.in_(roles)
    if group is not None:
        members = select(_membership.c.user_id).where(_membership.c.group_name == group)
        wanted = or_(_user.c.id.in_(members), wanted)
    users = select(_user.c.id, _user.c.name, _user.c.role).where(_user.c.active.is_(True), wanted)
    rows = connection.execute(users.order_by(_user.c.name)).all()
    groups: dict[int, list[str]] = {row.id: [] for row in rows}
    if groups:
        memberships = select(_membership.c.user_id, _membership.c.group_name).where(
            _membership.c.user_id.in_(list(groups))
        )
        for user_id, name in connection.execute(memberships.order_by(_membership.c.group_name)):
            groups[user_id].append(name)
    return [(row.name, row.role, groups[row.id]) for row in rows]


class UserRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def by_name(self, name: str) -> AnyRow | None:
        return user_by_name(self._connection, name)

    def insert(
        self, name: str, role: str, password_hash: str | None, created_at: datetime, groups: list[str]
    ) -> int:
        """A new active user in ``groups``; groups not known yet are created without labels."""
        user_id = int(
            self._connection.execute(
                insert(_user)
                .values(name=name, role=role, password_hash=password_hash, active=True, created_at=created_at)
                .returning(_user.c.id)
            ).scalar_one()
        )
        if groups:
            known = set(self._connection.execute(_GROUPS, {"names": groups}).scalars())
            missing = [g for g in groups if g not in known]
            if missing:
                self._connection.execute(insert(_group), [{"name": g} for g in missing])
            self._connection.execute(
                insert(_membership), [{"user_id": user_id, "group_name": g} for g in groups]
            )
        return user_id

    def add_token(self, user_id: int, token_hash: str, created_at: datetime) -> None:
        self._connection.execute(
            insert(_token).values(user_id=user_id, token_hash=token_hash, created_at=created_at)
        )

    def set_locale(self, name: str, locale: str | None) -> bool:
        """False when there is no user ``name``."""
        return self._connection.execute(_SET_LOCALE, {"b_name": name, "locale": locale}).rowcount == 1

_LABELS = select(_group.c.name, _group.c.label_zh, _group.c.label_en)


def group_labels(connection: Connection) -> dict[str, tuple[str | None, str | None]]:
    """Every group's (Chinese, English) label, for the pages."""
    return {row.name: (row.label_zh, row.label_en) for row in connection.execute(_LABELS)}
