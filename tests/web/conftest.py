"""Page fixtures: the real app with CSRF on, users with passwords, and a signed-in client per role."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from page_client import PASSWORD, csrf_token
from support import USERS

import rma_orchestrator.web
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.users import add_user
from rma_orchestrator.web import create_app

CATALOGUE = Path(rma_orchestrator.web.__file__).parent / "translations" / "zh" / "LC_MESSAGES"


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogue() -> None:
    """The pages read the compiled catalogue the set-up step makes; say so when it is missing or old."""
    po, mo = CATALOGUE / "messages.po", CATALOGUE / "messages.mo"
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, (
        "the Chinese catalogue is not compiled or older than messages.po: run `make setup`"
    )


@pytest.fixture
def app(services: Services) -> Flask:
    app = create_app(services=services)
    app.config["TESTING"] = True
    return app


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
