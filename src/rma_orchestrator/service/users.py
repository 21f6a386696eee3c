"""Users, groups (lanes), roles and API tokens."""

from __future__ import annotations

import functools
import hashlib
import math
import secrets
from datetime import datetime, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Conflict, InvalidData, NotFound, TooManyAttempts, Unauthorized
from ..store import limits
from ..store import sign_in as stored_sign_in
from ..store import users as stored
from ..store.db import AnyRow
from .context import Actor, Services
from .inputs import check_text, text_problem
from .results import UserInfo

ROLES = ("staff", "manager", "analyst", "admin")
LOCALES = ("zh_CN", "en")
WRONG_CREDENTIALS = "wrong user name or password"  # whichever of the two was wrong
MAX_FAILURES = 5  # consecutive failed sign-ins before the next ones wait
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)  # failures this old no longer count (a client address is never reset)
MAX_PASSWORD = 1024  # characters; a longer password is wrong without hashing it


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
        return _actor(user, stored.groups_of(connection, user.id))


def actor_for_name(services: Services, name: str) -> Actor:
    """The signed-in user a browser session names (Flask-Login's user loader); Unauthorized when
    the user is unknown or no longer active, so an old session signs out."""
    if text_problem(name, limits.USER_NAME) is not None:
        raise Unauthorized("not signed in")
    with services.database.reading() as connection:
        user = stored.user_by_name(connection, name)
        if user is None or not user.active:
            raise Unauthorized(f"no active user named {name}; sign in again")
        return _actor(user, stored.groups_of(connection, user.id))


def actor_for_password(services: Services, name: str, password: str) -> Actor:
    """Check a password without the sign-in throttle (browsers sign in through ``sign_in``)."""
    if text_problem(name, limits.USER_NAME) is not None:
        raise Unauthorized(WRONG_CREDENTIALS)
    with services.database.reading() as connection:
        user = stored.user_by_name(connection, name)
        if not _password_matches(user, password) or user is None:
            raise Unauthorized(WRONG_CREDENTIALS)
        return _actor(user, stored.groups_of(connection, user.id))


def sign_in(services: Services, name: str, password: str, client_address: str | None) -> Actor:
    """The user whose name and password these are, for a browser session.

    Every failure says the same (WRONG_CREDENTIALS) and hashes once, whether the user exists or
    not. After MAX_FAILURES consecutive failures for a user name, or from a client address,
    further attempts are refused (TooManyAttempts, without looking at the password) until a wait
    has passed that doubles with each later failure, up to MAX_WAIT. The counts are kept in the
    database, so every server process applies the same throttle; a success resets the name's.
    """
    name_key = _key("name", name)
    keys = [name_key] if client_address is None else [name_key, _key("address", client_address)]
    with services.clock.pinned() as now:
        with services.database.reading() as connection:
            failures = stored_sign_in.failures_of(connection, keys)
            _refuse_while_waiting(failures, now)
            valid_name = text_problem(name, limits.USER_NAME) is None
            user = stored.user_by_name(connection, name) if valid_name else None
            actor = _actor(user, stored.groups_of(connection, user.id)) if user is not None else None
        signed_in = _password_matches(user, password)  # hashing outside any transaction
        if not signed_in or name_key in failures:
            with services.uow() as uow:
                if signed_in:
                    uow.sign_in_failures.clear(name_key)
                else:
                    uow.sign_in_failures.record(keys, now, forget_before=now - FORGET_AFTER)
                uow.commit()
    if not signed_in or actor is None:
        raise Unauthorized(WRONG_CREDENTIALS)
    return actor


def set_locale(services: Services, actor: Actor, locale: str) -> None:
    """The language of the actor's pages from now on: one of LOCALES."""
    if locale not in LOCALES:
        raise InvalidData(
            "unknown language", [{"field": "locale", "message": f"must be one of {', '.join(LOCALES)}"}]
        )
    with services.uow() as uow:
        if not uow.users.set_locale(actor.name, locale):
            raise NotFound(f"no user named {actor.name}")
        uow.commit()


def retry_wait(failures: int) -> timedelta:
    """How long sign-ins stay refused after ``failures`` consecutive failures: none below
    MAX_FAILURES, then 1 s, 2 s, 4 s, ... up to MAX_WAIT."""
    if failures < MAX_FAILURES:
        return timedelta(0)
    doublings = min(failures - MAX_FAILURES, 20)  # 2**20 s is far beyond the cap already
    return min(timedelta(seconds=2**doublings), MAX_WAIT)


def _refuse_while_waiting(failures: dict[str, tuple[int, datetime]], now: datetime) -> None:
    waits = [
        last + retry_wait(count) - now
        for count, last in failures.values()
        if now - last <= FORGET_AFTER and last + retry_wait(count) > now
    ]
    if waits:
        seconds = max(1, math.ceil(max(waits).total_seconds()))
        raise TooManyAttempts(f"too many failed sign-ins; try again in {seconds} seconds", seconds)


def _password_matches(user: AnyRow | None, password: object) -> bool:
    """Hash once whatever the case, so that the time taken tells nothing about the user."""
    given = password if isinstance(password, str) and len(password) <= MAX_PASSWORD else ""
    if user is None or not user.active or not user.password_hash:
        check_password_hash(_dummy_hash(), given)
        return False
    return check_password_hash(user.password_hash, given) and given == password


@functools.cache
def _dummy_hash() -> str:
    """A hash of a password nobody has, made like real ones, checked against for unknown users."""
    return generate_password_hash(secrets.token_urlsafe(16))


def _key(kind: str, value: str) -> str:
    """The throttle's key: readable when it fits the column, else a digest of the value."""
    if text_problem(value, limits.USER_NAME) is None:
        return f"{kind}:{value}"
    digest = hashlib.sha256(str(value).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{kind}#{digest}"


def _actor(user: AnyRow, groups: list[str]) -> Actor:
    return Actor(user.name, user.role, frozenset(groups), user.locale)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

