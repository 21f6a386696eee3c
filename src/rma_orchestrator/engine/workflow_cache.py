"""Live workflows (or where they are kept) between commands, so a command on a recent case skips the restore.

An entry is valid for one revision of its instance. A command takes its workflow out when it
locks the instance and puts it back only after its transaction committed, so a rollback
leaves nothing half-changed behind, and another process's write (a newer revision) is
never mistaken for ours.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

Live = TypeVar("Live")


class WorkflowCache(Generic[Live]):
    """At most ``size`` entries, least recently used out first; ``size`` 0 keeps none."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[int, tuple[int, Live]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: int, revision: int) -> Live | None:
        """Remove and return the workflow of ``instance_id`` if it is the one at ``revision``."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
        if entry is None or entry[0] != revision:
            return None
        return entry[1]

    def put(self, instance_id: int, revision: int, workflow: Live) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[instance_id] = (revision, workflow)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
