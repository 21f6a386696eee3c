"""Elements the engine cannot run are refused at deploy (file, line, element, message), not at run time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rma_orchestrator.engine.bundle import load_bundle
from rma_orchestrator.errors import InvalidDefinition

DATA = Path(__file__).parent / "data"
SERVICE_CALL = (DATA / "service_call.bpmn").read_text()
NOTIFY = re.compile(r'<bpmn:serviceTask id="notify".*?</bpmn:serviceTask>', re.S)


def errors_of(text: str, name: str = "service_call.bpmn") -> list[dict[str, object]]:
    with pytest.raises(InvalidDefinition) as caught:
        load_bundle({name: text.encode()})
    for item in caught.value.items:
        assert set(item) == {"file", "line", "element", "message", "rule"}
    return caught.value.items


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_service_tasks_are_refused_with_or_without_a_connector() -> None:
    connector, plain = errors_of(SERVICE_CALL)
    assert connector["element"] == "ask_carrier"
    assert connector["line"] == line_of(SERVICE_CALL, 'id="ask_carrier"')
    assert "connector 'http/GetRequest'" in str(connector["message"])
    assert "runs no service connectors" in str(connector["message"])
    assert plain["element"] == "notify"
    assert plain["line"] == line_of(SERVICE_CALL, 'id="notify"')
    assert "names no connector" in str(plain["message"])


@pytest.mark.parametrize("tag", ["sendTask", "receiveTask"])
def test_message_tasks_without_a_message_are_refused(tag: str) -> None:
    text = NOTIFY.sub(
        f'<bpmn:{tag} id="notify"><bpmn:incoming>s2</bpmn:incoming><bpmn:outgoing>s3</bpmn:outgoing>'
        f"</bpmn:{tag}>",
        SERVICE_CALL,
    )
    errors = [e for e in errors_of(text) if e["element"] == "notify"]
    assert len(errors) == 1
    assert f"{tag} names no message" in str(errors[0]["message"])
    assert "messageRef" in str(errors[0]["message"])


def test_a_script_in_another_language_is_refused() -> None:
    text = NOTIFY.sub(
        '<bpmn:scriptTask id="notify" scriptFormat="groovy"><bpmn:incoming>s2</bpmn:incoming>'
        "<bpmn:outgoing>s3</bpmn:outgoing><bpmn:script>notified = true</bpmn:script></bpmn:scriptTask>",
        SERVICE_CALL,
    )
    errors = [e for e in errors_of(text) if e["element"] == "notify"]
    assert [str(e["message"]).split(";")[0] for e in errors] == ["Script format 'groovy' is not supported"]


def test_python_script_formats_are_accepted() -> None:
    text = NOTIFY.sub(
        '<bpmn:scriptTask id="notify" scriptFormat="text/x-python"><bpmn:incoming>s2</bpmn:incoming>'
        "<bpmn:outgoing>s3</bpmn:outgoing><bpmn:script>notified = True</bpmn:script></bpmn:scriptTask>",
        SERVICE_CALL,
    )
    assert [e["element"] for e in errors_of(text)] == ["ask_carrier"]
