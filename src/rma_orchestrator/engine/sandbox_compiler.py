"""Compiling analyst code for the sandbox: RestrictedPython's policy, tightened, and a compile cache.

``SandboxPolicy`` refuses imports, classes, generators and ``with``, and rewrites operators,
item writes, loops, ``except``/``finally`` blocks and format specs into calls of the guards in
``sandbox_guards`` (size checks and the time limit need those hooks).
"""

from __future__ import annotations

import ast
import functools
import re
import types
from collections.abc import Iterable
from typing import Any

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import IOPERATOR_TO_STR, RestrictingNodeTransformer, copy_locations

from .sandbox_guards import SandboxError

SCRIPT_FILENAME = "<string>"  # SpiffWorkflow looks for this name to report the failing line
_COMPILE_CACHE_SIZE = 4096

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
        visited = super().visit_While(node)
        if not isinstance(visited, ast.While):
            return visited
        node = visited
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
        visited = super().visit_ExceptHandler(node)
        if not isinstance(visited, ast.ExceptHandler):
            return visited
        node = visited
        node.body.insert(0, self._guard_statement(node.body[0] if node.body else node))
        return node

    def visit_Try(self, node: ast.Try) -> Any:
        """``finally`` blocks re-raise sandbox errors first (``continue`` there would drop them)."""
        visited = super().visit_Try(node)
        if not isinstance(visited, ast.Try):
            return visited
        node = visited
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


def compiled(source: str, mode: str) -> types.CodeType:
    """The sandbox-compiled code of ``source`` (mode "exec" or "eval"); SandboxError if it fails."""
    code, error = _compile(source, mode)
    if code is None:
        raise SandboxError(error)
    return code
