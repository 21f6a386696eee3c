"""API operations declared once: the route, its request body type and its result type.

``operation`` registers a Flask view and records what it takes and answers; the view
returns a service result, which is serialised from its type, and ``openapi.py`` builds the
document from the same record, so the served shapes and the documented ones cannot drift.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, request
from pydantic import TypeAdapter, ValidationError

from ...errors import InvalidData

T = TypeVar("T")
View = Callable[..., Any]


@dataclass(frozen=True)
class Multipart:
    """A multipart/form-data request body: the JSON Schema of each part, and which must be sent."""

    parts: dict[str, dict[str, Any]]
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class RawBody:
    """A request body taken as it comes (a file's bytes), documented as binary of ``media_type``."""

    media_type: str = "application/octet-stream"
    description: str = ""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as in OpenAPI: /tasks/{task_id}
    summary: str
    status: int
    returns: Any  # the result type; None for a non-JSON answer
    errors: tuple[int, ...]
    body: Any  # the JSON body type, a Multipart, a RawBody, or None
    query: dict[str, dict[str, Any]]  # query parameter -> its JSON Schema
    headers: dict[str, dict[str, Any]]  # required request header -> its JSON Schema
    path_types: dict[str, str]  # path parameter -> "integer" | "string"
    auth: bool
    media_type: str
    also: tuple[int, ...]  # other success statuses answering the same type
    also_media: tuple[str, ...]  # other media types a success may answer (files of several types)


OPERATIONS: list[Operation] = []
# The largest request body the app reads (deploy uploads included); a larger one answers 413.
MAX_BODY_BYTES = 32 * 1024 * 1024
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def operation(
    bp: Blueprint,
    method: str,
    rule: str,
    *,
    summary: str,
    returns: Any,
    status: int = 200,
    errors: tuple[int, ...] = (),
    body: Any = None,
    query: dict[str, dict[str, Any]] | None = None,
    headers: dict[str, dict[str, Any]] | None = None,
    auth: bool = True,
    media_type: str = "application/json",
    also: tuple[int, ...] = (),
    also_media: tuple[str, ...] = (),
) -> Callable[[View], View]:
    """Register ``view`` at ``rule``; it returns a result of type ``returns`` (or ``(result, status)``,
    or ``(result, status, headers)``)."""
    adapter: TypeAdapter[Any] | None = (
        TypeAdapter(returns) if returns is not None and media_type == "application/json" else None
    )

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def answer(**kwargs: Any) -> Any:
            value = view(**kwargs)
            code, headers = status, None
            if isinstance(value, tuple):
                value, code, *more = value
                headers = more[0] if more else None
            if isinstance(value, Response) or adapter is None:
                return value
            return Response(adapter.dump_json(value), code, headers=headers, mimetype="application/json")

        bp.add_url_rule(rule, view.__name__, answer, methods=[method.upper()])
        prefix = bp.url_prefix or ""
        OPERATIONS.append(
            Operation(
                method=method.lower(),
                path=_CONVERTER.sub(r"{\2}", rule),
                summary=summary,
                status=status,
                returns=returns,
                errors=errors,
                body=body,
                query=query or {},
                headers=headers or {},
                path_types={
                    name: "integer" if converter == "int" else "string"
                    for converter, name in _CONVERTER.findall(prefix + rule)
                },
                auth=auth,
                media_type=media_type,
                also=also,
                also_media=also_media,
            )
        )
        return answer

    return decorator


@functools.cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


class _NotJson(ValueError):
    """A token Python's json module accepts but JSON does not have."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not JSON; send a number, a string or null")


def _json_body() -> Any:
    """The body decoded as strict JSON (no NaN or Infinity), or None when it is not JSON.

    Flask's own ``get_json`` lets a ``RecursionError`` from a deeply nested body escape as a
    500 and accepts ``NaN``; both are refused here with a 400 before anything runs.
    """
    if not request.is_json:
        return None
    try:
        return json.loads(request.get_data(cache=True), parse_constant=_refuse_constant)
    except RecursionError:
        raise InvalidData(
            "the body is nested too deeply", [{"field": "", "message": "the JSON body is nested too deeply"}]
        ) from None
    except _NotJson as error:
        raise InvalidData("the body is not JSON", [{"field": "", "message": str(error)}]) from None
    except ValueError:
        return None


def parse_body(kind: type[T], required: bool = True) -> T:
    """The request's JSON body as ``kind``; InvalidData with one ``{field, message}`` per problem."""
    body = _json_body()
    if body is None and not required and not request.get_data():
        body = {}
    if not isinstance(body, dict):
        raise InvalidData("send a JSON object body", [{"field": "", "message": "body must be a JSON object"}])
    try:
        value: T = _adapter(cast(Hashable, kind)).validate_python(body)
    except ValidationError as error:
        problems = [
            {"field": ".".join(str(part) for part in item["loc"]), "message": item["msg"]}
            for item in error.errors(include_url=False)
        ]
        raise InvalidData("the request body does not fit", problems) from None
    return value
