"""Diagram drafts of the analysts' modeler (issue 12): an editable copy of one process's files.

Declared on the same ``Base`` as ``models`` (which imports this module). ``files`` maps each file
name to the SHA-256 of its contents, kept in the ``blob`` table deployments share; ``revision``
counts the saves, so that a save based on an older one is refused instead of overwriting it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class DefinitionDraft(Base):
    __tablename__ = "definition_draft"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(255), index=True)
    base_version: Mapped[int | None] = mapped_column(Integer)  # the deployed version it started from
    revision: Mapped[int] = mapped_column(Integer)
    files: Mapped[dict[str, Any]]  # file name -> sha256 (blob)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime]
