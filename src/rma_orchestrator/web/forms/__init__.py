"""Task forms on staff pages: render a form's JSON Schema as HTML, read the posted form back as data, and
phrase field errors in the page's language. The page calls ``render_form``, ``parse_form`` and
``field_errors``; nothing here knows about routes or sign-in."""

from __future__ import annotations

from .messages import field_errors, form_texts, phrase
from .parse import ParsedForm, RowAction, parse_form
from .render import ADD_ROW, REMOVE_ROW, build_form, field_id, render_form

__all__ = [
    "ADD_ROW",
    "REMOVE_ROW",
    "ParsedForm",
    "RowAction",
    "build_form",
    "field_errors",
    "field_id",
    "form_texts",
    "parse_form",
    "phrase",
    "render_form",
]
