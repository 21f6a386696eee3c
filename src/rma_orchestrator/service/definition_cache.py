"""Parsed specs by definition id: a version's files never change, so entries never go stale."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from ..engine.bundle import ProcessDefinition as ParsedDefinition
from ..engine.bundle import load_bundle
from ..errors import NotFound
from ..store import definitions as stored
from ..store.db import Database
from .step_workers import DefinitionSource


@dataclass(frozen=True)
class _Entry:
    parsed: ParsedDefinition
    source: DefinitionSource


class DefinitionCache:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._entries: dict[int, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, definition_id: int) -> ParsedDefinition:
        return self._entry(definition_id).parsed

    def source(self, definition_id: int) -> DefinitionSource:
        """The files the definition was built from, for a step worker to build it again."""
        return self._entry(definition_id).source

    def _entry(self, definition_id: int) -> _Entry:
        entry = self._entries.get(definition_id)
        if entry is not None:
            return entry
        with self._lock:
            entry = self._entries.get(definition_id)
            if entry is None:
                entry = self._load(definition_id)
                self._entries[definition_id] = entry
        return entry

    def _load(self, definition_id: int) -> _Entry:
        with self._database.reading() as connection:
            row = stored.definition_by_id(connection, definition_id)
            if row is None:
                raise NotFound(f"process definition {definition_id} not found")
            files = stored.blobs(connection, row.files)
        digest = hashlib.sha256()
        for name in sorted(files):
            digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
        digest.update(row.process_key.encode())
        parsed = load_bundle(files).processes[row.process_key]
        return _Entry(parsed, DefinitionSource(digest.hexdigest(), dict(files), row.process_key))
