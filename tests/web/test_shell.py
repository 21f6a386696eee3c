"""The web shell: home by role, sign-in, cookies, CSRF, error pages, languages."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from page_client import PASSWORD, csrf_token

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.users import create_token


def test_home_sends_strangers_to_sign_in_and_staff_to_their_inbox(
    app: Flask, signed_in: Callable[..., FlaskClient]
) -> None:
    assert app.test_client().get("/").headers["Location"].endswith("/login")
    assert signed_in("staff").get("/").headers["Location"].endswith("/tasks")


def test_a_page_asks_strangers_to_sign_in_and_comes_back_after(
    app: Flask, add_people: Callable[[str], str]
) -> None:
    client = app.test_client()
    answer = client.get("/tasks?kind=return")
    assert answer.status_code == 302
    assert "/login?next=/tasks?kind%3Dreturn" in answer.headers["Location"]
    name = add_people("staff")
    token = csrf_token(client)
    back = client.post(
        "/login", data={"name": name, "password": PASSWORD, "csrf_token": token, "next": "/tasks?kind=return"}
    )
    assert back.headers["Location"] == "/tasks?kind=return"


def test_sign_in_never_follows_a_next_to_another_site(app: Flask, add_people: Callable[[str], str]) -> None:
    client = app.test_client()
    token = csrf_token(client)
    data = {"name": add_people("staff"), "password": PASSWORD, "csrf_token": token, "next": "//evil.example"}
    answer = client.post("/login", data=data)
    assert answer.headers["Location"] == "/"


def test_a_failed_sign_in_does_not_say_which_half_was_wrong(
    app: Flask, add_people: Callable[[str], str]
) -> None:
    name = add_people("staff")
    answers = []
    for user, password in ((name, "wrong"), ("nobody-like-this", PASSWORD)):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        token = csrf_token(client)
        answer = client.post("/login", data={"name": user, "password": password, "csrf_token": token})
        assert answer.status_code == 401
        answers.append(answer.get_data(as_text=True).replace(f'value="{user}"', ""))
        assert "Wrong user name or password." in answers[-1]
        assert client.get("/tasks").status_code == 302  # still not signed in
    assert _without_tokens(answers[0]) == _without_tokens(answers[1])


def _without_tokens(page: str) -> str:
    import re

    return re.sub(r'(content|value)="[^"]*"', "", page)


def test_the_session_cookie_is_http_only_lax_and_expires(
    app: Flask, add_people: Callable[[str], str]
) -> None:
    client = app.test_client()
    token = csrf_token(client)
    data = {"name": add_people("staff"), "password": PASSWORD, "csrf_token": token}
    answer = client.post("/login", data=data)
    cookie = next(h for h in answer.headers.getlist("Set-Cookie") if h.startswith("rma_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie
    assert "Secure" not in cookie


def test_secure_cookies_when_configured(services: Services, add_people: Callable[[str], str]) -> None:
    from dataclasses import replace

    from rma_orchestrator.web import create_app

    secure = create_app(services=replace(services, settings=replace(services.settings, secure_cookies=True)))
    client = secure.test_client()
    token = csrf_token(client)
    answer = client.post(
        "/login",
        data={"name": add_people("staff"), "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},
    )
    cookie = next(h for h in answer.headers.getlist("Set-Cookie") if h.startswith("rma_session="))
    assert "Secure" in cookie


def test_a_page_post_without_its_csrf_token_is_refused(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("staff")
    answer = client.post("/logout")
    assert answer.status_code == 400
    assert "text/html" in answer.content_type
    assert "reload it" in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302 and client.get("/").headers["Location"].endswith("/tasks")


def test_the_api_takes_bearer_tokens_without_csrf_and_cookies_only_with_it(
    services: Services, signed_in: Callable[..., FlaskClient]
) -> None:
    client = signed_in("manager")
    body = {"process_key": "nothing_deployed", "data": {}}
    refused = client.post("/api/v1/process-instances", json=body)
    assert refused.status_code == 400
    assert "CSRF" in refused.get_json()["errors"][0]["message"]
    with_header = client.post(
        "/api/v1/process-instances", json=body, headers={"X-CSRFToken": csrf_token(client, "/tasks")}
    )
    assert with_header.status_code == 404  # past the CSRF check: the process does not exist
    token = create_token(services, "mia")
    bearer = client.application.test_client().post(
        "/api/v1/process-instances", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert bearer.status_code == 404


def test_pages_answer_html_errors_and_the_api_json(app: Flask, signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("staff")
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "text/html" in page.content_type
    assert "There is no page at this address" in page.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.get_json()["errors"]
    task = client.get("/tasks/no-such-task")
    assert task.status_code == 404 and "text/html" in task.content_type


def test_an_unexpected_error_shows_no_traceback(app: Flask, signed_in: Callable[..., FlaskClient]) -> None:
    def broken() -> str:
        raise RuntimeError("secret detail in /srv/app/module.py line 12")

    app.add_url_rule("/broken-for-test", view_func=broken)
    answer = signed_in("staff").get("/broken-for-test")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 500 and "text/html" in answer.content_type
    assert "secret detail" not in text and "Traceback" not in text
    assert "The change was not applied" in text


def test_the_language_follows_the_browser_and_the_switch(signed_in: Callable[..., FlaskClient]) -> None:
    chinese = signed_in("staff", language="zh-CN,zh;q=0.9")
    assert "退出" in chinese.get("/tasks").get_data(as_text=True)
    english = signed_in("warehouse", language="en-US,en;q=0.9")
    assert "Sign out" in english.get("/tasks").get_data(as_text=True)
    token = csrf_token(english, "/tasks")
    english.post("/language", data={"language": "zh_CN", "next": "/tasks", "csrf_token": token})
    assert "退出" in english.get("/tasks").get_data(as_text=True)


def test_signing_out_ends_the_session(signed_in: Callable[..., FlaskClient]) -> None:
    client = signed_in("staff")
    token = csrf_token(client, "/tasks")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/tasks").headers["Location"].startswith("/login")


def test_repeated_failed_sign_ins_are_slowed(app: Flask, add_people: Callable[[str], str]) -> None:
    name = add_people("staff")
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    statuses = []
    for _ in range(6):
        token = csrf_token(client)
        statuses.append(client.post("/login", data={"name": name, "password": "wrong", "csrf_token": token}))
    assert [s.status_code for s in statuses] == [401] * 5 + [429]
    assert "Too many failed attempts" in statuses[-1].get_data(as_text=True)
    assert int(statuses[-1].headers["Retry-After"]) >= 1
    token = csrf_token(client)
    right = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert right.status_code == 429  # even the right password waits until the wait is over


def test_the_chosen_language_is_kept_for_the_user_in_another_browser(
    signed_in: Callable[..., FlaskClient],
) -> None:
    laptop = signed_in("staff", language="en")
    token = csrf_token(laptop, "/tasks")
    laptop.post("/language", data={"language": "zh_CN", "next": "/tasks", "csrf_token": token})
    handheld = signed_in("staff", language="en")  # a new session, an English browser
    assert "退出" in handheld.get("/tasks").get_data(as_text=True)
