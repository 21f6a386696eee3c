"""API fixtures: a Flask test client that checks every answer against openapi.json, and tokens per role."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_check import CheckedClient
from support import USERS

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.users import add_user, create_token
from rma_orchestrator.web import create_app


@pytest.fixture
def app(services: Services) -> Flask:
    app = create_app(services=services)
    app.config["TESTING"] = True
    app.test_client_class = CheckedClient
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(services: Services) -> Callable[[str], dict[str, str]]:
    """``auth("manager")`` → headers carrying a token of a user with that role."""
    tokens: dict[str, str] = {}

    def headers(who: str) -> dict[str, str]:
        if who not in tokens:
            name, groups = USERS[who]
            role = "staff" if who == "warehouse" else who
            add_user(services, name, groups, role)
            tokens[who] = create_token(services, name)
        return {"Authorization": f"Bearer {tokens[who]}"}

    return headers
