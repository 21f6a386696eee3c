"""The builtins table of sandboxed code: the vetted library, a few exceptions and the guards.

``vars()``, ``globals()`` and ``locals()`` answer a fresh copy of the task data names (the idiom
``'x' in vars()`` tests whether a variable exists), never a real namespace. Every other Python
builtin is present as a placeholder that refuses to be called, so a script calling ``open`` fails
with a clear sandbox error instead of a ``NameError``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from .sandbox_attributes import guarded_getattr
from .sandbox_guards import GUARDS, refuse


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


def _namespace_view(name: str, task_data: Callable[[], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def view(*args: object) -> dict[str, Any]:
        if args:
            refuse(f"{name}() takes no arguments in sandboxed scripts; {name}() lists the task data")
        return task_data()

    view.__name__ = view.__qualname__ = name
    return view


def make_builtins(
    library: Mapping[str, object], task_data: Callable[[], dict[str, Any]]
) -> dict[str, object]:
    """The ``__builtins__`` of sandboxed code: ``library`` over placeholders for every other builtin.

    ``task_data`` answers a fresh dict of the running code's task data; ``vars``, ``globals`` and
    ``locals`` call it.
    """
    table: dict[str, object] = {
        name: _Unavailable(name)
        for name, value in vars(builtins).items()
        if not name.startswith("_") and callable(value)
    }
    table.update({name: getattr(builtins, name) for name in _EXCEPTIONS})
    table.update({name: _namespace_view(name, task_data) for name in NAMESPACE_VIEWS})
    table.update(library)
    table.update(_GUARDS)
    return table

