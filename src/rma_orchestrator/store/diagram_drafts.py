"""Diagram drafts: rows of ``definition_draft``, their files' contents in the shared ``blob`` table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .db import AnyRow
from .models import TABLES

_draft = TABLES["definition_draft"]
_blob = TABLES["blob"]
_BY_ID = select(_draft).where(_draft.c.id == bindparam("id"))
_SIZES = select(_blob.c.sha256, func.length(_blob.c.content)).where(
    _blob.c.sha256.in_(bindparam("shas", expanding=True))
)


def draft(connection: Connection, draft_id: int) -> AnyRow | None:
    return connection.execute(_BY_ID, {"id": draft_id}).one_or_none()


def drafts(connection: Connection) -> list[AnyRow]:
    """Every draft, the most recently saved first."""
    return list(connection.execute(select(_draft).order_by(_draft.c.updated_at.desc(), _draft.c.id.desc())))


def sizes(connection: Connection, digests: set[str]) -> dict[str, int]:
    """Bytes of each stored blob of ``digests`` (sha256)."""
    if not digests:
        return {}
    return {digest: int(size) for digest, size in connection.execute(_SIZES, {"shas": sorted(digests)})}


class DiagramDraftRepository:
    """Writes of drafts; a change names the revision it was based on and succeeds only on that one."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, draft_id: int) -> AnyRow | None:
        return draft(self._connection, draft_id)

    def store_blobs(self, contents: dict[str, bytes]) -> None:
        """Keep ``contents`` (sha256 → bytes); one stored already, by anyone, is left as it is."""
        if not contents:
            return
        make = sqlite_insert if self._connection.dialect.name == "sqlite" else pg_insert
        rows = [{"sha256": digest, "content": content} for digest, content in sorted(contents.items())]
        self._connection.execute(make(_blob).on_conflict_do_nothing(index_elements=["sha256"]), rows)

    def insert(
        self, process_key: str, base_version: int | None, files: dict[str, str], actor: str, at: datetime
    ) -> int:
        values = {
            "process_key": process_key,
            "base_version": base_version,
            "revision": 1,
            "files": files,
            "created_by": actor,
            "created_at": at,
            "updated_by": actor,
            "updated_at": at,
        }
        return int(
            self._connection.execute(insert(_draft).values(values).returning(_draft.c.id)).scalar_one()
        )

    def replace_files(
        self, draft_id: int, revision: int, files: dict[str, str], actor: str, at: datetime
    ) -> bool:
        """Give the draft ``files`` and the next revision, if it is still at ``revision``."""
        changed = self._connection.execute(
            update(_draft)
            .where(_draft.c.id == draft_id, _draft.c.revision == revision)
            .values(files=files, revision=revision + 1, updated_by=actor, updated_at=at)
        )
        return changed.rowcount == 1

    def delete(self, draft_id: int) -> bool:
        return self._connection.execute(delete(_draft).where(_draft.c.id == draft_id)).rowcount == 1
