"""What the managers' instance list shows: its filters, sort and page, read from URL parameters and
written back to them (so a link shares them), every bad value refused with its field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import InvalidData
from ..store import limits
from ..store.instance_search import SORT_KEYS, InstanceFilter, Order
from .inputs import text_problem
from .instances import STATUSES
from .paging import MAX_PAGE, MAX_PER_PAGE
from .tasks import CASE_KINDS, MAX_SEARCH

DEFAULT_SORT = "-started"  # the newest case first
PER_PAGE = 25
_TRUE, _FALSE = ("1", "true", "on"), ("", "0", "false")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Days whose bounds every zone and both databases can hold (date.min in UTC+8 starts the day before
# year 1, and the day after date.max does not exist).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
_NUMBER = re.compile(r"[0-9]{1,10}")


def url_day(value: str) -> date | None:
    """A day of a URL parameter written YYYY-MM-DD, None when empty; ValueError saying why not."""
    value = value.strip()
    if not value:
        return None
    try:
        if _DATE.fullmatch(value) and FIRST_DAY <= (found := date.fromisoformat(value)) <= LAST_DAY:
            return found
    except ValueError:
        pass
    raise ValueError(f"must be a date written YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}")


@dataclass(frozen=True)
class InstanceSearch:
    """The list's filters (empty: any), ``sort`` as a key of ``SORT_KEYS``, ``-`` first for descending."""

    status: str = ""
    kind: str = ""
    process: str = ""
    version: int | None = None
    step: str = ""
    overdue: bool = False
    breached: bool = False
    started_from: date | None = None
    started_to: date | None = None  # inclusive: the whole day
    q: str = ""
    reason: str = ""  # the case's reason (no_reason, wrong_item, ...)
    category: str = ""  # the product category
    sla: str = ""  # an SLA timer of this name fired
    outcome: str = ""  # the end event that finished the case
    sort: str = DEFAULT_SORT
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def filtered(self) -> bool:
        """Whether any filter is set (sort and paging aside)."""
        return any(v not in ("", None, False) for k, v in asdict(self).items() if k in _FILTERS)

    def params(self, **changes: Any) -> dict[str, str]:
        """This search with ``changes`` as URL parameters; defaults are left out, page 1 unless given."""
        values = {**asdict(self), "page": 1, **changes}
        defaults = asdict(InstanceSearch())
        return {name: _param(value) for name, value in values.items() if value != defaults[name] and value}

    def order(self) -> Order:
        return Order(self.sort.removeprefix("-"), descending=self.sort.startswith("-"))

    def where(self, now: datetime, business_tz: str) -> InstanceFilter:
        """The store's filter: whole days of the business time zone; overdue is due before ``now``."""
        zone = ZoneInfo(business_tz)

        def start_of(day: date | None) -> datetime | None:
            return datetime.combine(day, time(), zone) if day is not None else None

        return InstanceFilter(
            status=self.status or None,
            kind=self.kind or None,
            process_key=self.process or None,
            version=self.version,
            step=self.step or None,
            overdue_at=now if self.overdue else None,
            breached=self.breached,
            started_from=start_of(self.started_from),
            started_before=start_of(self.started_to + timedelta(days=1) if self.started_to else None),
            text=self.q or None,
            reason=self.reason or None,
            category=self.category or None,
            sla=self.sla or None,
            outcome=self.outcome or None,
        )


_FILTERS = (
    *("status", "kind", "process", "version", "step"),
    *("overdue", "breached", "started_from", "started_to", "q"),
    *("reason", "category", "sla", "outcome"),
)
SORTS = tuple(option for key in SORT_KEYS for option in (key, f"-{key}"))


def _param(value: Any) -> str:
    if value is True:
        return "1"
    return value.isoformat() if isinstance(value, date) else str(value)


def parse_search(args: Mapping[str, str]) -> InstanceSearch:
    """The search that URL parameters ``args`` ask for; InvalidData names every bad one at once."""
    problems: list[dict[str, str]] = []

    def refuse(field: str, message: str) -> None:
        problems.append({"field": field, "message": message})

    def one_of(field: str, allowed: tuple[str, ...], default: str = "") -> str:
        value = args.get(field, "").strip() or default
        if value not in allowed and value != default:
            refuse(field, f"must be one of {', '.join(allowed)}")
            return default
        return value

    def text(field: str, limit: int) -> str:
        value = args.get(field, "").strip()
        problem = text_problem(value, limit)
        if problem is not None:
            refuse(field, problem)
            return ""
        return value

    def flag(field: str) -> bool:
        value = args.get(field, "").strip().lower()
        if value not in _TRUE + _FALSE:
            refuse(field, "must be 1 or 0")
        return value in _TRUE

    def day(field: str) -> date | None:
        try:
            return url_day(args.get(field, ""))
        except ValueError as problem:
            refuse(field, str(problem))
            return None

    def number(field: str, largest: int, default: int | None) -> int | None:
        value = args.get(field, "").strip()
        if not value:
            return default
        if not _NUMBER.fullmatch(value) or not 1 <= int(value) <= largest:
            refuse(field, f"must be a whole number from 1 to {largest}")
            return default
        return int(value)

    search = InstanceSearch(
        status=one_of("status", STATUSES),
        kind=one_of("kind", CASE_KINDS),
        process=text("process", limits.PROCESS_KEY),
        version=number("version", limits.INSTANCE_ID, None),
        step=text("step", limits.ELEMENT_ID),
        overdue=flag("overdue"),
        breached=flag("breached"),
        started_from=day("started_from"),
        started_to=day("started_to"),
        q=text("q", MAX_SEARCH),
        reason=text("reason", limits.REASON),
        category=text("category", limits.PRODUCT_CATEGORY),
        sla=text("sla", limits.SLA_NAME),
        outcome=text("outcome", limits.ELEMENT_ID),
        sort=one_of("sort", SORTS, DEFAULT_SORT),
        page=number("page", MAX_PAGE, 1) or 1,
        per_page=number("per_page", MAX_PER_PAGE, PER_PAGE) or PER_PAGE,
    )
    if search.version is not None and not search.process:
        refuse("version", "a version needs a process")
    if search.started_from and search.started_to and search.started_to < search.started_from:
        refuse("started_to", "must not be before started_from")
    if problems:
        raise InvalidData("bad filters", problems)
    return search
