"""Browser sessions: Flask-Login on the stored users, signed cookies, CSRF on every cookie-borne write.

A request is authenticated either by ``Authorization: Bearer`` (the API's clients) or by the
session cookie of a signed-in user (pages, and the scripts of pages calling the API). Only the
cookie can be ridden by another site, so CSRF is checked exactly when the cookie is what would
authenticate the request.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, request, session
from flask_login import LoginManager, UserMixin
from flask_wtf.csrf import CSRFProtect

from ..errors import Unauthorized
from ..service.context import Actor, Services
from ..service.users import actor_for_name

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
login_manager = LoginManager()
csrf = CSRFProtect()


class SignedIn(UserMixin):  # type: ignore[misc]
    """The Flask-Login user: a signed-in actor, reloaded from the database on every request."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    def get_id(self) -> str:
        return self.actor.name


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def init_app(app: Flask, services: Services) -> None:
    settings = services.settings
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_NAME="rma_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        SESSION_REFRESH_EACH_REQUEST=True,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked below, only where the cookie authenticates
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session it belongs to
        WTF_CSRF_SSL_STRICT=settings.secure_cookies,
    )
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.login_view = "shell.sign_in"
    csrf.init_app(app)

    @login_manager.user_loader
    def _load(name: str) -> SignedIn | None:
        try:
            return SignedIn(actor_for_name(services, name))
        except Unauthorized:
            return None  # deactivated or removed since sign-in: the session ends

    @app.before_request
    def _check_csrf() -> None:
        if request.method not in UNSAFE_METHODS or bearer_token() is not None:
            return
        if request.path.startswith("/api/") and "_user_id" not in session:
            return  # no cookie identity: the API answers 401 itself
        csrf.protect()

