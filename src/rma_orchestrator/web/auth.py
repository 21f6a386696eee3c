"""Who is calling: the bearer token of the request, resolved once per request."""

from __future__ import annotations

from flask import current_app, g, request

from ..errors import Unauthorized
from ..service.context import Actor, Services
from ..service.users import actor_for_token


def services() -> Services:
    return current_app.extensions["rma"]


def current_actor() -> Actor:
    actor = g.get("actor")
    if actor is None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                "send Authorization: Bearer <token> (create one with `rma tokens create NAME`)"
            )
        actor = actor_for_token(services(), token.strip())
        g.actor = actor
    return actor
