"""The modeler's index: every process and decision table with its versions (who, when, the note)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..store import definition_versions as stored
from . import permissions
from .context import Actor, Services


@dataclass(frozen=True)
class VersionInfo:
    version: int
    deployed_at: datetime
    deployed_by: str | None
    note: str | None


@dataclass(frozen=True)
class ProcessVersions:
    process_key: str
    name: str
    main_file: str
    versions: list[VersionInfo]  # newest first
    files: list[str]  # the files the newest version uses


@dataclass(frozen=True)
class DecisionTableVersions:
    file: str
    versions: list[VersionInfo]  # newest first: each distinct content of the file is a version


def list_process_versions(services: Services, actor: Actor) -> list[ProcessVersions]:
    """Every deployed process, by key, with all its versions."""
    permissions.require_may_deploy(actor)
    with services.database.reading() as connection:
        rows = stored.process_versions(connection)
    found: dict[str, ProcessVersions] = {}
    for row in rows:
        if row.process_key not in found:  # the newest version comes first
            files = sorted(row.files or {})
            found[row.process_key] = ProcessVersions(row.process_key, row.name, row.main_file, [], files)
        found[row.process_key].versions.append(
            VersionInfo(row.version, row.deployed_at, row.created_by, row.note)
        )
    return list(found.values())


def list_decision_versions(services: Services, actor: Actor) -> list[DecisionTableVersions]:
    """Every deployed .dmn file with its versions (a deployment that changed its content is a new one)."""
    permissions.require_may_deploy(actor)
    with services.database.reading() as connection:
        rows = stored.dmn_deployments(connection)
    found: dict[str, tuple[list[VersionInfo], str | None]] = {}
    for row in rows:
        versions, last = found.get(row.name, ([], None))
        if row.sha256 != last:
            versions.append(VersionInfo(len(versions) + 1, row.created_at, row.created_by, row.note))
        found[row.name] = (versions, row.sha256)
    return [DecisionTableVersions(name, versions[::-1]) for name, (versions, _) in sorted(found.items())]
