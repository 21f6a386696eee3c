"""Runaway scripts end as incidents while a real server keeps answering others.

Each of these scripts would hold the interpreter for minutes if it ran; the bounds below are
generous upper bounds for a busy machine, still far below what a frozen process would take.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from openapi_check import check_body
from support import ANALYST, DIVIDE_FILE
from werkzeug.serving import make_server

from rma_orchestrator.service.context import Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.web import create_app

BAD_SCRIPTS = {
    "endless_loop": "while True: pass",
    "huge_power": "share = 10 ** 10 ** 8",
    "huge_string": "share = 'x' * 10 ** 10",
    "huge_sum": "share = sum(range(10 ** 10))",
}


@pytest.fixture
def app(services: Services) -> Flask:
    return create_app(services=services)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _call(app: Flask, url: str, token: str, body: dict[str, object] | None = None) -> dict[str, Any]:
    """One API call over HTTP; the answer is checked against openapi.json like every API answer."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method="POST" if body is not None else "GET",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.loads(response.read())
        check_body(app, request.method, urlsplit(url).path, response.status, answer)
    return answer


@pytest.mark.parametrize("name", sorted(BAD_SCRIPTS))
def test_bad_script_is_an_incident_and_the_server_keeps_answering(
    services: Services, app: Flask, live_server: str, auth: Callable[[str], dict[str, str]], name: str
) -> None:
    source = DIVIDE_FILE.read_bytes().replace(b"share = total / parts", BAD_SCRIPTS[name].encode())
    deploy(services, {"divide.bpmn": source}, ANALYST)
    token = auth("staff")["Authorization"].split()[1]
    result: dict[str, object] = {}

    def start() -> None:
        began = time.monotonic()
        result.update(
            _call(
                app, f"{live_server}/api/v1/process-instances", token, {"process_key": "divide", "data": {}}
            )
        )
        result["seconds"] = time.monotonic() - began

    starter = threading.Thread(target=start)
    starter.start()
    slowest = 0.0
    while starter.is_alive():
        began = time.monotonic()
        with urllib.request.urlopen(f"{live_server}/healthz", timeout=5) as response:
            assert response.status == 200
        slowest = max(slowest, time.monotonic() - began)
        time.sleep(0.05)
    starter.join()
    assert result["status"] == "error"
    assert result["seconds"] < 15.0
    assert slowest < 5.0
    with urllib.request.urlopen(
        urllib.request.Request(
            f"{live_server}/api/v1/process-instances/{result['id']}",
            headers={"Authorization": f"Bearer {token}"},
        ),
        timeout=30,
    ) as response:
        (incident,) = json.loads(response.read())["incidents"]
    assert incident["element_id"] == "compute" and incident["message"]
