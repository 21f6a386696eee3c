"""The builtins table of sandboxed code: the vetted library, a few exceptions and the guards.

``vars()``, ``globals()`` and ``locals()`` answer a fresh copy of the task data names (the idiom
``'x' in vars()`` tests whether a variable exists), never a real namespace. Every other Python
builtin is present as a placeholder that refuses to be called, so a script calling ``open`` fails
with a clear sandbox error instead of a ``NameError``.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable
from typing import Any, NoReturn

from .sandbox_attributes import guarded_getattr
from .sandbox_guards import GUARDS, refuse
from .script_library import VETTED_FUNCTIONS


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
RESERVED = tuple(_GUARDS) + ("_print",)
NAMESPACE_VIEWS = ("vars", "globals", "locals")
# print() is offered too: RestrictedPython compiles it into a call of the ``_print_`` guard.
OFFERED = frozenset({*VETTED_FUNCTIONS, *NAMESPACE_VIEWS, *_EXCEPTIONS, "print"})
UNAVAILABLE = frozenset(
    name
    for name, value in vars(builtins).items()
    if not name.startswith("_") and callable(value) and name not in OFFERED
)


def _namespace_view(name: str, task_data: Callable[[], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def view(*args: object) -> dict[str, Any]:
        if args:
            refuse(f"{name}() takes no arguments in sandboxed scripts; {name}() lists the task data")
        return task_data()

    view.__name__ = view.__qualname__ = name
    return view


def make_builtins(task_data: Callable[[], dict[str, Any]]) -> dict[str, object]:
    """The ``__builtins__`` of sandboxed code: the script library over placeholders for the rest.

    ``task_data`` answers a fresh dict of the running code's task data; ``vars``, ``globals`` and
    ``locals`` call it.
    """
    table: dict[str, object] = {name: _Unavailable(name) for name in UNAVAILABLE}
    table.update({name: getattr(builtins, name) for name in _EXCEPTIONS})
    table.update({name: _namespace_view(name, task_data) for name in NAMESPACE_VIEWS})
    table.update(VETTED_FUNCTIONS)
    table.update(_GUARDS)
    return table


def unavailable_calls(source: str, mode: str) -> list[tuple[str, int]]:
    """(name, line) of each call of a Python builtin the sandbox does not offer, e.g. ``open(...)``.

    Only calls count, and only of names the code does not bind itself: a task-data variable called
    ``input`` or ``type`` may be read freely. ``source`` should compile (see ``compile_check``).
    """
    text = f"({source}\n)" if mode == "eval" and source[:1].isspace() else source
    try:
        tree = ast.parse(text, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    nodes = list(ast.walk(tree))
    bound = {node.id for node in nodes if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load)}
    bound |= {node.arg for node in nodes if isinstance(node, ast.arg)}
    bound |= {
        node.name
        for node in nodes
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ExceptHandler) and node.name
    }
    return [
        (node.func.id, node.lineno)
        for node in nodes
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in UNAVAILABLE
        and node.func.id not in bound
    ]
