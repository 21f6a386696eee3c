"""Every deployed version of the processes and of the decision tables, with who deployed it, when, and
the deployment's change note (reads for the modeler's index)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from .db import AnyRow
from .models import TABLES

_deployment = TABLES["deployment"]
_file = TABLES["deployment_file"]
_definition = TABLES["process_definition"]


def process_versions(connection: Connection) -> list[AnyRow]:
    """A row per process version (key, name, version, files, deployed at, by, note), newest first."""
    query = (
        select(
            _definition.c.process_key,
            _definition.c.name,
            _definition.c.version,
            _definition.c.main_file,
            _definition.c.files,
            _definition.c.deployed_at,
            _deployment.c.created_by,
            _deployment.c.note,
        )
        .join(_deployment, _deployment.c.id == _definition.c.deployment_id)
        .order_by(_definition.c.process_key, _definition.c.version.desc())
    )
    return list(connection.execute(query).all())


def dmn_deployments(connection: Connection) -> list[AnyRow]:
    """Every deployment of a .dmn file (name, sha256, deployed at, by, note), oldest first.

    A file deployed again unchanged is in a later deployment with the same sha256; the caller numbers
    the distinct contents of each file as its versions.
    """
    query = (
        select(
            _file.c.name,
            _file.c.sha256,
            _deployment.c.id.label("deployment_id"),
            _deployment.c.created_at,
            _deployment.c.created_by,
            _deployment.c.note,
        )
        .join(_deployment, _deployment.c.id == _file.c.deployment_id)
        .where(_file.c.name.like("%.dmn"))
        .order_by(_file.c.name, _deployment.c.id)
    )
    return list(connection.execute(query).all())
