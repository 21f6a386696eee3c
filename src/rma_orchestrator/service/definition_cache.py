"""Parsed specs by definition id: a version's files never change, so entries never go stale."""

from __future__ import annotations

import threading

from ..engine.bundle import ProcessDefinition as ParsedDefinition
from ..engine.bundle import load_bundle
from ..errors import NotFound
from ..store import definitions as stored
from ..store.db import Database


class DefinitionCache:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._parsed: dict[int, ParsedDefinition] = {}
        self._lock = threading.Lock()

    def get(self, definition_id: int) -> ParsedDefinition:
        parsed = self._parsed.get(definition_id)
        if parsed is not None:
            return parsed
        with self._lock:
            parsed = self._parsed.get(definition_id)
            if parsed is None:
                parsed = self._load(definition_id)
                self._parsed[definition_id] = parsed
        return parsed

    def _load(self, definition_id: int) -> ParsedDefinition:
        with self._database.reading() as connection:
            row = stored.definition_by_id(connection, definition_id)
            if row is None:
                raise NotFound(f"process definition {definition_id} not found")
            files = stored.blobs(connection, row.files)
        return load_bundle(files).processes[row.process_key]
