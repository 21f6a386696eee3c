"""Reading one uploaded file: decode it, parse its XML or JSON, and validate it against its schema.

Problems are recorded on the ``SourceFile`` as ``{file, line, element, message}``, never raised,
so a deploy reports every file's errors at once; malformed XML never escapes as a raw lxml error.
"""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jsonschema
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import VALIDATOR as SPIFF_BPMN_VALIDATOR

from .bpmn_xml import BPMN_NS, SPIFF_NS, Element
from .form_schema import REGISTRY as FORM_REGISTRY
from .form_schema import form_problems
from .form_subset import subset_problems
from .json_lines import key_lines, line_of

DMN_NAMESPACES = frozenset(
    {
        *DMN_SCHEMAS,
        "https://www.omg.org/spec/DMN/20211108/MODEL/",
        "https://www.omg.org/spec/DMN/20230324/MODEL/",
    }
)
# Uploads are untrusted: no entity expansion, no DTD loading, no network, and the bytes are read as the
# UTF-8 they were checked to be (a declared encoding cannot make the parser see another document).
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, encoding="utf-8"
)
_DOCTYPE = "<!DOCTYPE"
_MAX_SCHEMA_ERRORS = 20
_SCHEMA_LOCK = threading.Lock()  # an lxml XMLSchema keeps one error_log per schema object


@dataclass
class SourceFile:
    """One file: its parsed content, whether its errors are reported, and whether it parsed cleanly."""

    name: str
    kind: str
    report: bool
    root: Element | None = None
    schema: dict[str, Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    checked: bool = False

    def error(
        self, message: str, line: int | None = None, element: str | None = None, rule: str = "deploy"
    ) -> None:
        self.errors.append(
            {"file": self.name, "line": line, "element": element, "message": message, "rule": rule}
        )


def read_source(name: str, raw: bytes, report: bool) -> SourceFile:
    """Decode and parse one file by its extension (XML, XSD or JSON Schema errors recorded, not raised)."""
    kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    src = SourceFile(name, kind, report)
    if kind not in ("bpmn", "dmn", "json"):
        src.error("Unsupported file type; upload .bpmn, .dmn and .json (JSON Schema form) files only.")
        return src
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        src.error(f"The file is not valid UTF-8 (byte {exc.start}); save it with UTF-8 encoding.", line)
        return src
    if kind == "json":
        _read_form(src, text)
        return src
    doctype = _doctype_offset(text)
    if doctype is not None:
        _refuse_doctype(src, text[:doctype].count("\n") + 1)
        return src
    try:
        root = etree.fromstring(raw, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        where = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
        src.error(f"The file is not well-formed XML: {exc.msg}.", where)
        return src
    if root.getroottree().docinfo.doctype:  # the prolog scan missed it: refuse all the same
        _refuse_doctype(src, None)
        return src
    expected = {BPMN_NS} if kind == "bpmn" else DMN_NAMESPACES
    if (
        not isinstance(root.tag, str)
        or etree.QName(root).localname != "definitions"
        or etree.QName(root).namespace not in expected
    ):
        label = "a BPMN 2.0" if kind == "bpmn" else "a DMN"
        src.error(
            f"The root element is {root.tag!s}, so this is not {label} definitions file.", root.sourceline
        )
        return src
    src.root = root
    if report:
        _validate_xml(src, root)
    return src


def _doctype_offset(text: str) -> int | None:
    """Where a DOCTYPE declaration starts in the prolog (before the root element), if there is one.

    Only the XML declaration, processing instructions, comments and white space may precede it.
    """
    at = 0
    while True:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        if text.startswith(_DOCTYPE, at):
            return at
        end = None
        if text.startswith("<?", at):
            end = text.find("?>", at + 2)
            end = end + 2 if end >= 0 else None
        elif text.startswith("<!--", at):
            end = text.find("-->", at + 4)
            end = end + 3 if end >= 0 else None
        if end is None:
            return None
        at = end


def _refuse_doctype(src: SourceFile, line: int | None) -> None:
    src.error(
        "The file has a DOCTYPE declaration, which is not accepted: a DTD can declare entities that "
        "expand without bound or read files and URLs. BPMN and DMN files need none; remove it.",
        line,
    )


_META_VALIDATOR = jsonschema.Draft202012Validator(
    jsonschema.Draft202012Validator.META_SCHEMA, registry=FORM_REGISTRY
)


def _read_form(src: SourceFile, text: str) -> None:
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        src.error(f"The form file is not valid JSON: {exc.msg} (column {exc.colno}).", exc.lineno)
        return
    if not isinstance(schema, dict):
        src.error("A form file must hold a JSON Schema object ({...}).", 1)
        return
    problems = _schema_problems(text)
    for where, message in problems:
        src.error(f"Not a valid JSON Schema (draft 2020-12) at {where}: {message}.")
    if problems:
        return
    refused = form_problems(text)
    for message in refused:
        src.error(message)
    if refused:
        return
    unshown = _subset_problems(text)
    for line, where, message in unshown:
        src.error(f"At {where}: {message}", line, where, rule="form-subset")
    if not unshown:
        src.schema = schema


@functools.lru_cache(maxsize=1024)
def _subset_problems(text: str) -> tuple[tuple[int | None, str, str], ...]:
    """(line, where, message) of what a form page could not show, by the form's text."""
    problems = subset_problems(json.loads(text))
    if not problems:
        return ()
    lines = key_lines(text)
    return tuple(
        (line_of(lines, path), "/".join(str(part) for part in path) or "(root)", message)
        for path, message in problems
    )


@functools.lru_cache(maxsize=1024)
def _schema_problems(text: str) -> tuple[tuple[str, str], ...]:
    """(where, message) of the first errors of a form against the meta-schema, by the form's text.

    Every deploy checks the latest version of every form again; the same text has the same problems.
    """
    schema = json.loads(text)
    problems = sorted(_META_VALIDATOR.iter_errors(schema), key=lambda e: list(e.absolute_path))
    return tuple(
        ("/".join(str(part) for part in problem.absolute_path) or "(root)", problem.message)
        for problem in problems[:_MAX_SCHEMA_ERRORS]
    )


def _validate_xml(src: SourceFile, root: Element) -> None:
    """XSD-validate a BPMN (with the spiffworkflow extension schema) or DMN file, keeping every error."""
    if src.kind == "bpmn":
        SPIFF_BPMN_VALIDATOR.preprocess(root)  # the parser's own fix-up of bpmn-js correlation markup
        schema = SPIFF_BPMN_VALIDATOR.validator
    else:
        namespaces: dict[str | None, str | None] = {**root.nsmap}
        namespaces["dmn"] = namespaces.pop(None, namespaces.get("dmn"))
        if namespaces["dmn"] != etree.QName(root).namespace:
            src.error(
                'Declare the DMN namespace as the default namespace (xmlns="...") or with the prefix '
                "dmn; the DMN reader looks elements up as dmn:*.",
                root.sourceline,
            )
            return
        xsd = DMN_SCHEMAS.get(namespaces["dmn"])
        if xsd is None:
            return
        schema = _dmn_validator(xsd).validator
    with _SCHEMA_LOCK:
        entries = [] if schema.validate(root) else list(schema.error_log)
    for entry in entries[:_MAX_SCHEMA_ERRORS]:
        message = entry.message.replace(f"{{{BPMN_NS}}}", "bpmn:")
        message = message.replace(f"{{{SPIFF_NS}}}", "spiffworkflow:")
        message = message.replace(f"{{{etree.QName(root).namespace}}}", "")
        src.error(f"Schema violation: {message}", entry.line, _element_at(root, entry.path))
    if len(entries) > _MAX_SCHEMA_ERRORS:
        src.error(f"... and {len(entries) - _MAX_SCHEMA_ERRORS} more schema violations.")


@cache
def _dmn_validator(xsd: str) -> BpmnValidator:
    return BpmnValidator(xsd)


def _element_at(root: Element, path: str | None) -> str | None:
    """Id of the element (or its nearest ancestor with one) at an XSD error's XPath."""
    try:
        found = root.xpath(path, namespaces={k: v for k, v in root.nsmap.items() if k}) if path else []
    except (etree.XPathError, TypeError):
        return None
    node = found[0] if found and isinstance(found[0], etree._Element) else None
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node.get("id") if node is not None else None


def spiff_error(exc: Exception, src: SourceFile) -> dict[str, Any]:
    """Map a SpiffWorkflow parse exception to ``{file, line, element, message}``."""
    if not isinstance(exc, ValidationException):
        return {
            "file": src.name,
            "line": None,
            "element": None,
            "message": f"SpiffWorkflow could not parse this file: {type(exc).__name__}: {exc}",
            "rule": "deploy",
        }
    element = exc.id or None
    line = exc.line_number if isinstance(exc.line_number, int) else None
    if line is None and element and src.root is not None:
        found = src.root.xpath("//*[@id=$id]", id=element)
        line = found[0].sourceline if found else None
    message = exc.args[0] if exc.args else str(exc)
    return {
        "file": src.name,
        "line": line,
        "element": element,
        "message": f"SpiffWorkflow rejected this definition: {message}",
        "rule": "deploy",
    }
