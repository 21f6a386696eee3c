"""What the diagram drafts' commands and reads answer (service/diagram_drafts.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DraftFileInfo:
    name: str
    sha256: str
    size: int  # bytes


@dataclass(frozen=True)
class DiagramDraftInfo:
    """An editable copy of a process's files; ``revision`` goes up with every save.

    ``base_version`` is the deployed version it was started from (null: started empty).
    """

    id: int
    process_key: str
    base_version: int | None
    revision: int
    files: list[DraftFileInfo]
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
