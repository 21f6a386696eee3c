"""Deploying process definitions and versioning them; reading what is deployed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from ..engine.bundle import ProcessDefinition as ParsedDefinition
from ..engine.bundle import load_bundle, validate_bundle
from ..engine.checker import TextLimits
from ..errors import InvalidData, InvalidDefinition, NotFound
from ..store import definitions as stored
from ..store import limits
from ..store import users as stored_users
from . import permissions
from .context import Actor, Services
from .inputs import check_text, text_problem
from .results import DefinitionInfo, DeployedProcess, DeployResult, Finding, StartForm, ValidationResult
from .timer_evaluations import timer_evaluator

ALLOWED_SUFFIXES = (".bpmn", ".dmn", ".json")
# What running a process records of its diagram, and in which columns (store/limits.py).
TEXT_LIMITS = TextLimits(
    element_id=limits.ELEMENT_ID,
    task_name=limits.TASK_NAME,
    lane=limits.GROUP_NAME,
    form=limits.TASK_FORM,
    message=limits.MESSAGE_NAME,
    sla=limits.SLA_NAME,
)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def deploy(
    services: Services, files: dict[str, bytes], actor: Actor, dry_run: bool = False, note: str | None = None
) -> DeployResult:
    """Validate ``files`` against the latest deployed ones and version every process they change.

    A new deployment is recorded in the audit trail (``definition_deployed``) with its change ``note``.
    """
    permissions.require_may_deploy(actor)
    _check_names(files)
    with services.clock.pinned() as now, services.uow() as uow:
        repository = uow.definitions
        workspace = repository.workspace()
        known = repository.blobs({n: s for n, s in workspace.items() if n not in files})
        groups = stored_users.group_labels(uow.connection)
        bundle = load_bundle(files, known=known, limits=TEXT_LIMITS, groups=groups)
        _check_storable(bundle.processes.values())
        merged = {**workspace, **{name: sha256(content) for name, content in files.items()}}
        results: list[DeployedProcess] = []
        plans: list[tuple[ParsedDefinition, str, int]] = []
        latest_rows: dict[str, Any] = {}
        for key in sorted(bundle.processes):
            parsed = bundle.processes[key]
            if not parsed.files & files.keys():
                continue
            content_hash = _closure_hash(parsed.files, merged)
            latest = latest_rows[key] = repository.latest(key)
            if latest is not None and latest.content_hash == content_hash:
                results.append(DeployedProcess(key, latest.version, False))
                continue
            version = (latest.version if latest else 0) + 1
            plans.append((parsed, content_hash, version))
            results.append(DeployedProcess(key, version, True))
        changed_files = {n: c for n, c in files.items() if workspace.get(n) != sha256(c)}
        if dry_run:
            return DeployResult(None, results, dry_run=True)
        if not changed_files and not plans:
            first = latest_rows.get(results[0].process_key) if results else None
            return DeployResult(first.deployment_id if first is not None else None, results)
        deployment_id = repository.insert_deployment(
            now,
            actor.name,
            _closure_hash(files, merged),
            {name: (sha256(content), content) for name, content in files.items()},
            note,
        )
        repository.insert_definitions(
            [
                {
                    "process_key": parsed.key,
                    "version": version,
                    "name": parsed.name,
                    "deployment_id": deployment_id,
                    "content_hash": content_hash,
                    "files": {name: merged[name] for name in sorted(parsed.files)},
                    "main_file": parsed.file,
                    "start_form": parsed.start_form,
                    "deployed_at": now,
                }
                for parsed, content_hash, version in plans
            ]
        )
        processes = [
            {"process_key": p.process_key, "version": p.version, "created": p.created} for p in results
        ]
        uow.events.record(
            None,
            "definition_deployed",
            now,
            actor.name,
            deployment_id=deployment_id,
            note=note,
            processes=processes,
        )
        uow.commit()
        return DeployResult(deployment_id, results)


def validate_files(files: dict[str, bytes]) -> ValidationResult:
    """The errors and lint warnings of ``files`` on their own, without a database (``rma validate``).

    Lanes are not checked against the groups, and references must be among ``files``. The lint's
    timer expressions are evaluated in this process, with only the sandbox's trace deadline: this is
    the analyst's own process (``rma validate``), and a worker pool would outlive the command's need.
    """
    _check_names(files)
    return _findings(*validate_bundle(files, limits=TEXT_LIMITS))


def validate_definitions(services: Services, files: dict[str, bytes], actor: Actor) -> ValidationResult:
    """The errors and lint warnings of ``files`` as a deploy would see them now; nothing is written.

    Like a dry-run deploy, the latest deployed files resolve references and lanes must name groups.
    The lint's timer expressions are evaluated in a step worker, under hard limits (``timer_evaluations``).
    """
    permissions.require_may_deploy(actor)
    _check_names(files)
    with services.database.reading() as connection:
        workspace = stored.workspace(connection)
        known = stored.blobs(connection, {n: s for n, s in workspace.items() if n not in files})
        groups = stored_users.group_labels(connection)
    evaluate = timer_evaluator(services)
    return _findings(
        *validate_bundle(files, known=known, limits=TEXT_LIMITS, groups=groups, evaluate_timers=evaluate)
    )


def _findings(errors: list[dict[str, Any]], warnings: list[dict[str, Any]]) -> ValidationResult:
    def finding(item: dict[str, Any]) -> Finding:
        rule = item.get("rule", "deploy")
        return Finding(item["file"], item["line"], item["element"], rule, item["message"])

    return ValidationResult([finding(e) for e in errors], [finding(w) for w in warnings])


def list_definitions(services: Services, actor: Actor) -> list[DefinitionInfo]:
    """The latest version of every process."""
    permissions.require_may_read_cases(actor)
    with services.database.reading() as connection:
        return [_definition_info(row) for row in stored.latest_definitions(connection)]


def list_versions(services: Services, process_key: str, actor: Actor) -> list[DefinitionInfo]:
    """Every version of ``process_key``, newest first; NotFound when it was never deployed."""
    permissions.require_may_read_cases(actor)
    if text_problem(process_key, limits.PROCESS_KEY) is not None:
        raise NotFound(f"process {process_key!r} is not deployed")
    with services.database.reading() as connection:
        rows = stored.definition_versions(connection, process_key)
    if not rows:
        raise NotFound(f"process {process_key!r} is not deployed")
    return [_definition_info(row) for row in rows]


def get_definition_xml(services: Services, process_key: str, version: int, actor: Actor) -> bytes:
    permissions.require_may_read_cases(actor)
    if text_problem(process_key, limits.PROCESS_KEY) is not None or not 1 <= version <= limits.VERSION:
        raise NotFound(f"process {process_key!r} has no version {version}")
    with services.database.reading() as connection:
        row = stored.definition_by_version(connection, process_key, version)
        if row is None:
            raise NotFound(f"process {process_key!r} has no version {version}")
        return stored.blobs(connection, {row.main_file: row.files[row.main_file]})[row.main_file]


def start_form(services: Services, process_key: str, actor: Actor) -> StartForm:
    """The start form of the latest version of ``process_key`` (``schema`` None when it has none)."""
    permissions.require_may_start(actor)
    check_text("process_key", process_key, limits.PROCESS_KEY)
    with services.database.reading() as connection:
        row = stored.latest_definition(connection, process_key)
    if row is None:
        raise NotFound(f"process {process_key!r} is not deployed")
    definition = services.definitions.get(row.id)
    name = definition.start_form
    return StartForm(process_key, row.version, name, definition.forms.get(name) if name else None)


def _definition_info(row: Any) -> DefinitionInfo:
    return DefinitionInfo(
        row.process_key, row.name, row.version, row.deployment_id, row.deployed_at, row.deployed_by, row.note
    )


def _check_names(files: dict[str, bytes]) -> None:
    """A name the store cannot keep is bad input (400); one deploy cannot use, a definition error."""
    naming = [
        {"field": "files", "message": f"{name!r}: {problem}"}
        for name in files
        if (problem := text_problem(name, limits.FILE_NAME))
    ]
    if naming:
        raise InvalidData("bad file name", naming)
    if not files:
        raise InvalidDefinition(
            [{"file": None, "line": None, "element": None, "message": "no files uploaded", "rule": "deploy"}]
        )
    errors = [
        {
            "file": name,
            "line": None,
            "element": None,
            "message": f"unsupported file type; upload {', '.join(ALLOWED_SUFFIXES)} files",
            "rule": "deploy",
        }
        for name in files
        if not name.endswith(ALLOWED_SUFFIXES) or "/" in name or "\\" in name
    ]
    if errors:
        raise InvalidDefinition(errors)


def _check_storable(processes: Iterable[ParsedDefinition]) -> None:
    """Ids and names longer than their columns: PostgreSQL would refuse them, SQLite keep them."""
    errors = [
        {
            "file": parsed.file,
            "line": None,
            "element": parsed.key,
            "message": f"{what} {problem}",
            "rule": "deploy",
        }
        for parsed in processes
        for what, value, limit in (
            ("the process id is", parsed.key, limits.PROCESS_KEY),
            ("the process name is", parsed.name, limits.PROCESS_NAME),
            ("the start form's file name is", parsed.start_form, limits.FORM_NAME),
        )
        if value is not None and (problem := text_problem(value, limit))
    ]
    if errors:
        raise InvalidDefinition(errors)


def _closure_hash(names: Iterable[str], digests: dict[str, str]) -> str:
    joined = "\n".join(f"{name}:{digests[name]}" for name in sorted(names))
    return sha256(joined.encode())
