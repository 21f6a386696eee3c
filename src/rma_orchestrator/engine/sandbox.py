"""The script environment that runs analyst code (script tasks, conditions, timer expressions, DMN cells).

``SandboxEnvironment`` keeps the semantics of SpiffWorkflow's ``TaskDataEnvironment`` (task data is
the script's global namespace) but compiles with the stricter, cached policy of ``sandbox_compiler``,
resolves names to the builtins of ``sandbox_builtins`` only, stops Python-level loops after
``time_limit`` seconds and lets only plain data stay in task data.
"""

from __future__ import annotations

import sys
import threading
import time
import types
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from datetime import time as dt_time
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

from .sandbox_builtins import RESERVED, make_builtins
from .sandbox_compiler import compiled
from .sandbox_guards import SandboxError, ScriptTimeout, refuse
from .step_watch import StepWatch

_CHECK_EVERY = 8  # trace events between clock readings


# ---- plain data ---------------------------------------------------------------------------------

_PLAIN = frozenset({str, int, float, bool, type(None), Decimal, datetime, date, dt_time, timedelta, timezone})
_NOT_DATA: tuple[type, ...] = (
    range,
    BaseException,
    types.FrameType,
    types.CodeType,
    types.TracebackType,
    types.ModuleType,
    type({}.keys()),
    type({}.values()),
    type({}.items()),
)


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


class SandboxEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]  # untyped base
    """SpiffWorkflow script environment that runs analyst code in the sandbox.

    ``functions`` are extra callables, handled like ``TaskDataEnvironment``'s globals (task data
    may not shadow them; they are removed from task data after a script). The vetted library is
    always available, like Python builtins: task data may shadow those names.
    """

    def __init__(self, functions: dict[str, object] | None = None, time_limit: float = 1.0) -> None:
        extra = dict(functions or {})
        for name in extra:
            if not name.isidentifier() or name.startswith("_"):
                raise ValueError(f"invalid function name for sandboxed scripts: {name!r}")
        if not time_limit > 0:
            raise ValueError("time_limit must be positive")
        super().__init__(extra)
        self.time_limit = float(time_limit)
        self._running = threading.local()  # the namespace of the code this thread runs, for vars()
        self._builtins = make_builtins(self._task_data_names)

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        """The value of ``expression`` with task data (over external context, over functions) as names."""
        code = compiled(expression, "eval")
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
        code = compiled(script, "exec")
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
        for name in RESERVED:
            if name in namespace:
                refuse(f"task data may not use the reserved name {name!r}")

    def _task_data_names(self) -> dict[str, Any]:
        """A fresh dict of the running code's data names: no builtins, functions or guard names."""
        namespace: dict[str, Any] | None = getattr(self._running, "namespace", None)
        if namespace is None:
            return {}
        hidden = self.globals
        return {
            key: value
            for key, value in namespace.items()
            if key != "__builtins__" and key not in hidden and key not in RESERVED
        }

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

        running = self._running
        outer = getattr(running, "namespace", None)
        running.namespace = namespace
        previous = sys.gettrace()
        sys.settrace(global_trace)
        try:
            return eval(code, namespace)
        finally:
            sys.settrace(previous)
            running.namespace = outer


class WatchedScriptEngine(PythonScriptEngine):  # type: ignore[misc]  # untyped base
    """The script engine, telling the step's ``watch`` (if any) about each task whose code it runs.

    The watch travels with the engine because SpiffWorkflow hands every workflow and task its
    workflow's script engine; the runtime finds it there too.
    """

    watch: StepWatch | None = None

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        watch = self.watch
        if watch is None:
            return super().evaluate(task, expression, external_context)
        watch.entering(task)
        try:
            value = super().evaluate(task, expression, external_context)
        except WorkflowTaskException as error:
            replacement = watch.out_of_memory(task, error)
            if replacement is None:
                raise
            raise replacement from error
        watch.check_timer_value(task, expression, value)
        return value

    def execute(self, task: Any, script: str, external_context: dict[str, Any] | None = None) -> Any:
        watch = self.watch
        if watch is None:
            return super().execute(task, script, external_context)
        watch.entering(task)
        try:
            return super().execute(task, script, external_context)
        except WorkflowTaskException as error:
            replacement = watch.out_of_memory(task, error)
            if replacement is None:
                raise
            raise replacement from error
        finally:
            watch.after_code(task)  # also after a failure: what ran before it stays in the data


def make_script_engine(
    time_limit: float = 1.0, functions: dict[str, object] | None = None
) -> WatchedScriptEngine:
    """A SpiffWorkflow script engine whose environment is a SandboxEnvironment with the vetted library.

    ``functions`` are extra callables on top of the vetted library (see ``SandboxEnvironment``).
    """
    return WatchedScriptEngine(environment=SandboxEnvironment(functions=functions, time_limit=time_limit))
