"""BPMN and DMN uploads are parsed with no DTD, no entity expansion and no network: a DOCTYPE is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from local_http import Recorder, recording_server
from lxml import etree

from rma_orchestrator.engine import parse
from rma_orchestrator.engine.bundle import load_bundle
from rma_orchestrator.errors import InvalidDefinition

DATA = Path(__file__).parent / "data"
PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _doctypes(server: Recorder, secret: Path) -> dict[str, str]:
    a = "&a;" * 10
    return {
        "billion laughs": (
            f'<!DOCTYPE bpmn:definitions [<!ENTITY a "lol"><!ENTITY b "{a}">'
            f'<!ENTITY c "{"&b;" * 10}"><!ENTITY d "{"&c;" * 10}"><!ENTITY e "{"&d;" * 10}">]>'
        ),
        "file entity": '<!DOCTYPE bpmn:definitions [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
        "local file entity": f'<!DOCTYPE bpmn:definitions [<!ENTITY e SYSTEM "{secret.as_uri()}">]>',
        "http entity": f'<!DOCTYPE bpmn:definitions [<!ENTITY e SYSTEM "{server.base}/entity">]>',
        "parameter entity": (
            f'<!DOCTYPE bpmn:definitions [<!ENTITY % p SYSTEM "{server.base}/param"> %p;<!ENTITY e "x">]>'
        ),
        "external DTD": f'<!DOCTYPE bpmn:definitions SYSTEM "{server.base}/bpmn.dtd">',
    }


def _with_doctype(name: str, doctype: str) -> bytes:
    """A good file of the unit data with a DOCTYPE after its XML declaration and ``&e;`` in its text."""
    text = (DATA / name).read_text(encoding="utf-8")
    assert text.startswith(PROLOG)
    body = text[len(PROLOG) :]
    opening = '<bpmn:process id="minimal" name="Minimal" isExecutable="true">'
    assert opening in body
    body = body.replace(opening, opening + "<bpmn:documentation>&e;</bpmn:documentation>", 1)
    return (PROLOG + "<!-- a modeler's comment -->\n" + doctype + "\n" + body).encode()


@pytest.mark.parametrize(
    "kind",
    ["billion laughs", "file entity", "local file entity", "http entity", "parameter entity", "external DTD"],
)
def test_a_doctype_is_refused_naming_the_file_and_nothing_is_fetched(kind: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    with recording_server() as server:
        files = {"minimal.bpmn": _with_doctype("minimal.bpmn", _doctypes(server, secret)[kind])}
        with pytest.raises(InvalidDefinition) as caught:
            load_bundle(files)
        assert server.requests == []
    (error,) = caught.value.items
    assert error["file"] == "minimal.bpmn" and error["line"] == 3
    assert "DOCTYPE" in error["message"] and "TOP-SECRET" not in str(error)


def test_a_dmn_doctype_is_refused_too() -> None:
    text = (DATA / "minimal.dmn").read_text(encoding="utf-8")
    doctype = '<!DOCTYPE definitions [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
    start = text.index("?>") + 2 if text.startswith("<?xml") else 0
    files = {"minimal.dmn": (text[:start] + "\n" + doctype + text[start:]).encode()}
    with pytest.raises(InvalidDefinition) as caught:
        load_bundle(files)
    (error,) = caught.value.items
    assert error["file"] == "minimal.dmn" and "DOCTYPE" in error["message"]


def test_the_parser_itself_expands_and_fetches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind the prolog scan: even a DOCTYPE that reached lxml loads nothing and is still refused."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    monkeypatch.setattr(parse, "_doctype_offset", lambda text: None)
    with recording_server() as server:
        for kind, doctype in _doctypes(server, secret).items():
            raw = _with_doctype("minimal.bpmn", doctype)
            try:
                text = etree.tostring(etree.fromstring(raw, parse._XML_PARSER), encoding="unicode")
            except etree.XMLSyntaxError as exc:  # an entity the parser may not know (external DTD)
                text = str(exc)
            assert "TOP-SECRET" not in text and "lollol" not in text and "root:" not in text, kind
            with pytest.raises(InvalidDefinition) as caught:
                load_bundle({"minimal.bpmn": raw})
            (error,) = caught.value.items
            assert error["file"] == "minimal.bpmn", kind
            assert "DOCTYPE" in error["message"] or "not well-formed" in error["message"], kind
        assert server.requests == []


def test_the_prolog_scan() -> None:
    assert parse._doctype_offset('<?xml version="1.0"?>\n<!-- c --> <!DOCTYPE x><x/>') == 33
    assert parse._doctype_offset("<x><![CDATA[<!DOCTYPE x>]]></x>") is None
    assert parse._doctype_offset("<!-- <!DOCTYPE x> --><x/>") is None
    assert parse._doctype_offset("<!-- unterminated") is None


def test_a_declared_encoding_cannot_hide_a_doctype() -> None:
    raw = b'<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>'
    with pytest.raises(InvalidDefinition) as caught:
        load_bundle({"x.bpmn": raw})
    assert "DOCTYPE" in caught.value.items[0]["message"]
