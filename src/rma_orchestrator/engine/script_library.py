"""The script library: the only callables sandboxed analyst code can reach.

Everything here is either a harmless builtin or a wrapper that refuses work whose size would let
one C-level call hold the GIL for seconds (a huge ``range``, ``int`` of a ``Decimal('1e999999')``,
``sum`` of lists). Names map to what scripts see; the sandbox exposes them like Python builtins.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from .sandbox_guards import MAX_INT_DIGITS, SandboxError

MAX_RANGE_ITEMS = 1_000_000

_CENT = Decimal("0.01")
_MONEY = Context(prec=60, rounding=ROUND_HALF_UP)


def _check_decimal_magnitude(value: object, what: str) -> None:
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() >= MAX_INT_DIGITS:
        raise SandboxError(f"{what} of a Decimal with more than {MAX_INT_DIGITS:,} digits is not allowed")


def bounded_range(*args: int) -> range:
    """``range`` that refuses more than ``MAX_RANGE_ITEMS`` items."""
    result = range(*args)
    try:
        size = len(result)
    except OverflowError:
        size = MAX_RANGE_ITEMS + 1
    if size > MAX_RANGE_ITEMS:
        raise SandboxError(f"range() with more than {MAX_RANGE_ITEMS:,} items is not allowed")
    return result


def numeric_sum(iterable: Iterable[Any], /, start: Any = 0) -> Any:
    """``sum`` for numbers and timedeltas only (summing lists is quadratic C-level work)."""
    if isinstance(start, bool) or not isinstance(start, int | float | Decimal | timedelta):
        raise SandboxError("sum() only adds numbers or timedeltas")
    return sum(iterable, start)


def guarded_round(number: Any, ndigits: int | None = None) -> Any:
    """``round`` that refuses to turn an astronomically large Decimal into an int."""
    if ndigits is None:
        _check_decimal_magnitude(number, "round()")
    return round(number, ndigits)


class _IntType(type):
    """Metaclass letting ``GuardedInt`` stand in for ``int`` in calls and ``isinstance`` checks."""

    def __call__(cls, value: Any = 0, *args: Any, **kwargs: Any) -> int:
        _check_decimal_magnitude(value, "int()")
        return int(value, *args, **kwargs)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, int)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, int)

    def __repr__(cls) -> str:
        return "<class 'int'>"


class GuardedInt(metaclass=_IntType):
    """``int`` for scripts: calls return real ints; ``isinstance(x, int)`` keeps working."""


def round_money(value: Any) -> str:
    """``value`` rounded half-up to two places as text, e.g. ``"12.50"`` (floats go through ``str``)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise TypeError(f"round_money() needs a number or numeric text, not {type(value).__name__}")
    amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"round_money() needs a finite amount, not {value!r}")
    rounded = amount.quantize(_CENT, rounding=ROUND_HALF_UP, context=_MONEY)
    return str(rounded.copy_abs() if rounded.is_zero() else rounded)


VETTED_FUNCTIONS: dict[str, object] = {
    "len": len,
    "min": min,
    "max": max,
    "sum": numeric_sum,
    "sorted": sorted,
    "abs": abs,
    "round": guarded_round,
    "str": str,
    "int": GuardedInt,
    "float": float,
    "bool": bool,
    "list": list,
    "dict": dict,
    "set": set,
    "tuple": tuple,
    "enumerate": enumerate,
    "zip": zip,
    "any": any,
    "all": all,
    "isinstance": isinstance,
    "range": bounded_range,
    "Decimal": Decimal,
    "datetime": datetime,
    "date": date,
    "timedelta": timedelta,
    "timezone": timezone,
    "round_money": round_money,
}
