"""The findings collector that every static check of a deploy writes to.

One ``Checker`` per file: it knows what the whole bundle defines (process ids and whether they are
executable, decision ids, form files) and records each finding as ``{file, line, element,
message, rule}``; the checks never raise. ``rule`` is a stable id the modeler and ``rma validate``
show (``RULES``); errors refuse a deploy, warnings (the lint rules that a working diagram may break on
purpose) are reported and deploy anyway.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .bpmn_xml import Element, owner_id
from .sandbox_builtins import NAMESPACE_VIEWS, unavailable_calls
from .sandbox_compiler import compile_check
from .script_library import VETTED_FUNCTIONS

_LINE = re.compile(r"line (\d+)")
# The rule ids findings carry; "deploy" for every other check of a deploy.
RULES = (
    "user-task-form",
    "gateway-default",
    "timer-evaluates",
    "message-payload",
    "unreachable",
    "dead-end-flow",
    "form-subset",
    "deploy",
)
_OFFERED_HINT = ", ".join(f"{name}()" for name in sorted({*VETTED_FUNCTIONS, *NAMESPACE_VIEWS, "print"}))


@dataclass(frozen=True)
class TextLimits:
    """How long the texts of a diagram that running it records may be: the service's column lengths.

    The engine knows no database; the service passes these to a deploy, so that a text too long for
    its column is refused there and not when a case first reaches the element.
    """

    element_id: int
    task_name: int  # user and manual tasks
    lane: int
    form: int
    message: int
    sla: int


@dataclass
class Checker:
    """Collects findings for one file; ``processes`` maps every known process id to its executability."""

    file: str
    processes: dict[str, bool]
    decisions: set[str]
    forms: set[str]
    errors: list[dict[str, Any]] = field(default_factory=list)
    limits: TextLimits | None = None  # None: lengths are not checked
    groups: Mapping[str, tuple[str | None, str | None]] | None = None  # None: lanes are not checked
    warnings: list[dict[str, Any]] = field(default_factory=list)
    values: Mapping[str, frozenset[str] | None] | None = None  # lint: what each data name can hold

    def add(
        self,
        node: Element | None,
        message: str,
        element: str | None = None,
        line: int | None = None,
        rule: str = "deploy",
    ) -> None:
        """Record an error: the deploy is refused."""
        self.errors.append(self._finding(node, message, element, line, rule))

    def warn(self, node: Element | None, message: str, rule: str, element: str | None = None) -> None:
        """Record a warning: reported by validation, the deploy goes ahead."""
        self.warnings.append(self._finding(node, message, element, None, rule))

    def _finding(
        self, node: Element | None, message: str, element: str | None, line: int | None, rule: str
    ) -> dict[str, Any]:
        if element is None and node is not None:
            element = owner_id(node)
        if line is None and node is not None:
            line = node.sourceline
        return {"file": self.file, "line": line, "element": element, "message": message, "rule": rule}

    def check_length(self, node: Element, what: str, value: str | None, limit: int) -> None:
        if value is not None and len(value) > limit:
            self.add(
                node,
                f"The {what} is too long to be recorded: at most {limit} characters (got {len(value)}); "
                "shorten it.",
            )

    def compile(self, node: Element, source: str, mode: str, what: str, element: str | None = None) -> bool:
        """compile_check ``source`` and refuse calls of builtins the sandbox does not offer.

        Error lines are shifted into the file when the text sits in ``node``.
        """
        problem = compile_check(source, mode)
        if problem is not None:
            found = _LINE.search(problem)
            line = self._line(node, source, int(found.group(1)) if found else None)
            self.add(node, f"{what} is not valid sandboxed Python: {problem}", element, line)
            return False
        calls = unavailable_calls(source, mode)
        for name, source_line in calls:
            self.add(
                node,
                f"{what} calls {name}(), which sandboxed scripts do not offer; they may call "
                f"{_OFFERED_HINT} and the working-day functions.",
                element,
                self._line(node, source, source_line),
            )
        return not calls

    @staticmethod
    def _line(node: Element, source: str, source_line: int | None) -> int | None:
        """The file line of ``source_line`` of ``source``, when ``source`` is the text of ``node``."""
        line = node.sourceline
        if source_line is not None and line is not None and node.text == source:
            line += source_line - 1
        return line
