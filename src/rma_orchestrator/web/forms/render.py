"""A task form as HTML: the schema and the current data become a tree of small field views, and the Jinja
macros of ``templates/forms/fields.html`` write them out.

Field names are dotted paths of the data (``customer.name``, ``quote_parts.0.unit_price``), which is what
``parse.parse_form`` reads back and what the service's field errors name. Ids are derived from them and
safe in HTML and CSS (``f-customer-name``). Everything is escaped by the template's autoescape.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from markupsafe import Markup

from ...service.forms import FILE_ACCEPT, field_kind, ordered_properties, resolved
from ..bilingual import pick
from .messages import form_texts

ADD_ROW = "_add_row"  # submit buttons: the value is the dotted path of the array (add) or of the row (remove)
REMOVE_ROW = "_remove_row"
ROWS_SUFFIX = "_rows"  # hidden "<array path>._rows": how many rows the page shows
TEXT_INPUTS = {"text": "text", "money": "text", "date": "date", "datetime": "datetime-local"}
FORMAT_INPUTS = {"email": "email", "uri": "url"}


@dataclass
class Option:
    value: str
    label: str
    selected: bool
    id: str = ""


@dataclass
class Attachment:
    id: int
    name: str


@dataclass
class Field:
    """One thing the page shows: an input, a group of choices, a fieldset, or a list of rows."""

    kind: str  # text textarea money date datetime integer number boolean select radio choices file
    # object rows list row
    name: str
    id: str
    label: str
    description: str = ""
    help: str = ""
    placeholder: str = ""
    required: bool = False
    readonly: bool = False
    value: str = ""
    checked: bool = False
    input_type: str = "text"
    inputmode: str = ""
    attrs: dict[str, str] = field(default_factory=dict)  # min, max, step, minlength, maxlength
    options: list[Option] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    accept: str = FILE_ACCEPT
    file_kind: str = ""
    errors: list[str] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)
    can_add: bool = False
    can_remove: bool = False
    tz: str = ""

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def help_id(self) -> str:
        return f"{self.id}-help"

    @property
    def describedby(self) -> str:
        """The ids of what explains this field: its help text, then its errors."""
        ids = [self.help_id] if self.description or self.help else []
        return " ".join([*ids, self.error_id] if self.errors else ids)

    @property
    def rows_name(self) -> str:
        return f"{self.name}.{ROWS_SUFFIX}" if self.name else ROWS_SUFFIX


@dataclass
class Form:
    fields: list[Field]
    errors: list[str]  # errors of the whole form, or of a field the page does not show
    text: dict[str, str] = field(default_factory=dict)  # the form's own words (messages.form_texts)
    add_row: str = ADD_ROW
    remove_row: str = REMOVE_ROW


def field_id(name: str) -> str:
    """An HTML id for the dotted ``name``: letters, digits, ``-`` and ``_`` only, never empty."""
    safe = re.sub(r"[^A-Za-z0-9_-]", lambda m: "-" if m.group() == "." else f"_{ord(m.group()):x}_", name)
    return f"f-{safe}" if safe else "f-form"


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


class _Builder:
    def __init__(
        self,
        root: dict[str, Any],
        errors: Iterable[Mapping[str, Any]],
        locale: object,
        tz: ZoneInfo,
        attachment_names: Mapping[int, str],
    ) -> None:
        self.root = root
        self.locale = locale
        self.tz = tz
        self.attachment_names = attachment_names
        self.errors: dict[str, list[str]] = {}
        for item in errors:
            self.errors.setdefault(str(item.get("field") or ""), []).append(str(item.get("message", "")))
        self.shown: set[str] = set()

    def text(self, value: Any) -> str:
        return pick(value, self.locale) if isinstance(value, str) else ""

    def build(self, node: Any, name: str, value: Any, required: bool, label: str = "") -> Field:
        schema = resolved(node, self.root)
        kind = field_kind(schema, self.root) or "text"
        self.shown.add(name)
        view = Field(
            kind=kind,
            name=name,
            id=field_id(name),
            label=self.text(schema.get("title")) or label or name.rsplit(".", 1)[-1],
            description=self.text(schema.get("description")),
            help=self.text(schema.get("ui:help")),
            placeholder=self.text(schema.get("ui:placeholder")),
            required=required,
            readonly=bool(schema.get("ui:readonly") or schema.get("readOnly")),
            errors=list(self.errors.get(name, [])),
        )
        if value is None and "default" in schema:
            value = schema["default"]
        getattr(self, f"_{kind}", self._scalar)(view, schema, value)
        return view

    # ---- groups

    def _object(self, view: Field, schema: dict[str, Any], value: Any) -> None:
        value = value if isinstance(value, dict) else {}
        required = set(schema.get("required") or [])
        properties = schema.get("properties") or {}
        view.children = [
            self.build(properties[key], _join(view.name, key), value.get(key), key in required, key)
            for key in ordered_properties(schema)
        ]

    def _rows(self, view: Field, schema: dict[str, Any], value: Any) -> None:
        items = value if isinstance(value, list) else []
        count = len(items)
        view.can_add = not view.readonly and count < schema.get("maxItems", count + 1)
        removable = not view.readonly and count > schema.get("minItems", 0)
        item_schema = schema.get("items")
        for index, item in enumerate(items):
            row = self.build(item_schema, _join(view.name, index), item, True, view.label)
            row.label = f"{row.label} {index + 1}"
            if view.kind == "rows":
                row.kind = "row"
            row.can_remove = removable
            view.children.append(row)

    _list = _rows

    def _choices(self, view: Field, schema: dict[str, Any], value: Any) -> None:
        chosen = {_plain(v) for v in value} if isinstance(value, list) else set()
        enum = resolved(schema.get("items"), self.root).get("enum") or []
        view.options = [
            Option(_plain(v), self._option_label(schema, v), _plain(v) in chosen, f"{view.id}-{i}")
            for i, v in enumerate(enum)
        ]

    def _option_label(self, schema: dict[str, Any], value: Any) -> str:
        """An enum value's ``ui:labels`` entry in the page's language, else the value itself."""
        labels = schema.get("ui:labels")
        label = labels.get(_plain(value)) if isinstance(labels, dict) else None
        return self.text(label) if isinstance(label, str) else _plain(value)

    def _file(self, view: Field, schema: dict[str, Any], value: Any) -> None:
        values = value if isinstance(value, list) else []
        ids = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        view.attachments = [Attachment(i, self.attachment_names.get(i, f"#{i}")) for i in ids]
        view.file_kind = str(schema.get("ui:kind") or "")

    # ---- single values

    def _boolean(self, view: Field, schema: dict[str, Any], value: Any) -> None:
        view.checked = value is True or (isinstance(value, str) and value.lower() in ("true", "on", "1"))
        view.value = "true"
        view.required = view.required and schema.get("const") is True  # an unticked box is an answer

    def _select(self, view: Field, schema: dict[str, Any], value: Any) -> None:
        current = _plain(value) if value is not None else ""
        view.value = current
        view.options = [
            Option(_plain(v), self._option_label(schema, v), _plain(v) == current, f"{view.id}-{i}")
            for i, v in enumerate(schema.get("enum") or [])
        ]

    _radio = _select

    def _scalar(self, view: Field, schema: dict[str, Any], value: Any) -> None:
        view.value = _plain(value) if value is not None else ""
        view.input_type = TEXT_INPUTS.get(view.kind, "text")
        fmt = schema.get("format")
        if view.kind == "text" and isinstance(fmt, str):
            view.input_type = FORMAT_INPUTS.get(fmt, "text")
        for keyword, attr in (("minLength", "minlength"), ("maxLength", "maxlength")):
            if isinstance(schema.get(keyword), int) and view.kind in ("text", "textarea"):
                view.attrs[attr] = str(schema[keyword])
        if view.kind == "money":
            view.inputmode = "decimal"
        elif view.kind == "datetime":
            view.value = _local(value, self.tz)
            view.attrs["step"] = "1"
            view.tz = str(self.tz.key)

    def _integer(self, view: Field, schema: dict[str, Any], value: Any) -> None:
        view.value = _plain(value) if value is not None else ""
        view.input_type = "number"
        view.inputmode = "numeric" if view.kind == "integer" else "decimal"
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if isinstance(low, int | float):
            view.attrs["min"] = _plain(low)
        if isinstance(high, int | float):
            view.attrs["max"] = _plain(high)
        step = schema.get("multipleOf")
        view.attrs["step"] = (
            _plain(step) if isinstance(step, int | float) else ("1" if view.kind == "integer" else "any")
        )

    _number = _integer


def _plain(value: Any) -> str:
    """A value as an input shows it (JSON's spelling for booleans and null)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _local(value: Any, tz: ZoneInfo) -> str:
    """An ISO date-time as the ``datetime-local`` value in the business time zone; other text unchanged."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value  # what was typed, kept for the person to correct
    if moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    return moment.strftime("%Y-%m-%dT%H:%M:%S" if moment.second else "%Y-%m-%dT%H:%M")


def build_form(
    schema: dict[str, Any],
    data: Mapping[str, Any] | None,
    errors: Iterable[Mapping[str, Any]] = (),
    locale: object = "en",
    tz_name: str = "UTC",
    attachment_names: Mapping[int, str] | None = None,
) -> Form:
    """The field views of ``schema`` filled with ``data`` (typed data, or a parse's data with what was
    typed kept where it did not parse)."""
    builder = _Builder(schema, errors, locale, ZoneInfo(tz_name), attachment_names or {})
    top = builder.build(schema, "", dict(data or {}), True)
    unshown = [m for name, messages in builder.errors.items() if name not in builder.shown for m in messages]
    return Form(fields=top.children, errors=[*top.errors, *unshown])


def render_form(
    schema: dict[str, Any],
    data: Mapping[str, Any] | None,
    errors: Iterable[Mapping[str, Any]] = (),
    locale: object = "en",
    attachment_names: Mapping[int, str] | None = None,
    tz_name: str | None = None,
) -> Markup:
    """The form's fields as HTML (no ``<form>`` element, no buttons but the row ones), in ``locale``.

    Call it inside an app context. ``errors`` are ``{field, message}`` items already in the page's
    language (``messages.field_errors``); ``tz_name`` defaults to the app's business time zone.
    """
    if tz_name is None:
        services = current_app.extensions.get("rma")
        tz_name = services.settings.business_tz if services is not None else "UTC"
    form = build_form(schema, data, errors, locale, tz_name, attachment_names)
    form.text = form_texts(locale)
    template = current_app.jinja_env.get_template("forms/fields.html")
    return Markup(template.module.form(form))  # type: ignore[attr-defined]
