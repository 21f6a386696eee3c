"""Deployments, their files (content-addressed blobs) and the process definition versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select

from .db import AnyRow
from .models import TABLES

_blob = TABLES["blob"]
_deployment = TABLES["deployment"]
_file = TABLES["deployment_file"]
_definition = TABLES["process_definition"]

DEFINITION_COLUMNS = (
    _definition.c.id,
    _definition.c.process_key,
    _definition.c.name,
    _definition.c.version,
    _definition.c.deployment_id,
    _definition.c.deployed_at,
    _definition.c.content_hash,
    _definition.c.files,
    _definition.c.main_file,
    _definition.c.start_form,
)
_LATEST = (
    select(*DEFINITION_COLUMNS)
    .where(_definition.c.process_key == bindparam("key"))
    .order_by(_definition.c.version.desc())
    .limit(1)
)
_BY_ID = select(*DEFINITION_COLUMNS).where(_definition.c.id == bindparam("id"))
_BY_VERSION = select(*DEFINITION_COLUMNS).where(
    _definition.c.process_key == bindparam("key"), _definition.c.version == bindparam("version")
)
_BLOBS = select(_blob.c.sha256, _blob.c.content).where(_blob.c.sha256.in_(bindparam("shas", expanding=True)))
_STORED = select(_blob.c.sha256).where(_blob.c.sha256.in_(bindparam("shas", expanding=True)))


def latest_definition(connection: Connection, process_key: str) -> AnyRow | None:
    return connection.execute(_LATEST, {"key": process_key}).one_or_none()


def definition_by_id(connection: Connection, definition_id: int) -> AnyRow | None:
    return connection.execute(_BY_ID, {"id": definition_id}).one_or_none()


def definition_by_version(connection: Connection, process_key: str, version: int) -> AnyRow | None:
    return connection.execute(_BY_VERSION, {"key": process_key, "version": version}).one_or_none()


def latest_and_has_version(
    connection: Connection, process_key: str, version: int | None
) -> tuple[int | None, bool]:
    """The latest version of ``process_key`` (None: never deployed) and whether ``version`` is one
    of its versions (True when None)."""
    latest = latest_definition(connection, process_key)
    has_version = version is None or definition_by_version(connection, process_key, version) is not None
    return (latest.version if latest is not None else None), has_version


def latest_definitions(connection: Connection) -> list[AnyRow]:
    """The newest version of every process, by process key."""
    newest = (
        select(_definition.c.process_key, func.max(_definition.c.version).label("version"))
        .group_by(_definition.c.process_key)
        .subquery()
    )
    query = (
        select(*DEFINITION_COLUMNS)
        .join(
            newest,
            (_definition.c.process_key == newest.c.process_key) & (_definition.c.version == newest.c.version),
        )
        .order_by(_definition.c.process_key)
    )
    return list(connection.execute(query).all())


def workspace(connection: Connection) -> dict[str, str]:
    """The latest deployed content (sha256) of every file name."""
    newest = (
        select(_file.c.name, func.max(_file.c.deployment_id).label("deployment_id"))
        .group_by(_file.c.name)
        .subquery()
    )
    rows = connection.execute(
        select(_file.c.name, _file.c.sha256).join(
            newest, (_file.c.name == newest.c.name) & (_file.c.deployment_id == newest.c.deployment_id)
        )
    ).all()
    return {name: digest for name, digest in rows}


def blobs(connection: Connection, names: dict[str, str]) -> dict[str, bytes]:
    """File name → contents for ``names`` (file name → sha256)."""
    if not names:
        return {}
    found = dict(connection.execute(_BLOBS, {"shas": sorted(set(names.values()))}).all())
    return {name: found[digest] for name, digest in names.items()}


class DefinitionRepository:
    """Writes of one deployment."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def latest(self, process_key: str) -> AnyRow | None:
        return latest_definition(self._connection, process_key)

    def workspace(self) -> dict[str, str]:
        return workspace(self._connection)

    def blobs(self, names: dict[str, str]) -> dict[str, bytes]:
        return blobs(self._connection, names)

    def insert_deployment(
        self,
        created_at: datetime,
        created_by: str,
        content_hash: str,
        files: dict[str, tuple[str, bytes]],
        note: str | None = None,
    ) -> int:
        """A deployment of ``files`` (name → (sha256, content)); blobs already stored are shared."""
        deployment_id = int(
            self._connection.execute(
                insert(_deployment)
                .values(created_at=created_at, created_by=created_by, content_hash=content_hash, note=note)
                .returning(_deployment.c.id)
            ).scalar_one()
        )
        digests = {digest for digest, _ in files.values()}
        stored = set(self._connection.execute(_STORED, {"shas": sorted(digests)}).scalars())
        new_blobs = {digest: content for digest, content in files.values() if digest not in stored}
        if new_blobs:
            self._connection.execute(
                insert(_blob), [{"sha256": d, "content": c} for d, c in sorted(new_blobs.items())]
            )
        self._connection.execute(
            insert(_file),
            [
                {"deployment_id": deployment_id, "name": name, "sha256": digest}
                for name, (digest, _) in sorted(files.items())
            ],
        )
        return deployment_id

    def insert_definitions(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._connection.execute(insert(_definition), rows)
