"""A posted task form back to the JSON data its schema describes.

Every name is the dotted path ``render`` gave it. Posted text becomes the schema's types: integers and
numbers, ``true``/``false`` (an unticked checkbox is ``false``), lists from checkbox groups and from
``<path>.<n>.<field>`` rows in order, a ``datetime-local`` value plus the business time zone as an ISO
time with its offset; money stays a string. An empty optional field is left out, not sent as ``""``.
Text that does not parse (``"abc"`` for an integer) is kept as it was typed, so the page shows it
again, and reported in ``errors`` in the shape of ``InvalidData.problems``.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.datastructures import FileStorage, MultiDict

from ...service.forms import field_kind, json_type, ordered_properties, resolved
from .render import ADD_ROW, REMOVE_ROW, ROWS_SUFFIX

_INTEGER = re.compile(r"[-+]?[0-9]+")
_TRUE = frozenset({"true", "on", "1", "yes"})


@dataclass(frozen=True)
class RowAction:
    """A row button that was pressed: ``add`` a row to the array at ``path``, or ``remove`` the row at it."""

    action: str
    path: str


@dataclass
class ParsedForm:
    data: dict[str, Any]
    errors: list[dict[str, Any]]  # {field, keyword, params, message}, as InvalidData.problems
    row_action: RowAction | None = None
    files: dict[str, list[FileStorage]] = field(default_factory=dict)  # new uploads by file field path
    new_rows: dict[str, Any] = field(default_factory=dict)  # array path -> an empty row of it

    def rows_changed(self) -> dict[str, Any]:
        """The data with the pressed row button's change made (a copy; the data itself if none)."""
        if self.row_action is None:
            return self.data
        data = copy.deepcopy(self.data)
        action, path = self.row_action.action, self.row_action.path
        if action == "add" and path in self.new_rows:
            parent, key = _parent(data, path, create=True)
            if parent is not None:
                rows = parent[key] if isinstance(parent[key], list) else []
                rows.append(copy.deepcopy(self.new_rows[path]))
                parent[key] = rows
        elif action == "remove" and "." in path:
            array_path, _, index = path.rpartition(".")
            parent, key = _parent(data, array_path, create=False)
            rows = parent[key] if parent is not None else None
            if isinstance(rows, list) and index.isdigit() and int(index) < len(rows):
                del rows[int(index)]
        return data


def _parent(data: Any, path: str, create: bool) -> tuple[Any, Any]:
    """The container holding the value at dotted ``path`` and its key there; (None, None) if absent."""
    node = data
    parts = path.split(".")
    for part in parts[:-1]:
        key: Any = int(part) if isinstance(node, list) and part.isdigit() else part
        if isinstance(node, dict):
            if key not in node:
                if not create:
                    return None, None
                node[key] = {}
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return None, None
    last: Any = parts[-1]
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        return node, int(last)
    if isinstance(node, dict):
        if last not in node:
            if not create:
                return None, None
            node[last] = []
        return node, last
    return None, None


_MISSING = object()


class _Reader:
    def __init__(
        self,
        root: dict[str, Any],
        form: MultiDict[str, str],
        files: MultiDict[str, FileStorage],
        tz: ZoneInfo,
    ) -> None:
        self.root = root
        self.form = form
        self.files = files
        self.tz = tz
        self.errors: list[dict[str, Any]] = []
        self.uploads: dict[str, list[FileStorage]] = {}
        self.new_rows: dict[str, Any] = {}

    def error(self, name: str, keyword: str, params: dict[str, Any], message: str) -> None:
        self.errors.append({"field": name, "keyword": keyword, "params": params, "message": message})

    def value(self, node: Any, name: str, required: bool) -> Any:
        """The value at ``name``, or ``_MISSING`` when the field was left empty."""
        schema = resolved(node, self.root)
        kind = field_kind(schema, self.root) or "text"
        return getattr(self, f"_{kind}", self._text)(schema, name, required)

    def _object(self, schema: dict[str, Any], name: str, required: bool) -> Any:
        wanted = set(schema.get("required") or [])
        properties = schema.get("properties") or {}
        out = {}
        for key in ordered_properties(schema):
            child = self.value(properties[key], f"{name}.{key}" if name else key, key in wanted)
            if child is not _MISSING:
                out[key] = child
        return out if out or required else _MISSING

    def _row_count(self, name: str) -> int:
        counted = self.form.get(f"{name}.{ROWS_SUFFIX}", "")
        if counted.isdigit():
            return min(int(counted), 10_000)
        prefix = f"{name}."
        indices = [k[len(prefix) :].split(".", 1)[0] for k in self.form if k.startswith(prefix)]
        return max((int(i) + 1 for i in indices if i.isdigit()), default=0)

    def _rows(self, schema: dict[str, Any], name: str, required: bool) -> Any:
        items = schema.get("items")
        rows = [self.value(items, f"{name}.{index}", True) for index in range(self._row_count(name))]
        self.new_rows[name] = {}
        return rows if rows or required else _MISSING

    def _list(self, schema: dict[str, Any], name: str, required: bool) -> Any:
        items = schema.get("items")
        values = [self.value(items, f"{name}.{index}", False) for index in range(self._row_count(name))]
        self.new_rows[name] = ""
        kept = [v for v in values if v is not _MISSING]
        return kept if kept or required else _MISSING

    def _choices(self, schema: dict[str, Any], name: str, required: bool) -> Any:
        item_type = json_type(resolved(schema.get("items"), self.root))
        values = [_typed(text, item_type) for text in self.form.getlist(name)]
        return values if values or required else _MISSING

    def _file(self, schema: dict[str, Any], name: str, required: bool) -> Any:
        ids = []
        for text in self.form.getlist(name):
            if _INTEGER.fullmatch(text.strip()):
                ids.append(int(text))
        uploads = [f for f in self.files.getlist(name) if f.filename]
        if uploads:
            self.uploads[name] = uploads
        return ids if ids or required else _MISSING

    def _boolean(self, schema: dict[str, Any], name: str, required: bool) -> Any:
        return self.form.get(name, "").strip().lower() in _TRUE

    def _select(self, schema: dict[str, Any], name: str, required: bool) -> Any:
        text = self.form.get(name, "")
        return _typed(text, json_type(schema)) if text != "" else _MISSING

    _radio = _select

    def _integer(self, schema: dict[str, Any], name: str, required: bool) -> Any:
        text = self.form.get(name, "").strip()
        if text == "":
            return _MISSING
        value = _typed(text, schema.get("type"))
        if isinstance(value, str):
            kind = str(schema.get("type"))
            self.error(name, "type", {"type": kind}, f"{text!r} is not of type {kind!r}")
        return value

    _number = _integer

    def _datetime(self, schema: dict[str, Any], name: str, required: bool) -> Any:
        text = self.form.get(name, "").strip()
        if text == "":
            return _MISSING
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            self.error(name, "format", {"format": "date-time"}, f"{text!r} is not a 'date-time'")
            return text
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        return moment.isoformat()

    def _text(self, schema: dict[str, Any], name: str, required: bool) -> Any:
        text = self.form.get(name, "")
        return text.replace("\r\n", "\n") if text != "" else _MISSING


def _typed(text: str, kind: Any) -> Any:
    """``text`` as the JSON type ``kind`` (integer, number), or unchanged when it is not one."""
    stripped = text.strip()
    if kind == "integer" and _INTEGER.fullmatch(stripped):
        return int(stripped)
    if kind == "number":
        if _INTEGER.fullmatch(stripped):
            return int(stripped)
        try:
            number = float(stripped)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    return text


def parse_form(
    schema: dict[str, Any],
    form: MultiDict[str, str],
    tz_name: str,
    files: Mapping[str, Any] | None = None,
) -> ParsedForm:
    """The data of a posted form (``request.form``, and ``request.files`` for uploads), by ``schema``.

    ``tz_name`` is the business time zone a ``datetime-local`` value is read in. A pressed row button
    comes back as ``row_action``; show ``rows_changed()`` again instead of submitting.
    """
    uploads: MultiDict[str, FileStorage] = files if isinstance(files, MultiDict) else MultiDict(files or {})
    reader = _Reader(schema, form, uploads, ZoneInfo(tz_name))
    data = reader.value(schema, "", True)
    action = None
    if form.get(ADD_ROW):
        action = RowAction("add", form[ADD_ROW])
    elif form.get(REMOVE_ROW):
        action = RowAction("remove", form[REMOVE_ROW])
    return ParsedForm(
        data=data if isinstance(data, dict) else {},
        errors=reader.errors,
        row_action=action,
        files=reader.uploads,
        new_rows=reader.new_rows,
    )
