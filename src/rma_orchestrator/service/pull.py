"""``rma pull``: the deployed latest versions written back to a folder, so files stay the source."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import Conflict, InvalidData
from ..store import definitions as stored
from . import permissions
from .context import Actor, Services

PullState = Literal["written", "unchanged", "overwritten"]


@dataclass(frozen=True)
class PulledFile:
    name: str
    state: PullState


def deployed_files(services: Services, actor: Actor) -> dict[str, bytes]:
    """Every file the latest version of each process depends on (its BPMN, DMN, forms, called processes).

    A file's contents are its latest deployed ones: what a deploy of the folder resolves against.
    """
    permissions.require_may_deploy(actor)
    with services.database.reading() as connection:
        names = {name for row in stored.latest_definitions(connection) for name in row.files}
        latest = stored.workspace(connection)
        return stored.blobs(connection, {name: latest[name] for name in sorted(names)})


def pull(services: Services, directory: Path, actor: Actor, force: bool = False) -> list[PulledFile]:
    """Write the deployed files into ``directory`` (made if missing).

    A file there with other contents is refused before anything is written, unless ``force``.
    """
    if directory.exists() and not directory.is_dir():
        raise InvalidData(
            f"{directory} is not a directory", [{"field": "directory", "message": "not a directory"}]
        )
    files = deployed_files(services, actor)
    states = {name: _state(directory / name, content) for name, content in files.items()}
    differing = sorted(name for name, state in states.items() if state == "overwritten")
    if differing and not force:
        raise Conflict(
            f"{directory / differing[0]} differs from the deployed file"
            + (f" (and {len(differing) - 1} more)" if len(differing) > 1 else "")
            + "; pass --force to overwrite"
        )
    directory.mkdir(parents=True, exist_ok=True)
    for name, state in states.items():
        if state != "unchanged":
            _write(directory / name, files[name])
    return [PulledFile(name, states[name]) for name in sorted(files)]


def _state(path: Path, content: bytes) -> PullState:
    if not path.exists():
        return "written"
    return "unchanged" if path.is_file() and path.read_bytes() == content else "overwritten"


def _write(path: Path, content: bytes) -> None:
    """Replace ``path`` in one step: a reader never sees half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
