"""RestrictedPython sandbox for analyst code: script tasks, conditions, timer expressions, DMN cells.

``SandboxEnvironment`` keeps the semantics of SpiffWorkflow's ``TaskDataEnvironment`` (task data is
the script's global namespace) but compiles with a stricter, cached policy, resolves names to the
vetted library only, stops Python-level loops after ``time_limit`` seconds and lets only plain data
stay in task data. Operator size guards live in ``sandbox_guards``, attribute allow-lists in
``sandbox_attributes``.
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
import sys
import time
import types
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from datetime import time as dt_time
from decimal import Decimal
from typing import Any, NoReturn

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import IOPERATOR_TO_STR, RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

from .sandbox_attributes import guarded_getattr
from .sandbox_guards import (
    GUARDS,
    MAX_FORMAT_SPEC,
    MAX_FORMAT_WIDTH,
    MAX_INT_BITS,
    MAX_INT_DIGITS,
    MAX_PRINTED,
    MAX_SEQUENCE_LEN,
    SandboxError,
    ScriptTimeout,
    refuse,
)

__all__ = [
    "MAX_FORMAT_SPEC",
    "MAX_FORMAT_WIDTH",
    "MAX_INT_BITS",
    "MAX_INT_DIGITS",
    "MAX_PRINTED",
    "MAX_SEQUENCE_LEN",
    "SCRIPT_FILENAME",
    "SandboxEnvironment",
    "SandboxError",
    "SandboxPolicy",
    "ScriptTimeout",
    "compile_check",
    "make_script_engine",
]

SCRIPT_FILENAME = "<string>"  # SpiffWorkflow looks for this name to report the failing line
_CHECK_EVERY = 8  # trace events between clock readings
_COMPILE_CACHE_SIZE = 4096


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


def _compile(source: object, mode: str) -> tuple[types.CodeType | None, str | None]:
    """``_compile_cached`` with its arguments checked: a bad mode is a caller bug, bad source a user error."""
    if mode not in ("exec", "eval"):
        raise ValueError(f"mode must be 'exec' or 'eval', not {mode!r}")
    if not isinstance(source, str):
        return None, f"expected source text, not {type(source).__name__}"
    return _compile_cached(source, mode)


def compile_check(source: str, mode: str = "exec") -> str | None:
    """Compile in the sandbox; return a one-line error message (with line number where known) or None."""
    return _compile(source, mode)[1]


def _code(source: str, mode: str) -> types.CodeType:
    code, error = _compile(source, mode)
    if code is None:
        raise SandboxError(error)
    return code


# ---- builtins -----------------------------------------------------------------------------------


class _Unavailable:
    """Placeholder for a Python builtin scripts may not use: calling it raises ``SandboxError``."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        refuse(f"{self._name}() is not available in sandboxed scripts")

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

_GUARDS: dict[str, object] = {"_getattr_": guarded_getattr, **GUARDS}
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
        """Drop builtins, callables, functions, external context and non-data values; name the latter."""
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
                refuse(f"task data may not use the reserved name {name!r}")

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
