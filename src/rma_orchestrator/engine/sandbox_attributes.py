"""Per-type attribute allow-lists and the guarded getattr that sandbox-compiled code calls.

Attribute access is the sandbox's main escape route (``__class__``, frames, generators), so reads
are allowed by name and type only; methods that can build huge strings or lists are wrapped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from datetime import time as dt_time
from decimal import Decimal
from typing import Any

from .sandbox_guards import MAX_FORMAT_SPEC, MAX_SEQUENCE_LEN, refuse

_Factory = Callable[[Any], Any]  # bound method of an allowed object -> what scripts get instead


# ---- size-checking method wrappers --------------------------------------------------------------


def _too_long(size: int, what: str) -> None:
    if size > MAX_SEQUENCE_LEN:
        refuse(f"{what} producing more than {MAX_SEQUENCE_LEN:,} characters is not allowed")


def _padding(method: str) -> _Factory:
    def bind(text: str) -> Callable[..., str]:
        bound: Callable[..., str] = getattr(text, method)

        def padded(width: Any, *args: Any) -> str:
            if isinstance(width, int):
                _too_long(width, f"str.{method}()")
            return bound(width, *args)

        return padded

    return bind


def _expandtabs(text: str) -> Callable[..., str]:
    def expandtabs(tabsize: Any = 8) -> str:
        if isinstance(tabsize, int) and tabsize > 0:
            _too_long(len(text) + text.count("\t") * tabsize, "str.expandtabs()")
        return text.expandtabs(tabsize)

    return expandtabs


def _replace(text: str) -> Callable[..., str]:
    def replace(old: Any, new: Any, count: Any = -1) -> str:
        if isinstance(old, str) and isinstance(new, str) and isinstance(count, int) and len(new) > len(old):
            hits = text.count(old) if old else len(text) + 1
            if count >= 0:
                hits = min(hits, count)
            _too_long(len(text) + hits * (len(new) - len(old)), "str.replace()")
        return text.replace(old, new, count)

    return replace


def _join(text: str) -> Callable[..., str]:
    def join(iterable: Any) -> str:
        items = list(iterable)
        try:
            size = sum(map(len, items)) + len(text) * max(len(items) - 1, 0)
        except TypeError:
            return text.join(items)  # raises the usual error for non-strings
        _too_long(size, "str.join()")
        return text.join(items)

    return join


def _extend(target: list[Any]) -> Callable[[Any], None]:
    def extend(iterable: Any) -> None:
        try:
            too_long = len(target) + len(iterable) > MAX_SEQUENCE_LEN
        except TypeError:  # no length up front (an iterator): nothing to check
            too_long = False
        if too_long:
            refuse(f"lists longer than {MAX_SEQUENCE_LEN:,} items are not allowed")
        target.extend(iterable)

    return extend


def _strftime(moment: date | dt_time) -> Callable[[Any], str]:
    def strftime(pattern: Any) -> str:
        if isinstance(pattern, str) and len(pattern) > MAX_FORMAT_SPEC:
            refuse(f"strftime patterns longer than {MAX_FORMAT_SPEC:,} characters are not allowed")
        return moment.strftime(pattern)

    return strftime


# ---- allow-lists --------------------------------------------------------------------------------


def _rules(plain: Iterable[str], wrapped: Mapping[str, _Factory] | None = None) -> dict[str, _Factory | None]:
    rules: dict[str, _Factory | None] = dict.fromkeys(plain)
    rules.update(wrapped or {})
    return rules


_STR_METHODS = (
    "capitalize",
    "casefold",
    "count",
    "endswith",
    "find",
    "index",
    "isalnum",
    "isalpha",
    "isascii",
    "isdecimal",
    "isdigit",
    "isidentifier",
    "islower",
    "isnumeric",
    "isprintable",
    "isspace",
    "istitle",
    "isupper",
    "lower",
    "lstrip",
    "partition",
    "removeprefix",
    "removesuffix",
    "rfind",
    "rindex",
    "rpartition",
    "rsplit",
    "rstrip",
    "split",
    "splitlines",
    "startswith",
    "strip",
    "swapcase",
    "title",
    "upper",
)
_SET_METHODS = (
    "copy",
    "difference",
    "intersection",
    "isdisjoint",
    "issubset",
    "issuperset",
    "symmetric_difference",
    "union",
)
_SET_MUTATORS = (
    "add",
    "clear",
    "difference_update",
    "discard",
    "intersection_update",
    "pop",
    "remove",
    "symmetric_difference_update",
    "update",
)
_DECIMAL_METHODS = (
    "adjusted",
    "canonical",
    "compare",
    "compare_total",
    "copy_abs",
    "copy_negate",
    "copy_sign",
    "exp",
    "fma",
    "imag",
    "is_finite",
    "is_infinite",
    "is_nan",
    "is_normal",
    "is_qnan",
    "is_signed",
    "is_snan",
    "is_subnormal",
    "is_zero",
    "ln",
    "log10",
    "logb",
    "max",
    "max_mag",
    "min",
    "min_mag",
    "next_minus",
    "next_plus",
    "next_toward",
    "normalize",
    "quantize",
    "real",
    "remainder_near",
    "same_quantum",
    "scaleb",
    "sqrt",
    "to_eng_string",
    "to_integral",
    "to_integral_exact",
    "to_integral_value",
)
_DATE_METHODS = (
    "year",
    "month",
    "day",
    "replace",
    "isoformat",
    "weekday",
    "isoweekday",
    "isocalendar",
    "toordinal",
    "ctime",
)
_TIME_FIELDS = ("hour", "minute", "second", "microsecond", "tzinfo", "fold", "utcoffset", "tzname", "dst")
_IsoCalendarDate = type(date(2000, 1, 1).isocalendar())

_INSTANCE_RULES: dict[type, dict[str, _Factory | None]] = {
    str: _rules(
        _STR_METHODS,
        {
            "center": _padding("center"),
            "ljust": _padding("ljust"),
            "rjust": _padding("rjust"),
            "zfill": _padding("zfill"),
            "expandtabs": _expandtabs,
            "replace": _replace,
            "join": _join,
        },
    ),
    list: _rules(
        ["append", "clear", "copy", "count", "index", "insert", "pop", "remove", "reverse", "sort"],
        {"extend": _extend},
    ),
    dict: _rules(
        ["clear", "copy", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values"]
    ),
    set: _rules(_SET_METHODS + _SET_MUTATORS),
    frozenset: _rules(_SET_METHODS),
    tuple: _rules(("count", "index")),
    _IsoCalendarDate: _rules(("year", "week", "weekday", "count", "index")),
    int: _rules(
        (
            "as_integer_ratio",
            "bit_count",
            "bit_length",
            "conjugate",
            "denominator",
            "imag",
            "numerator",
            "real",
        )
    ),
    float: _rules(["as_integer_ratio", "conjugate", "hex", "imag", "is_integer", "real"]),
    Decimal: _rules(_DECIMAL_METHODS),
    datetime: _rules(
        _DATE_METHODS + _TIME_FIELDS + ("date", "time", "timetz", "astimezone", "timestamp"),
        {"strftime": _strftime},
    ),
    date: _rules(_DATE_METHODS, {"strftime": _strftime}),
    dt_time: _rules(_TIME_FIELDS + ("replace", "isoformat"), {"strftime": _strftime}),
    timedelta: _rules(("days", "seconds", "microseconds", "total_seconds")),
    timezone: _rules(("utcoffset", "tzname", "dst")),
    BaseException: _rules(("args",)),
}

# Attributes of the classes themselves (``datetime.fromisoformat``, ``str.lower`` as a sort key).
# No wall-clock readers (``now``, ``today``): the service's clock is the one source of "now".
_CLASS_RULES: dict[type, dict[str, _Factory | None]] = {
    str: _rules(_STR_METHODS),
    dict: _rules(("fromkeys",)),
    Decimal: _rules(("from_float",)),
    datetime: _rules(
        ["combine", "fromisocalendar", "fromisoformat", "fromordinal", "strptime", "min", "max", "resolution"]
    ),
    date: _rules(["fromisocalendar", "fromisoformat", "fromordinal", "min", "max", "resolution"]),
    timedelta: _rules(("min", "max", "resolution")),
    timezone: _rules(("utc", "min", "max")),
}

_NO_RULES: dict[str, _Factory | None] = {}
_RULES_BY_TYPE: dict[type, dict[str, _Factory | None]] = dict(_INSTANCE_RULES)


def _rules_for(kind: type) -> dict[str, _Factory | None]:
    """Rules of the nearest allow-listed base class (``bool`` -> ``int``); none for anything else."""
    rules = next((_INSTANCE_RULES[base] for base in kind.__mro__ if base in _INSTANCE_RULES), _NO_RULES)
    _RULES_BY_TYPE[kind] = rules
    return rules


def guarded_getattr(obj: Any, name: str) -> Any:
    """Attribute reads are allow-listed per type; generators, frames, functions etc. have none."""
    kind = type(obj)
    rules: dict[str, _Factory | None] | None
    if kind is type:
        rules = _CLASS_RULES.get(obj, _NO_RULES)
    else:
        rules = _RULES_BY_TYPE.get(kind)
        if rules is None:
            rules = _rules_for(kind)
    try:
        factory = rules[name]
    except (KeyError, TypeError):
        owner = obj.__name__ if isinstance(obj, type) else kind.__name__
        if name in ("format", "format_map") and (obj is str or isinstance(obj, str)):
            refuse("str.format() and str.format_map() are not allowed in sandboxed scripts; use f-strings")
        refuse(f"'{owner}.{name}' is not available in sandboxed scripts")
    return getattr(obj, name) if factory is None else factory(obj)
