"""RestrictedPython sandbox for analyst code: script tasks, conditions, timer expressions, DMN cells.

``SandboxEnvironment`` plugs into SpiffWorkflow's ``PythonScriptEngine`` and keeps the semantics of
its ``TaskDataEnvironment`` (task data is the script's global namespace), but:

* code is compiled by RestrictedPython with a stricter policy (no imports, classes, ``yield`` or
  ``with``; ``+ * ** << %`` and formatted f-string fields become calls to size-checking helpers;
  exception handlers cannot swallow sandbox errors) and cached per source text;
* names resolve to a small vetted library (``functions.VETTED_FUNCTIONS``); other builtins are
  placeholders that raise ``SandboxError``; attribute access is allow-listed per type;
* a per-thread trace function stops Python-level loops after ``time_limit`` seconds, and the
  operator helpers refuse C-level work big enough to hold the GIL for long;
* only data is left behind: functions, iterators and the like never stay in task data.
"""

from __future__ import annotations

import ast
import builtins
import functools
import operator
import re
import sys
import time
import types
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from datetime import time as dt_time
from decimal import Decimal
from typing import Any, NoReturn

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import IOPERATOR_TO_STR, RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

MAX_SEQUENCE_LEN = 10_000_000  # items (or characters) one operation may produce
MAX_INT_BITS = 100_000  # size of an int one operation may produce
MAX_INT_DIGITS = 30_000  # digits of a Decimal that int() may expand (Decimal -> int is quadratic)
MAX_FORMAT_WIDTH = 10_000  # width / precision in format specs and %-formatting
MAX_FORMAT_SPEC = 1_000  # length of a format spec or strftime pattern
MAX_PRINTED = 100_000  # characters of print() output kept for ``printed``

SCRIPT_FILENAME = "<string>"  # SpiffWorkflow looks for this name to report the failing line
_CHECK_EVERY = 8  # trace events between clock readings
_COMPILE_CACHE_SIZE = 4096


class SandboxError(Exception):
    """Code rejected or stopped by the sandbox."""


class ScriptTimeout(SandboxError):
    """Code ran past the sandbox's time limit."""


def _refuse(message: str) -> NoReturn:
    raise SandboxError(message)


# ---- compilation --------------------------------------------------------------------------------

_BINOP_HELPERS: dict[type[ast.operator], str] = {
    ast.Add: "_add_",
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Mod: "_mod_",
}


def _call(name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
    node = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    copy_locations(node, like)  # type: ignore[arg-type]
    return node


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, tightened and rewritten for size and time guards."""

    def _forbid(self, node: ast.AST, what: str) -> ast.AST:
        self.error(node, f"{what} are not allowed")
        return node

    def visit_Import(self, node: ast.Import) -> Any:
        return self._forbid(node, "import statements")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        return self._forbid(node, "import statements")

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        return self._forbid(node, "class definitions")

    def visit_Yield(self, node: ast.Yield) -> Any:
        return self._forbid(node, "generator functions (yield)")

    def visit_YieldFrom(self, node: ast.YieldFrom) -> Any:
        return self._forbid(node, "generator functions (yield from)")

    def visit_With(self, node: ast.With) -> Any:
        return self._forbid(node, "with statements")

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        helper = _BINOP_HELPERS.get(type(node.op))
        return node if helper is None else _call(helper, [node.left, node.right], node)

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        """``a[k] op= v`` becomes ``_inplace_item_(op, a, k, v)``; names go through ``_inplacevar_``."""
        target = node.target
        if not isinstance(target, ast.Subscript):
            return super().visit_AugAssign(node)
        args = [
            ast.Constant(IOPERATOR_TO_STR[type(node.op)]),
            self.visit(target.value),
            self.visit(target.slice),
            self.visit(node.value),
        ]
        statement = ast.Expr(_call("_inplace_item_", args, node))
        copy_locations(statement, node)
        return statement

    def visit_While(self, node: ast.While) -> Any:
        """Loop bodies start with a name load: CPython emits no trace events for ``while True: pass``
        (a jump to itself), so the time limit could never fire without a real instruction there."""
        node = super().visit_While(node)
        tick = ast.Expr(ast.Name("_loop_", ast.Load()))
        copy_locations(tick, node)
        node.body.insert(0, tick)
        return node

    def _guard_statement(self, like: ast.AST) -> ast.Expr:
        statement = ast.Expr(_call("_check_raised_", [], like))
        copy_locations(statement, like)  # type: ignore[arg-type]
        return statement

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        """Handlers first re-raise sandbox errors, so ``except:`` cannot swallow a timeout."""
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, self._guard_statement(node.body[0] if node.body else node))
        return node

    def visit_Try(self, node: ast.Try) -> Any:
        """``finally`` blocks re-raise sandbox errors first (``continue`` there would drop them)."""
        node = super().visit_Try(node)
        if node.finalbody:
            node.finalbody.insert(0, self._guard_statement(node.finalbody[0]))
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        """``f"{x:>{w}}"`` formats through ``_format_``, which bounds widths and precisions."""
        node = self.node_contents_visit(node)
        if node.format_spec is None:
            return node
        call = _call("_format_", [node.value, ast.Constant(node.conversion), node.format_spec], node)
        replaced = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        copy_locations(replaced, node)
        return replaced


_LINE_PREFIX = re.compile(r"^Line (\d+|None): ")


def _one_line(errors: Iterable[str]) -> str:
    parts = []
    for error in errors:
        error = _LINE_PREFIX.sub(lambda m: "" if m.group(1) == "None" else f"line {m.group(1)}: ", error)
        parts.append(" ".join(error.split()))
    return "; ".join(parts)


@functools.lru_cache(maxsize=_COMPILE_CACHE_SIZE)
def _compile_cached(source: str, mode: str) -> tuple[types.CodeType | None, str | None]:
    """(code, None) or (None, one-line error); cached because scripts run thousands of times."""
    text = source
    if mode == "eval" and source[:1].isspace():
        text = f"({source}\n)"  # eval() tolerates leading whitespace; parentheses keep line numbers
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(text, filename=SCRIPT_FILENAME, policy=SandboxPolicy)
    except SyntaxError as error:
        return None, _one_line([f"Line {error.lineno}: {type(error).__name__}: {error.msg}"])
    except (ValueError, RecursionError, MemoryError) as error:
        return None, _one_line([f"{type(error).__name__}: {error}"])
    if result.errors or result.code is None:
        return None, _one_line(result.errors or ["could not be compiled"])
    return result.code, None


def _check_mode(source: object, mode: str) -> None:
    if mode not in ("exec", "eval"):
        raise ValueError(f"mode must be 'exec' or 'eval', not {mode!r}")
    if not isinstance(source, str):
        raise SandboxError(f"expected source text, not {type(source).__name__}")


def compile_check(source: str, mode: str = "exec") -> str | None:
    """Compile in the sandbox; return a one-line error message (with line number where known) or None."""
    if mode not in ("exec", "eval"):
        raise ValueError(f"mode must be 'exec' or 'eval', not {mode!r}")
    if not isinstance(source, str):
        return f"expected source text, not {type(source).__name__}"
    return _compile_cached(source, mode)[1]


def _code(source: str, mode: str) -> types.CodeType:
    _check_mode(source, mode)
    code, error = _compile_cached(source, mode)
    if code is None:
        raise SandboxError(error)
    return code


# ---- size guards for operators ------------------------------------------------------------------

_SEQUENCES = (str, list, tuple)
_SIZED = (str, list, tuple, dict, set, frozenset, range)


def _length(value: Any) -> int | None:
    try:
        return len(value)
    except TypeError:
        return None


def _check_concat(left: Any, right: Any) -> None:
    if (
        isinstance(left, _SEQUENCES)
        and isinstance(right, _SIZED)
        and len(left) + len(right) > MAX_SEQUENCE_LEN
    ):
        _refuse(f"a result longer than {MAX_SEQUENCE_LEN:,} items is not allowed")


def _check_mul(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            _refuse(f"integers larger than {MAX_INT_BITS:,} bits are not allowed")
    elif isinstance(left, _SEQUENCES) and isinstance(right, int):
        if len(left) * right > MAX_SEQUENCE_LEN:
            _refuse(f"repeating a sequence beyond {MAX_SEQUENCE_LEN:,} items is not allowed")
    elif isinstance(right, _SEQUENCES) and isinstance(left, int) and len(right) * left > MAX_SEQUENCE_LEN:
        _refuse(f"repeating a sequence beyond {MAX_SEQUENCE_LEN:,} items is not allowed")


def _add(left: Any, right: Any) -> Any:
    _check_concat(left, right)
    return left + right


def _mul(left: Any, right: Any) -> Any:
    _check_mul(left, right)
    return left * right


def _pow(base: Any, exponent: Any) -> Any:
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 0
        and base.bit_length() * exponent > MAX_INT_BITS
        and base not in (1, -1)
    ):
        _refuse(f"integers larger than {MAX_INT_BITS:,} bits are not allowed")
    return base**exponent


def _lshift(value: Any, shift: Any) -> Any:
    if (
        isinstance(value, int)
        and isinstance(shift, int)
        and value
        and value.bit_length() + shift > MAX_INT_BITS
    ):
        _refuse(f"integers larger than {MAX_INT_BITS:,} bits are not allowed")
    return value << shift


_PRINTF_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.S)
_DIGIT_RUNS = re.compile(r"\d+")


def _check_width(number: str, what: str) -> None:
    if len(number) > 5 or int(number) > MAX_FORMAT_WIDTH:
        _refuse(f"{what} wider than {MAX_FORMAT_WIDTH:,} is not allowed")


def _mod(left: Any, right: Any) -> Any:
    """``%`` with printf-style formatting bounded: no ``*`` widths, no huge widths or Decimals."""
    if isinstance(left, str) and "%" in left:
        for width, precision, _kind in _PRINTF_FIELD.findall(left):
            for number in (width, precision):
                if number == "*":
                    _refuse("'*' widths in %-formatting are not allowed")
                if number:
                    _check_width(number, "%-formatting")
        values = (
            right.values() if isinstance(right, Mapping) else right if isinstance(right, tuple) else (right,)
        )
        for value in values:
            if isinstance(value, Decimal) and value.is_finite() and value.adjusted() >= MAX_INT_DIGITS:
                _refuse("%-formatting an astronomically large Decimal is not allowed")
    return left % right


def _format(value: Any, conversion: int, spec: str) -> str:
    """A formatted f-string field with a format spec, widths and precisions bounded."""
    if conversion == ord("s"):
        value = str(value)
    elif conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("a"):
        value = ascii(value)
    if len(spec) > MAX_FORMAT_SPEC:
        _refuse(f"format specs longer than {MAX_FORMAT_SPEC:,} characters are not allowed")
    for number in _DIGIT_RUNS.findall(spec):
        _check_width(number, "a format width or precision")
    return format(value, spec)


def _iadd(left: Any, right: Any) -> Any:
    _check_concat(left, right)
    return operator.iadd(left, right)


def _imul(left: Any, right: Any) -> Any:
    _check_mul(left, right)
    return operator.imul(left, right)


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
    _refuse(f"modifying {type(obj).__name__} objects is not allowed")


def _inplace_item(op: str, obj: Any, key: Any, value: Any) -> None:
    _guarded_write(obj)[key] = _inplacevar(op, obj[key], value)


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


# ---- attribute allow-lists ----------------------------------------------------------------------

_Factory = Callable[[Any], Any]


def _too_long(size: int, what: str) -> None:
    if size > MAX_SEQUENCE_LEN:
        _refuse(f"{what} producing more than {MAX_SEQUENCE_LEN:,} characters is not allowed")


def _padding(method: str) -> _Factory:
    def bind(text: str) -> Callable[..., str]:
        bound = getattr(text, method)

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
        size = _length(iterable)
        if size is not None and len(target) + size > MAX_SEQUENCE_LEN:
            _refuse(f"lists longer than {MAX_SEQUENCE_LEN:,} items are not allowed")
        target.extend(iterable)

    return extend


def _strftime(moment: Any) -> Callable[[Any], str]:
    def strftime(pattern: Any) -> str:
        if isinstance(pattern, str) and len(pattern) > MAX_FORMAT_SPEC:
            _refuse(f"strftime patterns longer than {MAX_FORMAT_SPEC:,} characters are not allowed")
        return moment.strftime(pattern)

    return strftime


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


def _guarded_getattr(obj: Any, name: str) -> Any:
    """Attribute reads are allow-listed per type; generators, frames, functions etc. have none."""
    kind = type(obj)
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
            _refuse("str.format() and str.format_map() are not allowed in sandboxed scripts; use f-strings")
        _refuse(f"'{owner}.{name}' is not available in sandboxed scripts")
    return getattr(obj, name) if factory is None else factory(obj)


# ---- builtins -----------------------------------------------------------------------------------


class _Unavailable:
    """Placeholder for a Python builtin scripts may not use: calling it raises ``SandboxError``."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse(f"{self._name}() is not available in sandboxed scripts")

    def __repr__(self) -> str:
        return f"<unavailable {self._name}>"


_EXCEPTIONS = (
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "Exception",
    "IndexError",
    "KeyError",
    "LookupError",
    "NameError",
    "OverflowError",
    "RuntimeError",
    "TypeError",
    "ValueError",
    "ZeroDivisionError",
)

_GUARDS: dict[str, object] = {
    "_getattr_": _guarded_getattr,
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
_RESERVED = tuple(_GUARDS) + ("_print",)


def _make_builtins(library: Mapping[str, object]) -> dict[str, object]:
    table: dict[str, object] = {
        name: _Unavailable(name)
        for name, value in vars(builtins).items()
        if not name.startswith("_") and callable(value)
    }
    table.update({name: getattr(builtins, name) for name in _EXCEPTIONS})
    table.update(library)
    table.update(_GUARDS)
    return table


# ---- plain data ---------------------------------------------------------------------------------

_PLAIN = frozenset({str, int, float, bool, type(None), Decimal, datetime, date, dt_time, timedelta, timezone})
_NOT_DATA = (range, BaseException, types.FrameType, types.CodeType, types.TracebackType, types.ModuleType)
_NOT_DATA += (type({}.keys()), type({}.values()), type({}.items()))


def _non_data(value: Any) -> str | None:
    """What in ``value`` is not plain data (functions, iterators, ranges, ...), or None."""
    if type(value) in _PLAIN:
        return None
    pending = [value]
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind in _PLAIN:
            continue
        if isinstance(item, dict):
            if id(item) not in seen:
                seen.add(id(item))
                pending.extend(item.keys())
                pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            if id(item) not in seen:
                seen.add(id(item))
                pending.extend(item)
        elif callable(item) or isinstance(item, _NOT_DATA) or hasattr(kind, "__next__"):
            return kind.__name__
    return None


# ---- the environment ----------------------------------------------------------------------------


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment that runs analyst code in the sandbox.

    ``functions`` are extra callables, handled like ``TaskDataEnvironment``'s globals (task data
    may not shadow them; they are removed from task data after a script). The vetted library is
    always available, like Python builtins: task data may shadow those names.
    """

    def __init__(self, functions: dict[str, object] | None = None, time_limit: float = 1.0) -> None:
        from .functions import VETTED_FUNCTIONS  # functions.py imports this module

        extra = dict(functions or {})
        for name in extra:
            if not name.isidentifier() or name.startswith("_"):
                raise ValueError(f"invalid function name for sandboxed scripts: {name!r}")
        if not time_limit > 0:
            raise ValueError("time_limit must be positive")
        super().__init__(extra)
        self.time_limit = float(time_limit)
        self._builtins = _make_builtins(VETTED_FUNCTIONS)

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        """The value of ``expression`` with task data (over external context, over functions) as names."""
        code = _code(expression, "eval")
        namespace = dict(self.globals)
        if external_context:
            namespace.update(external_context)
        namespace.update(context)
        self._check_reserved(namespace)
        namespace["__builtins__"] = self._builtins
        result = self._run(code, namespace)
        problem = _non_data(result)
        if problem is not None:
            raise SandboxError(f"the expression's value contains a {problem}, which is not data")
        return result

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> bool:
        """Run ``script`` with task data as its globals; what it assigns stays in ``context``."""
        self.check_for_overwrite(context, external_context or {})
        code = _code(script, "exec")
        self._check_reserved(context)
        context.update(self.globals)
        if external_context:
            context.update(external_context)
        context["__builtins__"] = self._builtins
        try:
            self._run(code, context)
        except BaseException:
            self._remove_globals_and_functions_from_context(context, external_context)
            raise
        rejected = self._remove_globals_and_functions_from_context(context, external_context)
        if rejected:
            raise SandboxError(f"script left values that are not data: {', '.join(rejected)}")
        return True

    def check_for_overwrite(self, context: dict[str, Any], external_context: dict[str, Any]) -> None:
        """Fail fast when task data would hide a predefined function (as ``TaskDataEnvironment`` does)."""
        overwrites = set(self.globals).intersection(context)
        overwrites.update(set(external_context).intersection(context))
        if overwrites:
            raise ValueError(
                "You have task data that overwrites a predefined function(s). Please change the "
                f"following variable or field name(s) to something else: {overwrites}"
            )

    def _remove_globals_and_functions_from_context(
        self, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> list[str]:
        """Drop builtins, callables, functions and external context; also drop non-data values.

        Returns the names dropped for holding non-data values (generators, nested functions, ...).
        """
        rejected = []
        for key in list(context):
            value = context[key]
            if (
                key == "__builtins__"
                or callable(value)
                or key in self.globals
                or (external_context and key in external_context)
            ):
                del context[key]
            else:
                problem = _non_data(value)
                if problem is not None:
                    del context[key]
                    rejected.append(f"'{key}' ({problem})")
        return rejected

    @staticmethod
    def _check_reserved(namespace: Mapping[str, Any]) -> None:
        for name in _RESERVED:
            if name in namespace:
                _refuse(f"task data may not use the reserved name {name!r}")

    def _run(self, code: types.CodeType, namespace: dict[str, Any]) -> Any:
        """Evaluate ``code`` in ``namespace`` with this thread traced against the time limit."""
        sandbox_builtins = self._builtins
        limit = self.time_limit
        deadline = time.monotonic() + limit
        clock = time.monotonic
        countdown = _CHECK_EVERY

        def local_trace(frame: types.FrameType, event: str, arg: Any) -> Any:
            nonlocal countdown
            countdown -= 1
            if countdown <= 0:
                countdown = _CHECK_EVERY
                if clock() > deadline:
                    raise ScriptTimeout(f"script stopped after running longer than {limit:g} s")
            return local_trace

        def global_trace(frame: types.FrameType, event: str, arg: Any) -> Any:
            if frame.f_builtins is not sandbox_builtins:
                return None  # host code (guards, vetted functions) runs untraced
            return local_trace(frame, event, arg)

        previous = sys.gettrace()
        sys.settrace(global_trace)
        try:
            return eval(code, namespace)
        finally:
            sys.settrace(previous)


def make_script_engine(
    time_limit: float = 1.0, functions: dict[str, object] | None = None
) -> PythonScriptEngine:
    """A SpiffWorkflow PythonScriptEngine whose environment is a SandboxEnvironment with the vetted library.

    ``functions`` are extra callables on top of the vetted library (see ``SandboxEnvironment``).
    """
    return PythonScriptEngine(environment=SandboxEnvironment(functions=functions, time_limit=time_limit))
