"""The shell every page shares: home by role, sign-in and sign-out, the language switch, navigation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import login_user, logout_user

from ..errors import InvalidData, TooManyAttempts, Unauthorized
from ..service import permissions
from ..service.context import Actor
from ..service.users import set_locale
from ..service.users import sign_in as check_sign_in
from .auth import services, signed_in_actor
from .i18n import LANGUAGES
from .session import SignedIn

bp = Blueprint("shell", __name__)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any  # a lazy translation


NAVIGATION = (
    (NavItem("tasks.inbox", lazy_gettext("Tasks")), permissions.may_read_cases),
    (NavItem("cases.new_case", lazy_gettext("New case")), permissions.may_start),
    (NavItem("monitor.instances", lazy_gettext("All cases")), permissions.may_monitor),
    (NavItem("monitor.dashboard", lazy_gettext("Dashboard")), permissions.may_monitor),
    (NavItem("monitor.calendar", lazy_gettext("Calendar")), permissions.may_monitor),
    (NavItem("modeler.index", lazy_gettext("Modeler")), permissions.may_deploy),
)


def navigation(actor: Actor | None, app: Flask) -> list[NavItem]:
    """The pages this actor may open, for the layout's menu (only pages that exist)."""
    if actor is None:
        return []
    return [item for item, allowed in NAVIGATION if item.endpoint in app.view_functions and allowed(actor)]


def require_page_actor() -> Actor:
    """The signed-in user, or Unauthorized (which sends a page to the sign-in form)."""
    actor = signed_in_actor()
    if actor is None:
        raise Unauthorized("sign in first")
    return actor


def safe_next(target: str | None) -> str | None:
    """Only a path on this site is followed after sign-in (never another host)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


@bp.get("/")
def home() -> ResponseReturnValue:
    actor = signed_in_actor()
    if actor is None:
        return redirect(url_for("shell.sign_in"))
    return redirect(url_for("tasks.inbox"))


@bp.route("/login", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if signed_in_actor() is not None:
            return redirect(target or url_for("shell.home"))
        return render_template("sign_in.html", next=target, name="")
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    try:
        actor = check_sign_in(services(), name, password, request.remote_addr)
    except Unauthorized:
        message = _("Wrong user name or password.")
        return render_template("sign_in.html", next=target, name=name, error=message), 401
    except TooManyAttempts as error:
        minutes = max(1, -(-error.retry_after // 60))
        message = _("Too many failed attempts. Try again in %(minutes)d min.", minutes=minutes)
        page = render_template("sign_in.html", next=target, name=name, error=message)
        return page, 429, {"Retry-After": str(error.retry_after)}
    language = session.get("language")
    session.clear()  # nothing from before sign-in carries over, except the chosen language
    if language:
        session["language"] = language
    session.permanent = True
    login_user(SignedIn(actor))
    return redirect(target or url_for("shell.home"))


@bp.post("/logout")
def sign_out() -> ResponseReturnValue:
    logout_user()
    session.clear()
    return redirect(url_for("shell.sign_in"))


@bp.post("/language")
def choose_language() -> ResponseReturnValue:
    language = request.form.get("language", "")
    if language not in LANGUAGES:
        raise InvalidData("unknown language", [{"field": "language", "message": "zh_CN or en"}])
    session["language"] = language
    actor = signed_in_actor()
    if actor is not None:
        set_locale(services(), actor, language)  # kept for this user, in every browser
    return redirect(safe_next(request.form.get("next")) or url_for("shell.home"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def _shell() -> dict[str, Any]:
        actor = signed_in_actor()
        return {"actor": actor, "navigation": navigation(actor, app)}

    @app.after_request
    def _headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                "frame-ancestors 'none'; form-action 'self'",
            )
            response.headers.setdefault("Cache-Control", "no-store")
        return response
