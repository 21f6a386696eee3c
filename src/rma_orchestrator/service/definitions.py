"""Deploying process definitions, versioning them, and caching their parsed specs."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import iso
from ..engine.bundle import ProcessDefinition as ParsedDefinition
from ..engine.bundle import load_bundle
from ..errors import InvalidDefinition, NotFound
from ..store.db import Database
from ..store.models import Blob, Deployment, DeploymentFile, ProcessDefinition
from .context import Actor, Services
from .permissions import require_role

ALLOWED_SUFFIXES = (".bpmn", ".dmn", ".json")


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class DefinitionCache:
    """Parsed specs by definition id; a version's files never change, so entries never go stale."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._parsed: dict[int, ParsedDefinition] = {}
        self._lock = threading.Lock()

    def get(self, definition_id: int) -> ParsedDefinition:
        parsed = self._parsed.get(definition_id)
        if parsed is not None:
            return parsed
        with self._lock:
            parsed = self._parsed.get(definition_id)
            if parsed is None:
                parsed = self._load(definition_id)
                self._parsed[definition_id] = parsed
        return parsed

    def _load(self, definition_id: int) -> ParsedDefinition:
        with self._database.read() as session:
            row = session.get(ProcessDefinition, definition_id)
            if row is None:
                raise NotFound(f"process definition {definition_id} not found")
            files = _blobs(session, row.files)
        return load_bundle(files).processes[row.process_key]


@dataclass(frozen=True)
class DeployedProcess:
    process_key: str
    version: int
    created: bool

    def to_dict(self) -> dict[str, Any]:
        return {"process_key": self.process_key, "version": self.version, "created": self.created}


@dataclass(frozen=True)
class DeployResult:
    deployment_id: int | None
    processes: list[DeployedProcess]
    dry_run: bool = False

    @property
    def created(self) -> bool:
        return any(p.created for p in self.processes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "deployment_id": self.deployment_id,
            "processes": [p.to_dict() for p in self.processes],
            "dry_run": self.dry_run,
        }


def deploy(services: Services, files: dict[str, bytes], actor: Actor, dry_run: bool = False) -> DeployResult:
    """Validate ``files`` against the latest deployed ones and version every process they change."""
    require_role(actor, "analyst")
    _check_names(files)
    with services.clock.pinned() as now, services.uow() as uow:
        session = uow.session
        workspace = _workspace(session)
        known = _blobs(session, {n: s for n, s in workspace.items() if n not in files})
        bundle = load_bundle(files, known=known)
        merged = {**workspace, **{name: sha256(content) for name, content in files.items()}}
        results: list[DeployedProcess] = []
        plans: list[tuple[ParsedDefinition, str, int]] = []
        for key in sorted(bundle.processes):
            parsed = bundle.processes[key]
            if not parsed.files & files.keys():
                continue
            content_hash = _closure_hash(parsed.files, merged)
            latest = _latest_definition(session, key)
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
            existing = [_latest_definition(session, p.process_key) for p in results]
            deployment_id = existing[0].deployment_id if existing and existing[0] else None
            return DeployResult(deployment_id, results)
        deployment = Deployment(
            created_at=now, created_by=actor.name, content_hash=_closure_hash(files, merged)
        )
        session.add(deployment)
        session.flush()
        stored = set(session.scalars(select(Blob.sha256).where(Blob.sha256.in_(merged.values()))))
        for name, content in files.items():
            digest = sha256(content)
            if digest not in stored:
                stored.add(digest)
                session.add(Blob(sha256=digest, content=content))
            session.add(DeploymentFile(deployment_id=deployment.id, name=name, sha256=digest))
        for parsed, content_hash, version in plans:
            session.add(
                ProcessDefinition(
                    process_key=parsed.key,
                    version=version,
                    name=parsed.name,
                    deployment_id=deployment.id,
                    content_hash=content_hash,
                    files={name: merged[name] for name in sorted(parsed.files)},
                    main_file=parsed.file,
                    start_form=parsed.start_form,
                    deployed_at=now,
                )
            )
        uow.commit()
        return DeployResult(deployment.id, results)


def validate_files(files: dict[str, bytes]) -> None:
    """Raise InvalidDefinition when ``files`` (on their own) would not deploy."""
    _check_names(files)
    load_bundle(files)


def list_definitions(services: Services, actor: Actor) -> list[dict[str, Any]]:
    """The latest version of every process."""
    with services.database.read() as session:
        latest = (
            select(ProcessDefinition.process_key, func.max(ProcessDefinition.version).label("version"))
            .group_by(ProcessDefinition.process_key)
            .subquery()
        )
        rows = session.scalars(
            select(ProcessDefinition)
            .join(
                latest,
                (ProcessDefinition.process_key == latest.c.process_key)
                & (ProcessDefinition.version == latest.c.version),
            )
            .order_by(ProcessDefinition.process_key)
        ).all()
        return [definition_view(row) for row in rows]


def definition_view(row: ProcessDefinition) -> dict[str, Any]:
    return {
        "process_key": row.process_key,
        "name": row.name,
        "version": row.version,
        "deployment_id": row.deployment_id,
        "deployed_at": iso(row.deployed_at),
    }


def get_definition_xml(services: Services, process_key: str, version: int) -> bytes:
    with services.database.read() as session:
        row = session.scalar(
            select(ProcessDefinition).where(
                ProcessDefinition.process_key == process_key, ProcessDefinition.version == version
            )
        )
        if row is None:
            raise NotFound(f"process {process_key!r} has no version {version}")
        return _blobs(session, {row.main_file: row.files[row.main_file]})[row.main_file]


def latest_definition(session: Session, process_key: str) -> ProcessDefinition:
    row = _latest_definition(session, process_key)
    if row is None:
        raise NotFound(f"process {process_key!r} is not deployed")
    return row


def _latest_definition(session: Session, process_key: str) -> ProcessDefinition | None:
    return session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.process_key == process_key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )


def _check_names(files: dict[str, bytes]) -> None:
    if not files:
        raise InvalidDefinition(
            [{"file": None, "line": None, "element": None, "message": "no files uploaded"}]
        )
    errors = [
        {
            "file": name,
            "line": None,
            "element": None,
            "message": f"unsupported file type; upload {', '.join(ALLOWED_SUFFIXES)} files",
        }
        for name in files
        if not name.endswith(ALLOWED_SUFFIXES) or "/" in name or "\\" in name
    ]
    if errors:
        raise InvalidDefinition(errors)


def _workspace(session: Session) -> dict[str, str]:
    """The latest deployed content (sha256) of every file name."""
    latest = (
        select(DeploymentFile.name, func.max(DeploymentFile.deployment_id).label("deployment_id"))
        .group_by(DeploymentFile.name)
        .subquery()
    )
    rows = session.execute(
        select(DeploymentFile.name, DeploymentFile.sha256).join(
            latest,
            (DeploymentFile.name == latest.c.name) & (DeploymentFile.deployment_id == latest.c.deployment_id),
        )
    ).all()
    return {name: digest for name, digest in rows}


def _blobs(session: Session, names: dict[str, str]) -> dict[str, bytes]:
    if not names:
        return {}
    contents = dict(
        session.execute(select(Blob.sha256, Blob.content).where(Blob.sha256.in_(set(names.values())))).all()
    )
    return {name: contents[digest] for name, digest in names.items()}


def _closure_hash(names: Any, digests: dict[str, str]) -> str:
    joined = "\n".join(f"{name}:{digests[name]}" for name in sorted(names))
    return sha256(joined.encode())
