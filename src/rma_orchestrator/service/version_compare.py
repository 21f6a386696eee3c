"""Comparing two deployed versions of a process: its diagram's elements, its decision tables' rules
and its files, for the analysts who change procedures (the same rule as deploying: analysts and
admins; the other roles read a version's XML but have no use for what changed between two)."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.decision_diff import DecisionChange, RuleChange
from ..engine.diagram_diff import ElementChange, FileChange, UnreadableFile, diff_versions
from ..errors import InvalidDefinition, NotFound
from ..store import definitions as stored
from ..store import limits
from . import permissions
from .context import Actor, Services
from .inputs import text_problem

__all__ = ["DecisionChange", "DiagramComparison", "RuleChange", "VersionComparison", "compare_versions"]
MAX_VERSION = limits.VERSION  # the largest version number the store can hold


@dataclass(frozen=True)
class VersionComparison:
    """What changed from ``from_version`` to ``to_version``: ``moved`` lists the elements whose
    drawing alone changed (no change of the process)."""

    process_key: str
    from_version: int
    to_version: int
    elements: list[ElementChange]
    moved: list[str]
    decisions: list[DecisionChange]
    files: list[FileChange]


@dataclass(frozen=True)
class DiagramComparison:
    """A comparison with both versions' main BPMN files, as the compare page draws them."""

    comparison: VersionComparison
    before_xml: str
    after_xml: str


def compare_versions(
    services: Services, process_key: str, from_version: int, to_version: int, actor: Actor
) -> VersionComparison:
    """The elements, decision rules and files changed between two versions of ``process_key``."""
    return compare_diagrams(services, process_key, from_version, to_version, actor).comparison


def compare_diagrams(
    services: Services, process_key: str, from_version: int, to_version: int, actor: Actor
) -> DiagramComparison:
    """``compare_versions`` plus both versions' diagrams (their main .bpmn files)."""
    permissions.require_may_deploy(actor)
    for version in (from_version, to_version):
        if text_problem(process_key, limits.PROCESS_KEY) is not None or not 1 <= version <= limits.VERSION:
            raise NotFound(f"process {process_key!r} has no version {version}")
    with services.database.reading() as connection:
        rows = []
        for version in (from_version, to_version):
            row = stored.definition_by_version(connection, process_key, version)
            if row is None:
                raise NotFound(f"process {process_key!r} has no version {version}")
            rows.append(row)
        old, new = (stored.blobs(connection, dict(row.files)) for row in rows)
    try:
        diff = diff_versions(old, new, rows[0].main_file, rows[1].main_file)
    except UnreadableFile as error:  # deploy checked these files; only a damaged store gets here
        item = {"file": error.file, "line": error.line, "element": None, "message": error.message}
        raise InvalidDefinition([{**item, "rule": "compare"}]) from None
    comparison = VersionComparison(
        process_key, from_version, to_version, diff.elements, diff.moved, diff.decisions, diff.files
    )
    return DiagramComparison(
        comparison,
        old[rows[0].main_file].decode("utf-8-sig"),
        new[rows[1].main_file].decode("utf-8-sig"),
    )


def list_versions(services: Services, process_key: str, actor: Actor) -> list[int]:
    """The deployed versions of ``process_key``, oldest first (NotFound when it has none)."""
    permissions.require_may_deploy(actor)
    if text_problem(process_key, limits.PROCESS_KEY) is None:
        with services.database.reading() as connection:
            versions = sorted(row.version for row in stored.definition_versions(connection, process_key))
        if versions:
            return versions
    raise NotFound(f"process {process_key!r} is not deployed")
