"""A call of a Python builtin the sandbox does not offer is refused at deploy, naming the function."""

from __future__ import annotations

from pathlib import Path

import pytest

from rma_orchestrator.engine.bundle import load_bundle
from rma_orchestrator.engine.sandbox_builtins import UNAVAILABLE, unavailable_calls
from rma_orchestrator.errors import InvalidDefinition

DATA = Path(__file__).parent / "data"
DIAGRAM = (DATA / "unoffered_builtins.bpmn").read_text()
SCRIPT = 'template = open("/srv/labels/rma.txt").read()'
CONDITION = 'hasattr(label, "upper")'


def errors_of(files: dict[str, str]) -> list[dict[str, object]]:
    with pytest.raises(InvalidDefinition) as caught:
        load_bundle({name: text.encode() for name, text in files.items()})
    return caught.value.items


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if needle in line)


def as_cli_line(error: dict[str, object]) -> str:
    return f"{error['file']}:{error['line']}: {error['element']}: {error['message']}"


def test_script_and_condition_calls_are_refused_at_their_lines() -> None:
    script, condition = errors_of({"unoffered_builtins.bpmn": DIAGRAM})
    assert as_cli_line(script).startswith(
        f"unoffered_builtins.bpmn:{line_of(DIAGRAM, SCRIPT)}: load_label: Script calls open(), "
        "which sandboxed scripts do not offer"
    )
    assert condition["element"] == "u3"
    assert condition["line"] == line_of(DIAGRAM, CONDITION)
    assert "calls hasattr()" in str(condition["message"])
    assert "round_money()" in str(condition["message"])  # the message names what is offered


def test_a_dmn_cell_calling_an_unoffered_builtin_is_refused() -> None:
    table = (DATA / "minimal.dmn").read_text()
    (error,) = errors_of({"minimal.dmn": table.replace("&lt; 10</text>", "&lt; len(dir())</text>")})
    assert error["element"] == "rule_low"
    assert "calls dir()" in str(error["message"])


@pytest.mark.parametrize(
    "source",
    [
        "kind = type",  # a task-data variable may have a builtin's name
        "chosen = input if input else 'none'",
        "def scaled(map):\n    return map(2)\ny = scaled(len)",
        "filter = len\ny = filter('abc')",
        "has_x = 'x' in vars()\nprint(sorted(globals()))",
        "y = round_money(sum([1, 2])) + str(len(range(3)))",
        "y = x.format(1)",  # attribute calls are the attribute guard's business
    ],
)
def test_names_that_are_not_calls_of_unoffered_builtins_pass(source: str) -> None:
    assert unavailable_calls(source, "exec") == []


def test_every_unoffered_builtin_is_named_with_its_line() -> None:
    assert {"open", "eval", "getattr", "type", "dir", "input", "compile"} <= UNAVAILABLE
    assert not {"vars", "globals", "locals", "print", "len", "range", "ValueError"} & UNAVAILABLE
    source = "x = 1\ny = type(x)\nz = [iter(a) for a in b]"
    assert unavailable_calls(source, "exec") == [("type", 2), ("iter", 3)]
    assert unavailable_calls("  dir()", "eval") == [("dir", 1)]
