"""The server's scenario folder (``RMA_PROCESSES_DIR``/tests): listing its files and writing new ones.

Files stay the source: the modeler reads the same ``processes/tests/*.yaml`` that ``rma
test-processes`` runs and saves recordings there. A file is named by its plain file name only; a
name with a path in it (``../x.yaml``) is refused, and a name is looked up among the folder's own
files, so nothing outside the folder is ever read or written.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..errors import Conflict, InvalidData, NotFound
from .files import InvalidScenario, Scenario, load_scenario_file

SUFFIXES = (".yaml", ".yml")
STEM = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")  # a saved file: return_goods_late.yaml
NAME_LIMIT = 120  # characters of a file name asked for


@dataclass(frozen=True)
class FolderFile:
    """One scenario file and its scenarios, or why it cannot be read (``problem``)."""

    file: str
    scenarios: list[Scenario]
    problem: str | None


def scenario_folder(settings: Settings) -> Path:
    """The folder of scenario files, or NotFound when the server has none (set RMA_PROCESSES_DIR)."""
    folder = settings.scenario_dir
    if folder is None or not folder.is_dir():
        shown = f" ({folder} is not a folder)" if folder is not None else ""
        raise NotFound(
            f"this server has no scenario folder{shown}: set RMA_PROCESSES_DIR to the procedures' folder"
            " (its tests/ holds the scenarios)"
        )
    return folder


def folder_files(folder: Path) -> list[FolderFile]:
    """Every scenario file of ``folder`` in name order, each read on its own (a broken one is listed)."""
    found = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SUFFIXES):
        try:
            found.append(FolderFile(path.name, load_scenario_file(path), None))
        except InvalidScenario as error:
            found.append(FolderFile(path.name, [], error.message.removeprefix(f"{path}:")))
    return found


def existing_file(folder: Path, file: str) -> Path:
    """The folder's file ``file``: 400 for a name that is no plain scenario file name, 404 if absent."""
    check_file_name(file, "file")
    if file not in {p.name for p in folder.iterdir() if p.is_file()}:
        raise NotFound(f"no scenario file {file!r} in the scenario folder")
    return folder / file


def check_file_name(file: str, field: str) -> None:
    """A plain file name ending in .yaml or .yml: no folder, no leading dot."""
    problem = None
    if not file or len(file) > NAME_LIMIT:
        problem = f"give a file name of 1 to {NAME_LIMIT} characters"
    elif "/" in file or "\\" in file or "\0" in file or file.startswith("."):
        problem = "a file name of the scenario folder, without / or \\ and not starting with a dot"
    elif not file.endswith(SUFFIXES):
        problem = "a scenario file name ends in .yaml or .yml"
    if problem is not None:
        raise InvalidData(
            f"bad scenario file name {file[:NAME_LIMIT]!r}", [{"field": field, "message": problem}]
        )


def new_file_name(stem: str) -> str:
    """``stem``.yaml, for a stem of lower-case letters, digits, _ and - (what the folder's files use)."""
    if not STEM.fullmatch(stem):
        raise InvalidData(
            f"bad scenario file name {stem[:NAME_LIMIT]!r}",
            [
                {
                    "field": "file",
                    "message": "1 to 80 of a-z, 0-9, _ and -, starting with a letter or digit"
                    " (.yaml is added), e.g. return_goods_late",
                }
            ],
        )
    return f"{stem}.yaml"


def write_file(folder: Path, file: str, text: str, overwrite: bool) -> bool:
    """Write ``text`` as ``folder/file`` in one step; True when it replaced a file.

    Without ``overwrite`` an existing file is a Conflict and is left as it was (the check and the
    write are one: the link fails if the file appeared in between).
    """
    target = folder / file
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{file}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        existed = target.exists()
        if overwrite:
            os.replace(temporary, target)
            return existed
        try:
            os.link(temporary, target)
        except FileExistsError:
            raise Conflict(
                f"scenario file {file} exists already: choose another name, or overwrite it"
            ) from None
        return False
    finally:
        Path(temporary).unlink(missing_ok=True)
