"""Helpers that sandbox-compiled code calls for operators, item writes, ``except`` blocks and ``print``.

Operators run in C and hold the GIL, where the trace-based time limit cannot stop them, so the
helpers refuse results too big to build quickly instead of computing them.
"""

from __future__ import annotations

import operator
import re
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, NoReturn

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

MAX_SEQUENCE_LEN = 10_000_000  # items (or characters) one operation may produce
MAX_INT_BITS = 100_000  # size of an int one operation may produce
MAX_INT_DIGITS = 30_000  # digits of a Decimal that int() may expand (Decimal -> int is quadratic)
MAX_FORMAT_WIDTH = 10_000  # width / precision in format specs and %-formatting
MAX_FORMAT_SPEC = 1_000  # length of a format spec or strftime pattern
MAX_PRINTED = 100_000  # characters of print() output kept for ``printed``


class SandboxError(Exception):
    """Code rejected or stopped by the sandbox."""


class ScriptTimeout(SandboxError):
    """Code ran past the sandbox's time limit."""


def refuse(message: str) -> NoReturn:
    raise SandboxError(message)


# ---- operators ----------------------------------------------------------------------------------

_SEQUENCES = (str, list, tuple)
_SIZED = (str, list, tuple, dict, set, frozenset, range)


def _refuse_big_int() -> NoReturn:
    refuse(f"integers larger than {MAX_INT_BITS:,} bits are not allowed")


def _check_concat(left: Any, right: Any) -> None:
    if (
        isinstance(left, _SEQUENCES)
        and isinstance(right, _SIZED)
        and len(left) + len(right) > MAX_SEQUENCE_LEN
    ):
        refuse(f"a result longer than {MAX_SEQUENCE_LEN:,} items is not allowed")


def _check_mul(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            _refuse_big_int()
        return
    sequence, count = (left, right) if isinstance(left, _SEQUENCES) else (right, left)
    if (
        isinstance(sequence, _SEQUENCES)
        and isinstance(count, int)
        and len(sequence) * count > MAX_SEQUENCE_LEN
    ):
        refuse(f"repeating a sequence beyond {MAX_SEQUENCE_LEN:,} items is not allowed")


def _add(left: Any, right: Any) -> Any:
    _check_concat(left, right)
    return left + right


def _mul(left: Any, right: Any) -> Any:
    _check_mul(left, right)
    return left * right


def _iadd(left: Any, right: Any) -> Any:
    _check_concat(left, right)
    left += right
    return left


def _imul(left: Any, right: Any) -> Any:
    _check_mul(left, right)
    left *= right
    return left


def _pow(base: Any, exponent: Any) -> Any:
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 0
        and base.bit_length() * exponent > MAX_INT_BITS
        and base not in (1, -1)
    ):
        _refuse_big_int()
    return base**exponent


def _lshift(value: Any, shift: Any) -> Any:
    if (
        isinstance(value, int)
        and isinstance(shift, int)
        and value
        and value.bit_length() + shift > MAX_INT_BITS
    ):
        _refuse_big_int()
    return value << shift


# ---- formatting ---------------------------------------------------------------------------------

_PRINTF_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.S)
_DIGIT_RUNS = re.compile(r"\d+")


def _check_width(number: str, what: str) -> None:
    if len(number) > 5 or int(number) > MAX_FORMAT_WIDTH:
        refuse(f"{what} wider than {MAX_FORMAT_WIDTH:,} is not allowed")


def _mod(left: Any, right: Any) -> Any:
    """``%`` with printf-style formatting bounded: no ``*`` widths, no huge widths or Decimals."""
    if isinstance(left, str) and "%" in left:
        for width, precision, _kind in _PRINTF_FIELD.findall(left):
            for number in (width, precision):
                if number == "*":
                    refuse("'*' widths in %-formatting are not allowed")
                if number:
                    _check_width(number, "%-formatting")
        values = (
            right.values() if isinstance(right, Mapping) else right if isinstance(right, tuple) else (right,)
        )
        for value in values:
            if isinstance(value, Decimal) and value.is_finite() and value.adjusted() >= MAX_INT_DIGITS:
                refuse("%-formatting an astronomically large Decimal is not allowed")
    return left % right


_CONVERSIONS: dict[int, Callable[[Any], str]] = {ord("s"): str, ord("r"): repr, ord("a"): ascii}


def _format(value: Any, conversion: int, spec: str) -> str:
    """An f-string field with a format spec, widths and precisions bounded."""
    convert = _CONVERSIONS.get(conversion)
    if convert is not None:
        value = convert(value)
    if len(spec) > MAX_FORMAT_SPEC:
        refuse(f"format specs longer than {MAX_FORMAT_SPEC:,} characters are not allowed")
    for number in _DIGIT_RUNS.findall(spec):
        _check_width(number, "a format width or precision")
    return format(value, spec)


# ---- in-place operators and item writes ---------------------------------------------------------

_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": _iadd,
    "-=": operator.isub,
    "*=": _imul,
    "/=": operator.itruediv,
    "%=": _mod,
    "**=": _pow,
    "<<=": _lshift,
    ">>=": operator.irshift,
    "|=": operator.ior,
    "^=": operator.ixor,
    "&=": operator.iand,
    "//=": operator.ifloordiv,
    "@=": operator.imatmul,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    return _INPLACE[op](target, value)


def _guarded_write(obj: Any) -> Any:
    """Scripts may modify dicts and lists (item assignment, ``del``), nothing else."""
    if isinstance(obj, dict | list):
        return obj
    refuse(f"modifying {type(obj).__name__} objects is not allowed")


def _inplace_item(op: str, obj: Any, key: Any, value: Any) -> None:
    _guarded_write(obj)[key] = _inplacevar(op, obj[key], value)


# ---- calls, exception handlers, print -----------------------------------------------------------


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def _check_raised() -> None:
    """First statement of every ``except`` / ``finally`` block: sandbox errors are not catchable."""
    raised = sys.exc_info()[1]
    if isinstance(raised, SandboxError):
        raise raised
    if sys.gettrace() is None:  # the time-limit tracer was lost: never continue untraced
        raise ScriptTimeout("script stopped: the time limit could not be enforced")


class _PrintCollector:
    """``print`` for scripts: keeps the first ``MAX_PRINTED`` characters, readable as ``printed``."""

    __slots__ = ("_parts", "_room")

    def __init__(self, _getattr: object = None) -> None:
        self._parts: list[str] = []
        self._room = MAX_PRINTED

    def write(self, text: str) -> None:
        if self._room > 0:
            piece = text[: self._room]
            self._parts.append(piece)
            self._room -= len(piece)

    def flush(self) -> None:
        """Nothing to flush."""

    def __call__(self) -> str:
        return "".join(self._parts)

    def _call_print(self, *objects: Any, **kwargs: Any) -> None:
        kwargs["file"] = self
        print(*objects, **kwargs)


# The names RestrictedPython's compiled code (and ``SandboxPolicy``'s rewrites) call, except
# ``_getattr_``, which ``sandbox_attributes`` provides.
GUARDS: dict[str, object] = {
    "_getitem_": operator.getitem,
    "_getiter_": iter,
    "_write_": _guarded_write,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_apply_": _apply,
    "_print_": _PrintCollector,
    "_inplacevar_": _inplacevar,
    "_inplace_item_": _inplace_item,
    "_add_": _add,
    "_mul_": _mul,
    "_pow_": _pow,
    "_lshift_": _lshift,
    "_mod_": _mod,
    "_format_": _format,
    "_check_raised_": _check_raised,
    "_loop_": None,
}
