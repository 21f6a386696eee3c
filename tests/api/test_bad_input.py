"""Every bad input gets a clear 4xx and changes nothing, on SQLite and PostgreSQL alike.

Each case is sent to a database holding one deployed process, one running case with an open
task and a user of every role; the answer must be the expected status with an ``{"errors":
[...]}`` body (``{field, message}`` items for a 400), and every table must hold what it held.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_check import CheckedClient
from support import USERS, database_state, lifecycle_files, private_postgres

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.errors import InvalidData, NotFound
from rma_orchestrator.service.context import Services
from rma_orchestrator.service.inputs import MAX_DATA_DEPTH
from rma_orchestrator.service.users import add_user, create_token
from rma_orchestrator.store import limits
from rma_orchestrator.web import create_app
from rma_orchestrator.web.api.operations import MAX_BODY_BYTES

Auth = Callable[[str], dict[str, str]]
ROLES = ("staff", "warehouse", "manager", "analyst", "admin")
NUL = "\x00"
BEYOND_64_BITS = 99999999999999999999
START_DATA = {"order_no": "SO-1", "amount": 500, "category": "other"}
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Case:
    """A request and what it must answer: ``fields`` for a 400, None for ``{message}`` errors."""

    role: str
    method: str
    path: str
    status: int
    fields: frozenset[str] | None = None
    body: Any = None  # sent as JSON; a str is sent as it is with a JSON content type
    files: dict[str, bytes] | None = None


def nested(levels: int, leaf: Any = 1) -> Any:
    """An object ``levels`` deep counting itself: ``nested(2) == {"n": {"n": 1}}``."""
    value = leaf
    for _ in range(levels):
        value = {"n": value}
    return value


def too_deep_field(prefix: str = "") -> str:
    """Where the first object past ``MAX_DATA_DEPTH`` sits, below the data object itself."""
    return ".".join(([prefix] if prefix else []) + ["n"] * MAX_DATA_DEPTH)


# JSON bodies each endpoint takes, valid as they stand; the faults are put into them.
JSON_ENDPOINTS = {
    "start": ("staff", "/process-instances", {"process_key": "order_review", "data": START_DATA}),
    "message": (
        "staff",
        "/messages",
        {"name": "payment_received", "business_key": "{key}", "payload": {}, "idempotency_key": "k-1"},
    ),
    "assign": ("manager", "/tasks/{task}/assign", {"user": "cs1"}),
    "complete": ("staff", "/tasks/{task}/complete", {"data": {"approved": True}}),
    "retry": ("manager", "/incidents/1/retry", {"data": {}}),
    "clock": ("admin", "/clock", {"add": "PT1H"}),
}
DEEP_BODY = '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}"
# Where each endpoint takes case data, and the field path its errors name.
DATA_ENDPOINTS = {
    "start": ("data", ""),
    "complete": ("data", ""),
    "retry": ("data", ""),
    "message": ("payload", "payload"),
}


def _body_cases() -> list[tuple[str, Case]]:
    cases = []
    for name, (role, path, body) in JSON_ENDPOINTS.items():
        raw = json.dumps(body)[:-1]
        cases += [
            (f"{name}-nested-100000", Case(role, "POST", path, 400, frozenset({""}), DEEP_BODY)),
            (f"{name}-NaN", Case(role, "POST", path, 400, frozenset({""}), raw + ', "x": NaN}')),
            (f"{name}-Infinity", Case(role, "POST", path, 400, frozenset({""}), raw + ', "x": Infinity}')),
            (
                f"{name}-minus-Infinity",
                Case(role, "POST", path, 400, frozenset({""}), raw + ', "x": -Infinity}'),
            ),
            (f"{name}-not-json", Case(role, "POST", path, 400, frozenset({""}), "{not json")),
        ]
    for name, (key, prefix) in DATA_ENDPOINTS.items():
        role, path, body = JSON_ENDPOINTS[name]
        base = dict(body[key]) if isinstance(body[key], dict) else {}
        at = f"{prefix}." if prefix else ""
        faults = {
            "too-deep": ({**base, "n": nested(MAX_DATA_DEPTH)}, too_deep_field(prefix)),
            "huge-float": ('{"x": 1e400}', f"{at}x"),
            "nul-key": ({**base, "a\x00b": 1}, f"{at}a\\u0000b"),
            "nul-string": ({**base, "note": "a\x00b"}, f"{at}note"),
            "nul-nested": ({**base, "list": [{"ok": "x"}, {"s": "\x00"}]}, f"{at}list.1.s"),
            "surrogate-key": ({**base, "a\ud800": 1}, f"{at}a\\ud800"),
            "surrogate-string": ({**base, "note": "\udfff"}, f"{at}note"),
        }
        for fault, (value, field) in faults.items():
            if isinstance(value, str):  # a number Python's json reads as inf: splice the text in
                text = json.dumps({**body, key: "@"}).replace('"@"', value)
                cases.append((f"{name}-{fault}", Case(role, "POST", path, 400, frozenset({field}), text)))
            else:
                cases.append(
                    (
                        f"{name}-{fault}",
                        Case(role, "POST", path, 400, frozenset({field}), {**body, key: value}),
                    )
                )
    return cases


def _text_cases() -> list[tuple[str, Case]]:
    start = JSON_ENDPOINTS["start"][2]
    message = JSON_ENDPOINTS["message"][2]
    texts = [
        ("start", "staff", "/process-instances", start, "process_key", limits.PROCESS_KEY),
        ("start", "staff", "/process-instances", start, "business_key", limits.BUSINESS_KEY),
        ("message", "staff", "/messages", message, "name", limits.MESSAGE_NAME),
        ("message", "staff", "/messages", message, "business_key", limits.BUSINESS_KEY),
        ("message", "staff", "/messages", message, "idempotency_key", limits.IDEMPOTENCY_KEY),
        ("assign", "manager", "/tasks/{task}/assign", {}, "user", limits.USER_NAME),
    ]
    cases = []
    for name, role, path, body, field, limit in texts:
        for fault, value in (("nul", f"a{NUL}b"), ("surrogate", "a\ud800"), ("too-long", "x" * (limit + 1))):
            case = Case(role, "POST", path, 400, frozenset({field}), {**body, field: value})
            cases.append((f"{name}-{field}-{fault}", case))
    for fault, user in (("not-in-group", "wh1"), ("analyst", "ana"), ("unknown", "nobody")):
        cases.append(
            (
                f"assign-{fault}",
                Case("manager", "POST", "/tasks/{task}/assign", 400, frozenset({"user"}), {"user": user}),
            )
        )
    filters = [
        ("/process-instances", "process_key", limits.PROCESS_KEY),
        ("/process-instances", "business_key", limits.BUSINESS_KEY),
        ("/process-instances", "status", 20),
        ("/tasks", "assignee", limits.USER_NAME),
        ("/tasks", "group", limits.GROUP_NAME),
        ("/tasks", "status", 20),
    ]
    for path, arg, limit in filters:
        for fault, value in (("nul", f"a{NUL}b"), ("too-long", "x" * (limit + 1))):
            query = f"{path}?{arg}={'%00'.join(value.split(NUL))}"
            cases.append(
                (f"filter-{path[1:]}-{arg}-{fault}", Case("manager", "GET", query, 400, frozenset({arg})))
            )
    for fault, name in (("nul", "a\x00b.bpmn"), ("too-long", "x" * limits.FILE_NAME + ".bpmn")):
        for verb, path in (("deploy", "/deployments"), ("validate", "/validations")):
            cases.append(
                (
                    f"{verb}-file-name-{fault}",
                    Case("analyst", "POST", path, 400, frozenset({"files"}), files={name: b"<x/>"}),
                )
            )
    cases += [
        ("validate-no-files", Case("analyst", "POST", "/validations", 422, files={})),
        (
            "validate-not-a-definition-file",
            Case("analyst", "POST", "/validations", 422, files={"a.txt": b"x"}),
        ),
    ]
    long_id = lifecycle_files()["order_fix.bpmn"].replace(
        b'id="order_fix"', b'id="' + b"p" * (limits.PROCESS_KEY + 1) + b'"'
    )
    cases.append(
        (
            "deploy-process-id-too-long",
            Case("analyst", "POST", "/deployments", 422, files={"order_fix.bpmn": long_id}),
        )
    )
    return cases


def _paging_cases() -> list[tuple[str, Case]]:
    cases = []
    for path in ("/process-instances", "/tasks", "/incidents"):
        for arg, values in (
            ("page", ["0", "-1", str(10**12), str(BEYOND_64_BITS), "abc", "1" * 5000]),
            ("per_page", ["0", "-1", "201", str(10**12), str(BEYOND_64_BITS), "x"]),
        ):
            for value in values:
                name = f"{path[1:]}-{arg}-{value[:20]}"
                cases.append((name, Case("manager", "GET", f"{path}?{arg}={value}", 400, frozenset({arg}))))
    return cases


def _id_cases() -> list[tuple[str, Case]]:
    cases = []
    for number in (2**31, 2**63, BEYOND_64_BITS, -1, 0):
        base = f"/process-instances/{number}"
        for suffix, method in (
            ("", "GET"),
            ("/events", "GET"),
            ("/cancel", "POST"),
            ("/suspend", "POST"),
            ("/resume", "POST"),
        ):
            cases.append(
                (f"instance{suffix or '-get'}-{number}", Case("manager", method, base + suffix, 404))
            )
        cases.append((f"incident-retry-{number}", Case("manager", "POST", f"/incidents/{number}/retry", 404)))
        path = f"/process-definitions/order_review/versions/{number}/bpmn"
        cases.append((f"definition-version-{number}", Case("staff", "GET", path, 404)))
    cases.append(
        ("definition-key-nul", Case("staff", "GET", "/process-definitions/a%00b/versions/1/bpmn", 404))
    )
    long_key = "k" * (limits.PROCESS_KEY + 1)
    cases.append(
        ("definition-key-long", Case("staff", "GET", f"/process-definitions/{long_key}/versions/1/bpmn", 404))
    )
    for task in ("a%00b", "t" * (limits.TASK_ID + 1)):
        for suffix, method, body in (
            ("", "GET", None),
            ("/claim", "POST", None),
            ("/unclaim", "POST", None),
            ("/assign", "POST", {"user": "cs1"}),
            ("/complete", "POST", {"data": {"approved": True}}),
        ):
            name = f"task{suffix or '-get'}-{'nul' if '%00' in task else 'long'}"
            cases.append((name, Case("manager", method, f"/tasks/{task}{suffix}", 404, body=body)))
    return cases


def _permission_cases() -> list[tuple[str, Case]]:
    """Who may not work a task is told so (403) whatever the data: it is not looked at for them."""
    path = "/tasks/{task}/complete"
    faults = {
        "too-deep": nested(MAX_DATA_DEPTH + 1),
        "nul-string": {"note": "a\x00b"},
        "surrogate-key": {"a\ud800": 1},
        "form-mismatch": {"approved": "perhaps"},
        "valid": {"approved": True},
    }
    return [
        (f"complete-not-in-group-{fault}", Case("warehouse", "POST", path, 403, body={"data": data}))
        for fault, data in faults.items()
    ]


CASES = _body_cases() + _text_cases() + _paging_cases() + _id_cases() + _permission_cases()


@dataclass(frozen=True)
class World:
    client: FlaskClient
    services: Services
    headers: dict[str, dict[str, str]]
    instance_id: int
    business_key: str
    task_id: str


@pytest.fixture
def world(client: FlaskClient, auth: Auth, services: Services) -> World:
    headers = {role: auth(role) for role in ROLES}
    return _populate(client, services, headers)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world per database for the whole sweep: every case must leave it as it found it.

    Built once (not per case) because a case that changes nothing needs no fresh database; on a
    database of its own, so that no other test empties it meanwhile.
    """
    workdir = tmp_path_factory.mktemp(f"bad-input-{request.param}")
    with _private_database(request, workdir) as url:
        settings = Settings.from_env({}, data_dir=workdir, database_url=url, controlled_clock=True)
        services = bootstrap(settings)
        app = create_app(services=services)
        app.config["TESTING"] = True
        app.test_client_class = CheckedClient
        headers = {}
        for role in ROLES:
            name, groups = USERS[role]
            add_user(services, name, groups, "staff" if role == "warehouse" else role)
            headers[role] = {"Authorization": f"Bearer {create_token(services, name)}"}
        yield _populate(app.test_client(), services, headers)
        services.database.dispose()


@contextmanager
def _private_database(request: pytest.FixtureRequest, workdir: Path) -> Iterator[str]:
    """A migrated database that only this module uses."""
    if request.param == "sqlite":
        path = workdir / "rma.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    shared = request.getfixturevalue("pg_database")  # skips, or fails in CI, when PostgreSQL is down
    with private_postgres(shared.rsplit("/", 1)[0] + "/test", "rma_bad_input") as url:
        yield url


def _populate(client: FlaskClient, services: Services, headers: dict[str, dict[str, str]]) -> World:
    """One deployed process and one running case with an open task."""
    upload = {"files": [(io.BytesIO(content), name) for name, content in lifecycle_files().items()]}
    deployed = client.post(
        "/api/v1/deployments", data=upload, headers=headers["analyst"], content_type="multipart/form-data"
    )
    assert deployed.status_code == 201
    started = client.post(
        "/api/v1/process-instances",
        json={"process_key": "order_review", "data": START_DATA},
        headers=headers["staff"],
    )
    assert started.status_code == 201
    (task,) = client.get(f"/api/v1/process-instances/{started.json['id']}", headers=headers["staff"]).json[
        "tasks"
    ]
    return World(client, services, headers, started.json["id"], started.json["business_key"], task["id"])


def send(world: World, case: Case) -> Any:
    path = "/api/v1" + case.path.format(task=world.task_id, key=world.business_key)
    headers = world.headers[case.role]
    kwargs: dict[str, Any] = {"headers": headers}
    if case.files is not None:
        kwargs["data"] = {"files": [(io.BytesIO(content), name) for name, content in case.files.items()]}
        kwargs["content_type"] = "multipart/form-data"
    elif isinstance(case.body, str):
        kwargs["data"] = case.body.replace("{key}", world.business_key)
        kwargs["headers"] = {**headers, **JSON_HEADERS}
    elif case.body is not None:
        body = json.loads(json.dumps(case.body).replace("{key}", world.business_key))
        kwargs["json"] = body
    return world.client.open(path, method=case.method, **kwargs)


@pytest.mark.parametrize("case", [case for _, case in CASES], ids=[name for name, _ in CASES])
def test_bad_input_is_a_clear_4xx_that_changes_nothing(shared_world: World, case: Case) -> None:
    world = shared_world
    before = database_state(world.services)
    response = send(world, case)
    assert response.status_code == case.status, response.get_data(as_text=True)[:500]
    errors = response.json["errors"]
    assert errors and all(isinstance(e.get("message"), str) and e["message"] for e in errors)
    if case.fields is not None:
        assert all(set(e) == {"field", "message"} for e in errors), errors
        assert {e["field"] for e in errors} == case.fields, errors
    assert database_state(world.services) == before


@pytest.mark.parametrize("name", [*JSON_ENDPOINTS, "deploy", "validate"])
def test_a_body_over_the_size_limit_is_a_documented_413_that_changes_nothing(
    shared_world: World, name: str
) -> None:
    world = shared_world
    uploads = {"deploy": ("analyst", "/deployments", None), "validate": ("analyst", "/validations", None)}
    role, path, _ = JSON_ENDPOINTS.get(name) or uploads[name]
    kind = "multipart/form-data; boundary=b" if name in uploads else "application/json"
    before = database_state(world.services)
    response = world.client.post(
        "/api/v1" + path.format(task=world.task_id),
        data=b"x" * (MAX_BODY_BYTES + 1),
        headers={**world.headers[role], "Content-Type": kind},
    )
    assert response.status_code == 413, response.get_data(as_text=True)[:300]  # documented: CheckedClient
    assert response.json["errors"][0]["message"]
    assert database_state(world.services) == before


def test_the_limits_themselves_are_accepted(world: World) -> None:
    """Data exactly ``MAX_DATA_DEPTH`` deep and texts exactly as long as their columns go through."""
    client, staff = world.client, world.headers["staff"]
    key = "K" * limits.BUSINESS_KEY
    data = {**START_DATA, "n": nested(MAX_DATA_DEPTH - 1)}
    started = client.post(
        "/api/v1/process-instances",
        json={"process_key": "order_review", "data": data, "business_key": key},
        headers=staff,
    )
    assert started.status_code == 201 and started.json["business_key"] == key
    detail = client.get(f"/api/v1/process-instances/{started.json['id']}", headers=staff).json
    assert detail["data"]["n"] == nested(MAX_DATA_DEPTH - 1)
    message = {
        "name": "m" * limits.MESSAGE_NAME,
        "business_key": key,
        "payload": nested(MAX_DATA_DEPTH),
        "idempotency_key": "i" * limits.IDEMPOTENCY_KEY,
    }
    kept = client.post("/api/v1/messages", json=message, headers=staff)
    assert kept.status_code == 202 and kept.json == {"delivered": False, "duplicate": False}
    listed = client.get(f"/api/v1/process-instances?business_key={key}&page=3&per_page=200", headers=staff)
    assert listed.status_code == 200 and listed.json["total"] == 1 and listed.json["items"] == []


def test_a_task_is_assigned_only_to_who_may_work_it(world: World) -> None:
    client, manager = world.client, world.headers["manager"]
    path = f"/api/v1/tasks/{world.task_id}/assign"
    refused = client.post(path, json={"user": "wh1"}, headers=manager)
    assert refused.status_code == 400
    assert refused.json == {
        "errors": [{"field": "user", "message": "wh1 may not work tasks of the group customer_service"}]
    }
    assert client.post(path, json={"user": "cs1"}, headers=manager).json["assignee"] == "cs1"
    assert client.post(path, json={"user": "root"}, headers=manager).json["assignee"] == "root"
    assert client.post(path, json={"user": "mia"}, headers=manager).json["assignee"] == "mia"


def test_cli_callers_meet_the_same_rules(services: Services) -> None:
    """Users and tokens come from `rma users add` / `rma tokens create`: the service checks them."""
    before = database_state(services)
    for name, groups in (
        (f"a{NUL}b", []),
        ("u" * (limits.USER_NAME + 1), []),
        ("ok", [f"g{NUL}"]),
        ("ok", ["g" * (limits.GROUP_NAME + 1)]),
    ):
        with pytest.raises(InvalidData) as refused:
            add_user(services, name, groups)
        assert refused.value.items[0]["field"] in ("name", "groups")
    with pytest.raises(NotFound):
        create_token(services, f"a{NUL}b")
    assert database_state(services) == before
    add_user(services, "u" * limits.USER_NAME, ["g" * limits.GROUP_NAME])
    assert create_token(services, "u" * limits.USER_NAME)
