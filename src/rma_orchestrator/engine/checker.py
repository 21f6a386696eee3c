"""The findings collector that every static check of a deploy writes to.

One ``Checker`` per file: it knows what the whole bundle defines (process ids and whether they are
executable, decision ids, form files) and records each finding as ``{file, line, element,
message}``; the checks never raise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .bpmn_xml import Element, owner_id
from .sandbox_compiler import compile_check

_LINE = re.compile(r"line (\d+)")


@dataclass
class Checker:
    """Collects findings for one file; ``processes`` maps every known process id to its executability."""

    file: str
    processes: dict[str, bool]
    decisions: set[str]
    forms: set[str]
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self, node: Element | None, message: str, element: str | None = None, line: int | None = None
    ) -> None:
        if element is None and node is not None:
            element = owner_id(node)
        if line is None and node is not None:
            line = node.sourceline
        self.errors.append({"file": self.file, "line": line, "element": element, "message": message})

    def compile(self, node: Element, source: str, mode: str, what: str, element: str | None = None) -> bool:
        """compile_check ``source``; the error line is shifted to the file when the text sits in ``node``."""
        problem = compile_check(source, mode)
        if problem is None:
            return True
        line = node.sourceline
        found = _LINE.search(problem)
        if found and line is not None and node.text == source:
            line += int(found.group(1)) - 1
        self.add(node, f"{what} is not valid sandboxed Python: {problem}", element, line)
        return False
