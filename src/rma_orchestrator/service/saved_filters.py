"""Saved inbox filters: each user names inbox queries of their own and finds them again."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from ..errors import InvalidData, NotFound
from ..store import limits
from ..store import saved_filters as stored
from .context import Actor, Services
from .inputs import check_text, text_problem
from .paging import MAX_PER_PAGE
from .results import SavedFilterInfo
from .rows import build
from .tasks import check_inbox_filters

# The inbox parameters a filter may keep (the page is where one is, not what one looks for).
FILTER_PARAMETERS = ("view", "assignee", "group", "kind", "status", "overdue", "q", "per_page")
MAX_FILTERS = 50  # per user


def list_filters(services: Services, actor: Actor) -> list[SavedFilterInfo]:
    """The actor's own filters, by name."""
    with services.database.reading() as connection:
        return [build(SavedFilterInfo, row) for row in stored.filters_of(connection, actor.name)]


def save_filter(services: Services, name: str, query: str, actor: Actor) -> SavedFilterInfo:
    """Keep ``query`` under ``name`` for the actor; a filter of the same name is replaced."""
    _check_name(name)
    query = normal_query(query)
    with services.clock.pinned() as now, services.uow() as uow:
        if uow.saved_filters.others(actor.name, name) >= MAX_FILTERS:
            raise InvalidData(
                "too many saved filters",
                [{"field": "name", "message": f"at most {MAX_FILTERS} filters each; delete one first"}],
            )
        created_at = uow.saved_filters.save(actor.name, name, query, now)
        uow.commit()
    return SavedFilterInfo(name, query, created_at)


def delete_filter(services: Services, name: str, actor: Actor) -> None:
    """Drop the actor's filter ``name`` (NotFound when they have none of that name)."""
    if text_problem(name, limits.FILTER_NAME) is not None:
        raise NotFound(f"no saved filter named {name!r}")
    with services.uow() as uow:
        if not uow.saved_filters.delete(actor.name, name):
            raise NotFound(f"no saved filter named {name!r}")
        uow.commit()


def normal_query(query: str) -> str:
    """``query`` checked (known inbox parameters, each once, values the inbox takes) and re-encoded."""
    check_text("query", query, limits.FILTER_QUERY, required=False)
    try:
        pairs = parse_qsl(query.removeprefix("?"), keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise InvalidData("bad query", [{"field": "query", "message": "not a URL query string"}]) from None
    problems = []
    seen: dict[str, str] = {}
    for key, value in pairs:
        if key not in FILTER_PARAMETERS:
            known = ", ".join(FILTER_PARAMETERS)
            problems.append({"field": "query", "message": f"unknown parameter {key!r}; one of {known}"})
        elif key in seen:
            problems.append({"field": "query", "message": f"{key} given twice"})
        seen[key] = value
    if problems:
        raise InvalidData("bad query", problems)
    _check_values(seen)
    normal = urlencode(pairs)
    check_text("query", normal, limits.FILTER_QUERY, required=False)
    return normal


def _check_values(values: dict[str, str]) -> None:
    """The values as the inbox would read them; an empty value counts as not given."""
    try:
        check_inbox_filters(
            view=values.get("view") or None,
            assignee=values.get("assignee") or None,
            group=values.get("group") or None,
            kind=values.get("kind") or None,
            status=values.get("status") or None,
            q=(values.get("q") or "").strip() or None,
        )
    except InvalidData as error:
        raise InvalidData(
            "bad query", [{"field": "query", "message": f"{e['field']}: {e['message']}"} for e in error.items]
        ) from None
    per_page = values.get("per_page")
    if per_page and not (per_page.isdigit() and 1 <= int(per_page) <= MAX_PER_PAGE):
        message = f"per_page: must be 1..{MAX_PER_PAGE}"
        raise InvalidData("bad query", [{"field": "query", "message": message}])


def _check_name(name: str) -> None:
    check_text("name", name, limits.FILTER_NAME)
    if not name.strip():
        raise InvalidData("bad name", [{"field": "name", "message": "a filter needs a name"}])
