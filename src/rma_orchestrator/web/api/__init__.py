"""The JSON API under /api/v1: each view parses, calls one service function, returns its result.

The routes live in one module per resource; importing them here registers them on ``bp`` in the
order the OpenAPI document lists them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from .operations import operation

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@operation(bp, "get", "/openapi.json", summary="This document", returns=dict[str, Any], auth=False)
def openapi() -> Any:
    from ..openapi import openapi_document

    return jsonify(openapi_document())


# isort: off
# The routes register themselves on bp, in the order the OpenAPI document lists them.
from . import definition_routes  # noqa: E402
from . import draft_routes  # noqa: E402
from . import draft_scenario_routes  # noqa: E402
from . import instance_routes  # noqa: E402
from . import task_routes  # noqa: E402
from . import incident_routes  # noqa: E402
from . import attachment_routes  # noqa: E402
from . import product_routes  # noqa: E402
from . import batch_routes  # noqa: E402
from . import migration_routes  # noqa: E402
from . import calendar_routes  # noqa: E402
from . import timer_preview_routes  # noqa: E402

# isort: on

__all__ = [
    "attachment_routes",
    "batch_routes",
    "bp",
    "calendar_routes",
    "definition_routes",
    "draft_routes",
    "draft_scenario_routes",
    "incident_routes",
    "instance_routes",
    "migration_routes",
    "product_routes",
    "task_routes",
    "timer_preview_routes",
]
