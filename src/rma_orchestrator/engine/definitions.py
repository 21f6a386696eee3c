"""Turn an uploaded set of BPMN, DMN and JSON-Schema form files into validated process definitions.

Every problem in every file is collected and raised once as ``InvalidDefinition``; SpiffWorkflow's own
parser runs last, only on processes whose files passed the static checks (``bpmn_checks``,
``dmn_checks``), because a process whose parse failed half-way stays cached in the parser as a
broken spec.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jsonschema
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import VALIDATOR as SPIFF_BPMN_VALIDATOR
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from ..errors import InvalidDefinition
from .bpmn_checks import check_bpmn
from .bpmn_xml import BPMN_NS, FORM_PROPERTY, SPIFF_NS, extension, properties
from .checker import Checker
from .decisions import harden_decisions
from .dmn_checks import check_dmn

DMN_NAMESPACES = frozenset(
    {
        *DMN_SCHEMAS,
        "https://www.omg.org/spec/DMN/20211108/MODEL/",
        "https://www.omg.org/spec/DMN/20230324/MODEL/",
    }
)
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_MAX_SCHEMA_ERRORS = 20
_SCHEMA_LOCK = threading.Lock()  # an lxml XMLSchema keeps one error_log per schema object


@dataclass(frozen=True)
class ProcessDefinition:
    """One executable process, ready to instantiate, with every file it depends on."""

    key: str
    name: str
    file: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    files: frozenset[str]
    start_form: str | None
    forms: dict[str, dict]


@dataclass(frozen=True)
class Bundle:
    """The executable processes defined by the uploaded files, and every uploaded or known form."""

    processes: dict[str, ProcessDefinition]
    forms: dict[str, dict]


def spec_properties(task_spec: Any) -> dict[str, str]:
    """The spiffworkflow:properties of a task spec as a dict (empty for specs without extensions)."""
    extensions = getattr(task_spec, "extensions", None) or {}
    return dict(extensions.get("properties") or {})


def task_form(task_spec: Any) -> str | None:
    """formJsonSchemaFilename of a user task or start event spec (from spiffworkflow:property), else None."""
    return spec_properties(task_spec).get(FORM_PROPERTY)


@dataclass
class _Source:
    """One file: its parsed content, whether its errors are reported, and whether it parsed cleanly."""

    name: str
    kind: str
    report: bool
    root: Any = None
    schema: dict | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    checked: bool = False

    def error(self, message: str, line: int | None = None, element: str | None = None) -> None:
        self.errors.append({"file": self.name, "line": line, "element": element, "message": message})


@dataclass
class _Process:
    file: str
    executable: bool
    calls: set[str]
    decisions: set[str]
    forms: set[str]


def load_bundle(files: dict[str, bytes], known: dict[str, bytes] | None = None) -> Bundle:
    """Parse and validate a set of files; raise InvalidDefinition listing every error.

    ``known`` holds previously deployed files: they resolve references (called processes, decisions,
    forms) but their own problems are never reported. A name in ``files`` replaces the same name in
    ``known``, and a process id defined in ``files`` wins over the same id in a known file.
    ``Bundle.processes`` holds the processes defined in ``files`` plus the known processes whose
    closure includes an uploaded file (so callers can re-version them); a known process that no
    longer builds is left out silently.
    """
    sources = [_read(name, raw, report=True) for name, raw in files.items()]
    sources += [_read(name, raw, report=False) for name, raw in (known or {}).items() if name not in files]
    by_name = {src.name: src for src in sources}
    processes, decisions = _index(sources)
    forms = {src.name: src.schema for src in sources if src.kind == "json" and src.schema is not None}
    checker = Checker(
        "",
        {key: proc.executable for key, proc in processes.items()},
        set(decisions),
        {src.name for src in sources if src.kind == "json"},
    )
    for src in sources:
        if src.report:
            _check(checker, src)
    parser = _parser(sources, processes)
    definitions: dict[str, ProcessDefinition] = {}
    broken: set[str] = set()
    for key, proc in processes.items():
        src = by_name[proc.file]
        if not proc.executable or src.kind != "bpmn":
            continue
        called = _closure(key, processes)
        needed = {processes[p].file for p in called} | {f for p in called for f in processes[p].forms}
        needed |= {decisions[d] for p in called for d in processes[p].decisions if d in decisions}
        if not src.report:
            if not needed & files.keys():
                continue
            _check(checker, src)
        blocked = [by_name[name] for name in sorted(needed) if name in by_name and by_name[name].errors]
        if blocked:
            if src.report and not any(other.report for other in blocked):
                first = blocked[0]
                src.error(
                    f"Process '{key}' depends on the deployed file {first.name}, which cannot be used: "
                    f"{first.errors[0]['message']}",
                    None,
                    key,
                )
            continue
        definition = _define(parser, key, src, called, needed, forms, by_name, broken)
        if definition is not None:
            definitions[key] = definition
    errors = [err for src in sources if src.report for err in src.errors]
    if errors:
        unique = list({(e["file"], e["line"], e["element"], e["message"]): e for e in errors}.values())
        order = {src.name: index for index, src in enumerate(sources)}
        raise InvalidDefinition(sorted(unique, key=lambda e: (order.get(e["file"], -1), e["line"] or 0)))
    return Bundle(processes=definitions, forms=forms)


def _check(checker: Checker, src: _Source) -> None:
    """Run the static checks on a cleanly read XML file, once."""
    if src.root is None or src.errors or src.checked:
        return
    src.checked = True
    checker.file, checker.errors = src.name, src.errors
    if src.kind == "bpmn":
        check_bpmn(checker, src.root)
    else:
        check_dmn(checker, src.root)


def _read(name: str, raw: bytes, report: bool) -> _Source:
    """Decode and parse one file by its extension (XML, XSD or JSON Schema errors recorded, not raised)."""
    kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    src = _Source(name, kind, report)
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
    try:
        root = etree.fromstring(raw, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
        src.error(f"The file is not well-formed XML: {exc.msg}.", line)
        return src
    expected = {BPMN_NS} if kind == "bpmn" else DMN_NAMESPACES
    if (
        not isinstance(root.tag, str)
        or etree.QName(root).localname != "definitions"
        or etree.QName(root).namespace not in expected
    ):
        label = "a BPMN 2.0" if kind == "bpmn" else "a DMN"
        src.error(
            f"The root element is {root.tag}, so this is not {label} definitions file.", root.sourceline
        )
        return src
    src.root = root
    if report:
        _validate_xml(src)
    return src


def _read_form(src: _Source, text: str) -> None:
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        src.error(f"The form file is not valid JSON: {exc.msg} (column {exc.colno}).", exc.lineno)
        return
    if not isinstance(schema, dict):
        src.error("A form file must hold a JSON Schema object ({...}).", 1)
        return
    validator = jsonschema.Draft202012Validator(jsonschema.Draft202012Validator.META_SCHEMA)
    problems = sorted(validator.iter_errors(schema), key=lambda e: list(e.absolute_path))
    for problem in problems[:_MAX_SCHEMA_ERRORS]:
        where = "/".join(str(part) for part in problem.absolute_path) or "(root)"
        src.error(f"Not a valid JSON Schema (draft 2020-12) at {where}: {problem.message}.")
    if not problems:
        src.schema = schema


def _validate_xml(src: _Source) -> None:
    """XSD-validate a BPMN (with the spiffworkflow extension schema) or DMN file, keeping every error."""
    root = src.root
    if src.kind == "bpmn":
        SPIFF_BPMN_VALIDATOR.preprocess(root)  # the parser's own fix-up of bpmn-js correlation markup
        schema = SPIFF_BPMN_VALIDATOR.validator
    else:
        namespaces = {**root.nsmap}
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


def _element_at(root: Any, path: str | None) -> str | None:
    """Id of the element (or its nearest ancestor with one) at an XSD error's XPath."""
    try:
        found = root.xpath(path, namespaces={k: v for k, v in root.nsmap.items() if k}) if path else []
    except (etree.XPathError, TypeError):
        return None
    node = found[0] if found and isinstance(found[0], etree._Element) else None
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node.get("id") if node is not None else None


def _index(sources: list[_Source]) -> tuple[dict[str, _Process], dict[str, str]]:
    """Process ids and decision ids of all XML files; duplicates in reported files are errors."""
    processes: dict[str, _Process] = {}
    decisions: dict[str, str] = {}
    for src in sorted((s for s in sources if s.root is not None), key=lambda s: not s.report):
        if src.kind == "dmn":
            for decision in src.root.iter(f"{{{etree.QName(src.root).namespace}}}decision"):
                _claim(decisions, decision.get("id"), src, decision, "Decision")
            continue
        for node in src.root.iterfind(f"{{{BPMN_NS}}}process"):
            key = node.get("id")
            if _claim(processes, key, src, node, "Process"):
                processes[key] = _Process(
                    file=src.name,
                    executable=node.get("isExecutable", "true") == "true",
                    calls={c.get("calledElement") for c in node.iter(f"{{{BPMN_NS}}}callActivity")} - {None},
                    decisions={
                        ref.text
                        for task in node.iter(f"{{{BPMN_NS}}}businessRuleTask")
                        for ref in extension(task, "calledDecisionId")
                        if ref.text
                    },
                    forms={
                        form
                        for tag in ("userTask", "startEvent")
                        for task in node.iter(f"{{{BPMN_NS}}}{tag}")
                        if (form := properties(task).get(FORM_PROPERTY))
                    },
                )
    return processes, decisions


def _claim(index: dict[str, Any], key: str | None, src: _Source, node: Any, label: str) -> bool:
    """Register ``key`` for ``src``; a reported duplicate is an error, a known one is shadowed."""
    if not key:
        return False
    owner = index.get(key)
    if owner is None:
        index[key] = src.name
        return True
    if src.report:
        other = owner if isinstance(owner, str) else owner.file
        src.error(f"{label} id '{key}' is also defined in {other}; ids must be unique.", node.sourceline, key)
    return False


def _closure(key: str, processes: dict[str, _Process]) -> set[str]:
    """``key`` and every process it calls, directly or not, that is defined somewhere."""
    seen, todo = {key}, [key]
    while todo:
        for called in processes[todo.pop()].calls:
            if called in processes and called not in seen:
                seen.add(called)
                todo.append(called)
    return seen


def _parser(sources: list[_Source], processes: dict[str, _Process]) -> SpiffBpmnParser:
    """A SpiffBpmnParser fed every cleanly read file (XSD validation was already done, with all errors)."""
    parser = SpiffBpmnParser()
    # DMN: known first so that uploaded decisions overwrite them; BPMN: only the winning process elements.
    for src in sorted(sources, key=lambda s: s.report):
        if src.root is None or src.errors or src.kind not in ("dmn", "bpmn"):
            continue
        if src.kind == "bpmn":
            for node in src.root.findall(f"{{{BPMN_NS}}}process"):
                if processes.get(node.get("id")) is not None and processes[node.get("id")].file != src.name:
                    src.root.remove(node)
        try:
            if src.kind == "dmn":
                parser.add_dmn_xml(src.root, filename=src.name)
            else:
                parser.add_bpmn_xml(src.root, filename=src.name)
        except Exception as exc:  # noqa: BLE001 - SpiffWorkflow wraps little; report whatever it raised
            src.errors.append(_spiff_error(exc, src))
    return parser


def _define(
    parser: SpiffBpmnParser,
    key: str,
    src: _Source,
    called: set[str],
    needed: set[str],
    forms: dict[str, dict],
    by_name: dict[str, _Source],
    broken: set[str],
) -> ProcessDefinition | None:
    """Build one definition through SpiffWorkflow, recording its parse errors on the failing file."""
    for process_id in sorted(called, key=lambda p: p != key):
        process_parser = parser.get_process_parser(process_id)
        owner = by_name.get(process_parser.filename, src) if process_parser else src
        if process_id not in broken:
            try:
                parser.get_spec(process_id)
                continue
            except Exception as exc:  # noqa: BLE001 - SpiffWorkflow wraps little; report whatever it raised
                broken.add(process_id)
                owner.errors.append(_spiff_error(exc, owner))
        if not owner.report:
            src.error(
                f"Called process '{process_id}' (deployed file {owner.name}) cannot be parsed: "
                f"{owner.errors[-1]['message']}",
                None,
                key,
            )
        return None
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except Exception as exc:  # noqa: BLE001
        src.errors.append(_spiff_error(exc, src))
        return None
    harden_decisions(spec, *subprocess_specs.values())
    return ProcessDefinition(
        key=key,
        name=spec.description or key,
        file=src.name,
        spec=spec,
        subprocess_specs=subprocess_specs,
        files=frozenset(name for name in needed if name in by_name),
        start_form=_start_form(spec),
        forms={name: forms[name] for name in sorted(needed) if name in forms},
    )


def _start_form(spec: BpmnProcessSpec) -> str | None:
    """The form of the top-level start event, preferring a plain (none) start event."""
    starts = [ts for ts in spec.task_specs.values() if isinstance(ts, StartEvent) and task_form(ts)]
    plain = [ts for ts in starts if isinstance(ts.event_definition, NoneEventDefinition)]
    return task_form((plain or starts)[0]) if starts else None


def _spiff_error(exc: Exception, src: _Source) -> dict[str, Any]:
    """Map a SpiffWorkflow parse exception to ``{file, line, element, message}``."""
    if not isinstance(exc, ValidationException):
        return {
            "file": src.name,
            "line": None,
            "element": None,
            "message": f"SpiffWorkflow could not parse this file: {type(exc).__name__}: {exc}",
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
    }
