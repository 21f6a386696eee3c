"""The staff's task pages: the inbox and one task with its case and form."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tasks", __name__)

from . import inbox, task_page  # noqa: E402,F401 - the views register themselves on bp
