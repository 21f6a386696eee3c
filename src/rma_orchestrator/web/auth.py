"""Who is calling: the bearer token of the request or the signed-in user, resolved once per request."""

from __future__ import annotations

from flask import current_app, g
from flask_login import current_user

from ..errors import Unauthorized
from ..service.context import Actor, Services
from ..service.users import actor_for_token
from .session import bearer_token


def services() -> Services:
    return current_app.extensions["rma"]


def current_actor() -> Actor:
    """The actor of this request; Unauthorized when neither a token nor a session names one."""
    actor = g.get("actor")
    if actor is None:
        token = bearer_token()
        if token is not None:
            actor = actor_for_token(services(), token)
        elif current_user.is_authenticated:
            actor = current_user.actor
        else:
            raise Unauthorized(
                "send Authorization: Bearer <token> (create one with `rma tokens create NAME`) or sign in"
            )
        g.actor = actor
    return actor


def signed_in_actor() -> Actor | None:
    """The signed-in user of a page request, or None."""
    return current_user.actor if current_user.is_authenticated else None
