"""The diagram of an instance's own version (or of a process it calls), with where the instance stands.

An instance runs the version it started on, so its diagram is read from that version's files, never
from the latest deployment. The states come from the instance's stored element states: no
workflow is restored to draw a diagram.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..engine.diagram_links import diagram_links
from ..errors import NotFound
from ..store import definitions as stored
from ..store import limits, queries
from . import permissions
from .context import Actor, Services
from .inputs import check_id, text_problem
from .results import TimerInfo
from .rows import timer_info


@dataclass(frozen=True)
class InstanceDiagram:
    """``states``: element id -> ``{state, visits}`` of this diagram's elements (embedded subprocesses
    included); ``calls``: call activity element id -> the called process key (its diagram, one click
    away); ``timers``: the pending timers of this diagram's elements."""

    instance_id: int
    process_key: str
    version: int
    top_process_key: str
    xml: str
    states: dict[str, dict[str, Any]]
    calls: dict[str, str]
    timers: list[TimerInfo]


def get_instance_diagram(
    services: Services, instance_id: int, actor: Actor, process_key: str | None = None
) -> InstanceDiagram:
    """The diagram of ``process_key`` (default: the instance's own process) at the instance's version."""
    permissions.require_may_monitor(actor)
    check_id("process instance", instance_id, limits.INSTANCE_ID)
    if process_key is not None and text_problem(process_key, limits.PROCESS_KEY) is not None:
        raise NotFound(f"process instance {instance_id} runs no process {process_key!r}")
    with services.database.reading() as connection:
        row = queries.instance(connection, instance_id)
        if row is None:
            raise NotFound(f"process instance {instance_id} not found")
        key = process_key or row.process_key
        links = diagram_links(services.definitions.get(row.definition_id), key)
        if links is None:
            raise NotFound(f"process instance {instance_id} runs no process {key!r}")
        definition = stored.definition_by_id(connection, row.definition_id)
        assert definition is not None  # an instance's definition is never deleted
        xml = stored.blobs(connection, {links.file: definition.files[links.file]})[links.file]
        timers = [timer_info(t) for t in queries.pending_timers(connection, instance_id)]
    element_states: dict[str, dict[str, dict[str, Any]]] = row.element_states or {}
    states: dict[str, dict[str, Any]] = {}
    for shown in (*sorted(links.embedded), key):  # the process's own states win over a namesake's
        states.update(element_states.get(shown, {}))
    drawn = {key, *links.embedded}
    return InstanceDiagram(
        instance_id=instance_id,
        process_key=key,
        version=row.version,
        top_process_key=row.process_key,
        xml=xml.decode("utf-8"),
        states=states,
        calls=dict(sorted(links.calls.items())),
        timers=[t for t in timers if t.process_key in drawn],
    )
