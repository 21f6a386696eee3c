"""Static checks on a DMN decision table, for what SpiffWorkflow's DMN engine would mishandle at run time.

The engine evaluates every cell as Python, not FEEL, and builds input tests by string concatenation,
so a table written for a FEEL engine often compiles and then silently never matches. These checks
mirror ``DMNEngine.evaluate`` and report each finding through ``Checker.add``; nothing is raised.
"""

from __future__ import annotations

import ast
import re

from lxml import etree

from .bpmn_xml import Element
from .checker import Checker

HIT_POLICIES = {"UNIQUE", "FIRST", "COLLECT"}
_STRING = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")
_RANGE = re.compile(r"\s*([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\]\[\)])\s*", re.DOTALL)
_FEEL_CONSTANT = re.compile(r"(?<![\w.])(true|false|null)(?!\w)")
_FEEL_FUNCTION = re.compile(r"(?<![\w.])(date\s+and\s+time|date|duration)\s*\(")
_FEEL_NOT = re.compile(r"\s*not\s*\((.*)\)\s*", re.DOTALL)
_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")  # DMNEngine.evaluate's own pattern


def check_dmn(checker: Checker, root: Element) -> None:
    """Check the one decision table of a DMN document: hit policy, shape and every expression cell."""
    ns = etree.QName(root).namespace or ""  # read_source checked it is a DMN namespace

    def find(node: Element, path: str) -> list[Element]:
        return node.findall("/".join(f"{{{ns}}}{part}" for part in path.split("/")))

    decisions = find(root, "decision")
    if len(decisions) != 1:
        checker.add(
            root,
            f"The DMN file holds {len(decisions)} decisions; the engine reads exactly one "
            "decision per file, so put each decision in its own file.",
        )
        return
    tables = find(decisions[0], "decisionTable")
    if not tables:
        checker.add(decisions[0], "The decision has no decision table; only decision tables are supported.")
        return
    table = tables[0]
    policy = table.get("hitPolicy", "UNIQUE").upper()
    if policy not in HIT_POLICIES:
        checker.add(table, f"Hit policy {policy} is not supported; use UNIQUE, FIRST or COLLECT.")
    elif policy == "COLLECT" and table.get("aggregation"):
        checker.add(
            table,
            f"COLLECT with aggregation {table.get('aggregation')} is not supported (the "
            "engine ignores it and returns lists); remove the aggregation and compute it in a "
            "script.",
        )
    inputs: list[str | None] = []
    for item in find(table, "input"):
        texts = find(item, "inputExpression/text")
        text = texts[0].text if texts else None
        if not text or not text.strip():
            checker.add(item, "Input has no input expression; give the Python expression to test.")
        elif hint := feel_hint(text, cell=False):
            checker.add(texts[0], f"Input expression `{text}` {hint}", item.get("id"))
        elif checker.compile(texts[0], text, "eval", f"Input expression `{text}`", item.get("id")):
            inputs.append(text)
            continue
        inputs.append(None)  # its cells cannot be checked against a broken input expression
    outputs = find(table, "output")
    for item in outputs:
        if not item.get("name") and not item.get("label"):
            checker.add(item, "Output has no name; the name is the variable the result is stored in.")
    for rule in find(table, "rule"):
        _check_rule(checker, rule, ns, inputs, len(outputs))


def _check_rule(checker: Checker, rule: Element, ns: str, inputs: list[str | None], outputs: int) -> None:
    """Check one rule's shape, then each cell as the engine will evaluate it (inputs against ``inputs``)."""
    rule_id = rule.get("id")
    entries = rule.findall("{*}inputEntry")
    results = rule.findall("{*}outputEntry")
    if len(entries) != len(inputs) or len(results) != outputs:
        checker.add(
            rule,
            f"Rule has {len(entries)} input and {len(results)} output cells but the table has "
            f"{len(inputs)} inputs and {outputs} outputs.",
            rule_id,
        )
        return
    for column, (entry, input_text) in enumerate(zip(entries, inputs, strict=True), start=1):
        node = entry.find(f"{{{ns}}}text")
        if node is None or node.text is None or node.text == "-" or not input_text:
            continue
        text = node.text
        where = f"Input cell {column} `{text}`"
        if not text.strip():
            checker.add(node, f"{where} is blank; leave it empty or write - to match anything.", rule_id)
        elif hint := feel_hint(text, cell=True):
            checker.add(node, f"{where} {hint}", rule_id)
        else:
            expression, problem = dmn_input_expression(input_text, text)
            if problem:
                checker.add(node, f"{where} {problem}", rule_id)
            else:
                checker.compile(node, expression, "eval", f"{where} (evaluated as `{expression}`)", rule_id)
    for column, entry in enumerate(results, start=1):
        node = entry.find(f"{{{ns}}}text")
        if node is None or not node.text:
            continue
        text = node.text
        if hint := feel_hint(text, cell=False):
            checker.add(node, f"Output cell {column} `{text}` {hint}", rule_id)
        else:
            checker.compile(node, text, "eval", f"Output cell {column} `{text}`", rule_id)


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside quotes and brackets, so a FEEL list splits into its items."""
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote and text[index - 1] != "\\" else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    return [*parts, text[start:].strip()]


def feel_hint(text: str, cell: bool) -> str | None:
    """How FEEL syntax in a DMN ``text`` should be written in Python, or None when it is not FEEL.

    Trap: several FEEL forms are valid Python with another meaning (``"a","b"`` is a tuple, ``not("a")``
    is a boolean), so they compile and then silently never match; they must be recognised by shape.
    """
    bare = _STRING.sub('""', text)
    if cell:
        found = _RANGE.fullmatch(text)
        if found:
            low = ">=" if found[1] == "[" else ">"
            high = "<=" if found[4] == "]" else "<"
            return (
                f"is a FEEL range, not Python; write `? {low} {found[2]} and ? {high} {found[3]}` "
                "(? stands for the input value)."
            )
        found = _FEEL_NOT.fullmatch(text) if _FEEL_NOT.fullmatch(bare) else None
        if found:
            parts = [part for part in _split_top_level(found[1]) if part]
            python = f"? not in ({', '.join(parts)})" if len(parts) > 1 else f"? != {found[1].strip()}"
            return f"is a FEEL negation, which Python reads as a boolean `not`; write `{python}`."
        parts = _split_top_level(text)
        if len(parts) > 1:
            items = ", ".join(part for part in parts if part)
            return (
                f"is a FEEL list, which Python reads as one tuple value that never matches; write "
                f"`? in ({items})`."
            )
    found = _FEEL_CONSTANT.search(bare)
    if found:
        python = {"true": "True", "false": "False", "null": "None"}[found[1]]
        return f"uses FEEL `{found[1]}`; Python spells it `{python}`."
    found = _FEEL_FUNCTION.search(bare)
    if found:
        return (
            f"calls the FEEL function `{found[1]}(...)`, which does not exist in Python; compare ISO "
            'strings such as `? >= "2024-01-01"` or compute the value in a script task.'
        )
    return None


def _parses(text: str) -> bool:
    """Whether ``text`` is syntactically valid Python (the engine's test for a stand-alone cell)."""
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def dmn_input_expression(input_text: str, cell: str) -> tuple[str, str | None]:
    """The Python that DMNEngine.evaluate builds for an input ``cell``, or a reason it cannot work.

    Mirrors the engine: ``?`` becomes the input value; a cell that parses alone is compared with ``==``;
    otherwise it is appended to the input expression WITHOUT a space, so ``status`` + ``in ("a",)``
    becomes the call ``statusin ("a",)``.
    """
    replaced = _QUESTION_MARK.sub("dmninputexpr", cell)
    if "dmninputexpr" in replaced:
        return replaced, None
    if _parses(cell):
        return f"({input_text}) == ({cell})", None
    if not _parses(f"v {cell}"):
        return cell, (
            'is not valid Python: give a value (`"a"`, `5`) or a comparison (`< 5`, '
            "`? in (1, 2)`, `? > 1 and ? < 5`)."
        )
    expression = input_text + cell
    if re.search(r"\w$", input_text) and re.match(r"\w", cell):
        return expression, (
            f"would be glued to the input expression without a space (the engine evaluates "
            f"`{expression}`); write `? {cell}` instead."
        )
    return expression, None
