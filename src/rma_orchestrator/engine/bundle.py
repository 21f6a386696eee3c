"""Turn an uploaded set of BPMN, DMN and JSON-Schema form files into validated process definitions.

Each file is read by ``parse``, checked statically (``bpmn_checks``, ``dmn_checks``) and the
processes are then built through SpiffWorkflow, each from the files of its own closure only (so
an embedded subprocess may share its id with a process elsewhere). Every
problem in every file is collected and raised once as ``InvalidDefinition``; SpiffWorkflow's parser
runs last, only on processes whose files passed the static checks, because a process whose parse
failed half-way stays cached in the parser as a broken spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema.protocols import Validator
from lxml import etree
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from ..errors import InvalidDefinition
from .bpmn_checks import check_bpmn
from .bpmn_xml import BPMN_NS, FORM_PROPERTY, Element, extension, properties
from .checker import Checker, TextLimits
from .decisions import harden_decisions
from .dmn_checks import check_dmn
from .form_schema import form_validator
from .lanes import GroupLabels, assign_groups, check_lanes
from .lint_checks import lint_bpmn, possible_values
from .multiple_events import harden_multiple_events
from .parse import SourceFile, read_source, spiff_error
from .spec_extensions import task_form
from .timer_evaluation import TimerEvaluator


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
    forms: dict[str, dict[str, Any]]
    _validators: dict[str, Validator] = field(default_factory=dict, compare=False, repr=False)

    def form_validator(self, form: str) -> Validator:
        """The validator of one of this version's forms, built on first use and kept with the version."""
        validator = self._validators.get(form)
        if validator is None:
            validator = self._validators[form] = form_validator(self.forms[form])
        return validator


@dataclass(frozen=True)
class Bundle:
    """The executable processes defined by the uploaded files, and every uploaded or known form."""

    processes: dict[str, ProcessDefinition]
    forms: dict[str, dict[str, Any]]


@dataclass
class _Process:
    file: str
    executable: bool
    calls: set[str]
    decisions: set[str]
    forms: set[str]


def load_bundle(
    files: dict[str, bytes],
    known: dict[str, bytes] | None = None,
    limits: TextLimits | None = None,
    groups: GroupLabels | None = None,
    warnings: list[dict[str, Any]] | None = None,
    evaluate_timers: TimerEvaluator | None = None,
) -> Bundle:
    """Parse and validate a set of files; raise InvalidDefinition listing every error.

    ``known`` holds previously deployed files: they resolve references (called processes, decisions,
    forms) but their own problems are never reported. A name in ``files`` replaces the same name in
    ``known``, and a process id defined in ``files`` wins over the same id in a known file.
    ``limits`` bounds the texts a case records (element ids, task names, lanes...); None checks none.
    ``groups`` (group -> labels) are the groups lanes may stand for (``lanes``); None checks no lane.
    ``Bundle.processes`` holds the processes defined in ``files`` plus the known processes whose
    closure includes an uploaded file (so callers can re-version them); a known process that no
    longer builds is left out silently. ``warnings``, when given, also gets the lint findings
    (``lint_checks``) of the uploaded files; a deploy passes None and runs no lint rule.
    ``evaluate_timers`` evaluates the lint's timer expressions (None: in this process).
    """
    sources = [read_source(name, raw, report=True) for name, raw in files.items()]
    sources += [
        read_source(name, raw, report=False) for name, raw in (known or {}).items() if name not in files
    ]
    by_name = {src.name: src for src in sources}
    processes, decisions = _index(sources)
    forms = {src.name: src.schema for src in sources if src.kind == "json" and src.schema is not None}
    checker = Checker(
        "",
        {key: proc.executable for key, proc in processes.items()},
        set(decisions),
        {src.name for src in sources if src.kind == "json"},
        limits=limits,
        groups=groups,
    )
    if warnings is not None:
        checker.values = possible_values(
            (src.root for src in sources if src.root is not None), forms.values()
        )
    for src in sources:
        if src.report:
            _check(checker, src)
            if warnings is not None and src.kind == "bpmn" and src.root is not None and src.checked:
                checker.file, checker.warnings = src.name, warnings
                lint_bpmn(checker, src.root, evaluate_timers)
    _drop_shadowed(sources, processes)
    parsers: dict[frozenset[str], SpiffBpmnParser] = {}
    definitions: dict[str, ProcessDefinition] = {}
    broken: set[tuple[str, str]] = set()
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
        scope = frozenset(name for name in needed if name in by_name)
        parser = parsers.get(scope)
        if parser is None:
            parser = parsers[scope] = _parser([by_name[name] for name in sorted(scope)])
        blocked = [by_name[name] for name in sorted(scope) if by_name[name].errors]
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


def validate_bundle(
    files: dict[str, bytes],
    known: dict[str, bytes] | None = None,
    limits: TextLimits | None = None,
    groups: GroupLabels | None = None,
    evaluate_timers: TimerEvaluator | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(errors, warnings) of ``files``: what refuses their deploy, and what the lint rules warn about.

    ``evaluate_timers`` evaluates the lint's timer expressions (None: in this process).
    """
    warnings: list[dict[str, Any]] = []
    try:
        load_bundle(files, known, limits, groups, warnings, evaluate_timers)
        errors: list[dict[str, Any]] = []
    except InvalidDefinition as error:
        errors = list(error.items)
    order = {name: index for index, name in enumerate(files)}
    warnings.sort(key=lambda w: (order.get(w["file"], -1), w["line"] or 0))
    return errors, warnings


def _check(checker: Checker, src: SourceFile) -> None:
    """Run the static checks on a cleanly read XML file, once."""
    if src.root is None or src.errors or src.checked:
        return
    src.checked = True
    checker.file, checker.errors = src.name, src.errors
    if src.kind == "bpmn":
        check_bpmn(checker, src.root)
        if checker.groups is not None:
            check_lanes(checker, src.root, checker.groups)
    else:
        check_dmn(checker, src.root)


def _index(sources: list[SourceFile]) -> tuple[dict[str, _Process], dict[str, str]]:
    """Process ids and decision ids of all XML files; duplicates in reported files are errors."""
    processes: dict[str, _Process] = {}
    decisions: dict[str, str] = {}
    process_files: dict[str, str] = {}
    for src in sorted(sources, key=lambda s: not s.report):
        root = src.root
        if root is None:
            continue
        if src.kind == "dmn":
            for decision in root.iter(f"{{{etree.QName(root).namespace}}}decision"):
                key = decision.get("id")
                if key and _claim(decisions, key, src, decision, "Decision"):
                    decisions[key] = src.name
            continue
        for node in root.iterfind(f"{{{BPMN_NS}}}process"):
            key = node.get("id")
            if key and _claim(process_files, key, src, node, "Process"):
                process_files[key] = src.name
                processes[key] = _Process(
                    file=src.name,
                    executable=node.get("isExecutable", "true") == "true",
                    calls={
                        called
                        for c in node.iter(f"{{{BPMN_NS}}}callActivity")
                        if (called := c.get("calledElement")) is not None
                    },
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


def _claim(owners: Mapping[str, str], key: str, src: SourceFile, node: Element, label: str) -> bool:
    """Whether ``src`` may define ``key``; a reported duplicate is an error, a known one is shadowed."""
    other = owners.get(key)
    if other is None:
        return True
    if src.report:
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


def _drop_shadowed(sources: list[SourceFile], processes: dict[str, _Process]) -> None:
    """Remove from each clean BPMN file the process elements whose id another file wins."""
    for src in sources:
        root = src.root
        if root is None or src.errors or src.kind != "bpmn":
            continue
        for node in root.findall(f"{{{BPMN_NS}}}process"):
            owner = processes.get(node.get("id") or "")
            if owner is not None and owner.file != src.name:
                root.remove(node)


def _parser(sources: list[SourceFile]) -> SpiffBpmnParser:
    """A SpiffBpmnParser fed the cleanly read XML files among ``sources`` (XSD validation was already done).

    One parser per closure: SpiffWorkflow registers embedded subprocesses by id beside the processes
    of every file it was given, so a parser holding all deployed files would see an embedded
    subprocess clash with an unrelated top-level process of the same id.
    """
    parser = SpiffBpmnParser()
    for src in sorted(sources, key=lambda s: s.report):  # known first: uploaded decisions win
        root = src.root
        if root is None or src.errors or src.kind not in ("dmn", "bpmn"):
            continue
        try:
            if src.kind == "dmn":
                parser.add_dmn_xml(root, filename=src.name)
            else:
                parser.add_bpmn_xml(root, filename=src.name)
        except Exception as exc:  # noqa: BLE001 - SpiffWorkflow wraps little; report whatever it raised
            src.errors.append(spiff_error(exc, src))
    return parser


def _define(
    parser: SpiffBpmnParser,
    key: str,
    src: SourceFile,
    called: set[str],
    needed: set[str],
    forms: dict[str, dict[str, Any]],
    by_name: dict[str, SourceFile],
    broken: set[tuple[str, str]],
) -> ProcessDefinition | None:
    """Build one definition through SpiffWorkflow, recording its parse errors on the failing file."""
    for process_id in sorted(called, key=lambda p: p != key):
        process_parser = parser.get_process_parser(process_id)
        owner = by_name.get(process_parser.filename, src) if process_parser else src
        if (process_id, owner.name) not in broken:
            try:
                parser.get_spec(process_id)
                continue
            except Exception as exc:  # noqa: BLE001 - SpiffWorkflow wraps little; report whatever it raised
                broken.add((process_id, owner.name))
                owner.errors.append(spiff_error(exc, owner))
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
        src.errors.append(spiff_error(exc, src))
        return None
    harden_decisions(spec, *subprocess_specs.values())
    assign_groups(_with_documents(parser, by_name, {key: spec, **subprocess_specs}))
    harden_multiple_events(spec, *subprocess_specs.values())
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


def _with_documents(
    parser: SpiffBpmnParser, by_name: dict[str, SourceFile], specs: Mapping[str, BpmnProcessSpec]
) -> list[tuple[BpmnProcessSpec, Element | None]]:
    """Each spec with the parsed document that defines it (its lanes say which group works its tasks)."""
    paired: list[tuple[BpmnProcessSpec, Element | None]] = []
    for process_id, spec in specs.items():
        process_parser = parser.get_process_parser(process_id)
        source = by_name.get(process_parser.filename) if process_parser is not None else None
        paired.append((spec, source.root if source is not None else None))
    return paired


def _start_form(spec: BpmnProcessSpec) -> str | None:
    """The form of the top-level start event, preferring a plain (none) start event."""
    starts = [ts for ts in spec.task_specs.values() if isinstance(ts, StartEvent) and task_form(ts)]
    plain = [ts for ts in starts if isinstance(ts.event_definition, NoneEventDefinition)]
    return task_form((plain or starts)[0]) if starts else None
