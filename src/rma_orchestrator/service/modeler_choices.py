"""What the modeler's properties panel offers to pick from: the form files and the decision ids a
draft may use (its own files first, then the deployed ones they would resolve against)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..store import definitions as stored
from . import permissions
from .context import Actor, Services

# A decision's id in a DMN file, read from the text (the file is parsed for real on validation).
_DECISION_ID = re.compile(rb"<(?:[\w-]+:)?decision\b[^>]*?\sid=\"([^\"]+)\"")


@dataclass(frozen=True)
class EditorChoices:
    forms: list[str]  # form file names (.json)
    decisions: list[str]  # decision ids of the .dmn files


def editor_choices(services: Services, actor: Actor, own: dict[str, bytes]) -> EditorChoices:
    """The forms and decision ids of ``own`` (a draft's files) and of the latest deployed files."""
    permissions.require_may_deploy(actor)
    with services.database.reading() as connection:
        workspace = stored.workspace(connection)
        tables = stored.blobs(
            connection, {n: s for n, s in workspace.items() if n.endswith(".dmn") and n not in own}
        )
    forms = sorted({name for name in [*own, *workspace] if name.endswith(".json")})
    decisions: set[str] = set()
    for name, content in [*own.items(), *tables.items()]:
        if name.endswith(".dmn"):
            decisions.update(found.decode("utf-8", "replace") for found in _DECISION_ID.findall(content))
    return EditorChoices(forms, sorted(decisions))
