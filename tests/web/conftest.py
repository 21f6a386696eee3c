"""Page fixtures: the real app with CSRF on, users with passwords, and a signed-in client per role."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import USERS

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.users import add_user
from rma_orchestrator.web import create_app

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def app(services: Services) -> Flask:
    app = create_app(services=services)
    app.config["TESTING"] = True
    return app


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page carries (every page has it in its <meta name="csrf-token">)."""
    page = client.get(path).get_data(as_text=True)
    found = _CSRF.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


@pytest.fixture
def add_people(services: Services) -> Callable[[str], str]:
    """``add_people("warehouse")`` creates that user of tests/support.USERS with PASSWORD."""
    added: set[str] = set()

    def add(who: str) -> str:
        name, groups = USERS[who]
        if who not in added:
            role = "staff" if who == "warehouse" else who
            add_user(services, name, groups, role, PASSWORD)
            added.add(who)
        return name

    return add


@pytest.fixture
def signed_in(app: Flask, add_people: Callable[[str], str]) -> Callable[[str], FlaskClient]:
    """``signed_in("staff")`` → a client whose session belongs to that user."""

    def sign_in(who: str, language: str = "en") -> FlaskClient:
        name = add_people(who)
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        token = csrf_token(client)
        answer = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
        assert answer.status_code == 302, answer.get_data(as_text=True)
        return client

    return sign_in
