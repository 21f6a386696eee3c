"""What changed in the DMN decision tables between two versions: per decision, its table's hit
policy and columns, and its rules by id with their input and output entries before and after.

A rule's entries are keyed by their column (an input's expression, an output's name), so a column
added or removed shows in every rule; rules keep their order, and one that moved among the rules
both versions have is reported as ``moved`` (with FIRST and COLLECT the order changes the result).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal

from .bpmn_xml import Element, local

Change = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class ColumnChange:
    """An input or output column: ``label`` and ``expression`` (an input's text, an output's name)."""

    id: str
    kind: Literal["input", "output"]
    change: Change
    before: dict[str, str | None] | None
    after: dict[str, str | None] | None


@dataclass(frozen=True)
class RuleChange:
    """A rule by id: its cells (column → text) and description, before and after; ``moved`` when its
    place among the rules both versions have changed."""

    id: str
    change: Change
    position_before: int | None  # 1-based row number
    position_after: int | None
    inputs_before: dict[str, str] | None
    inputs_after: dict[str, str] | None
    outputs_before: dict[str, str] | None
    outputs_after: dict[str, str] | None
    description_before: str | None = None
    description_after: str | None = None
    moved: bool = False


@dataclass(frozen=True)
class DecisionChange:
    file: str
    decision_id: str
    name: str | None
    change: Change
    hit_policy_before: str | None = None
    hit_policy_after: str | None = None
    columns: list[ColumnChange] = field(default_factory=list)
    rules: list[RuleChange] = field(default_factory=list)


@dataclass(frozen=True)
class _Rule:
    id: str
    inputs: dict[str, str]
    outputs: dict[str, str]
    description: str | None


@dataclass(frozen=True)
class _Table:
    file: str
    name: str | None
    hit_policy: str
    inputs: dict[str, dict[str, str | None]]  # column id → label, expression, type
    outputs: dict[str, dict[str, str | None]]
    rules: list[_Rule]


def decision_changes(old: dict[str, Element], new: dict[str, Element]) -> list[DecisionChange]:
    """The decisions added, removed or changed between two sets of parsed DMN files (name → root)."""
    before, after = _decisions(old), _decisions(new)
    changes: list[DecisionChange] = []
    for decision_id in sorted(before.keys() | after.keys()):
        was, now = before.get(decision_id), after.get(decision_id)
        if was is None and now is not None:
            changes.append(_whole(decision_id, now, "added"))
        elif now is None and was is not None:
            changes.append(_whole(decision_id, was, "removed"))
        elif was is not None and now is not None:
            change = _compare(decision_id, was, now)
            if change is not None:
                changes.append(change)
    return changes


def _decisions(files: dict[str, Element]) -> dict[str, _Table]:
    found: dict[str, _Table] = {}
    for name in sorted(files):
        for decision in files[name].iter():
            if local(decision) != "decision" or not decision.get("id"):
                continue
            table = next((c for c in decision if local(c) == "decisionTable"), None)
            if table is not None:
                found.setdefault(str(decision.get("id")), _table(name, decision, table))
    return found


def _table(file: str, decision: Element, table: Element) -> _Table:
    inputs: dict[str, dict[str, str | None]] = {}
    outputs: dict[str, dict[str, str | None]] = {}
    for position, column in enumerate(c for c in table if local(c) == "input"):
        expression = next((c for c in column if local(c) == "inputExpression"), None)
        inputs[column.get("id") or f"input {position + 1}"] = {
            "label": column.get("label"),
            "expression": _child_text(expression, "text") if expression is not None else None,
            "type": expression.get("typeRef") if expression is not None else None,
        }
    for position, column in enumerate(c for c in table if local(c) == "output"):
        outputs[column.get("id") or f"output {position + 1}"] = {
            "label": column.get("label"),
            "expression": column.get("name"),
            "type": column.get("typeRef"),
        }
    input_keys = [_column_key(c) for c in inputs.values()]
    output_keys = [_column_key(c) for c in outputs.values()]
    rules = []
    for position, rule in enumerate(c for c in table if local(c) == "rule"):
        entries = [_child_text(c, "text") or "" for c in rule if local(c) == "inputEntry"]
        results = [_child_text(c, "text") or "" for c in rule if local(c) == "outputEntry"]
        rules.append(
            _Rule(
                rule.get("id") or f"row {position + 1}",
                _cells(input_keys, entries, "input"),
                _cells(output_keys, results, "output"),
                _child_text(rule, "description"),
            )
        )
    return _Table(file, decision.get("name"), table.get("hitPolicy") or "UNIQUE", inputs, outputs, rules)


def _column_key(column: dict[str, str | None]) -> str:
    return column["expression"] or column["label"] or "?"


def _cells(keys: list[str], texts: list[str], kind: str) -> dict[str, str]:
    """Column → cell text; entries beyond the declared columns keep their place as a name."""
    cells: dict[str, str] = {}
    for position, text in enumerate(texts):
        key = keys[position] if position < len(keys) else f"{kind} {position + 1}"
        while key in cells:  # two columns on one expression
            key += "'"
        cells[key] = text
    return cells


def _child_text(node: Element, name: str) -> str | None:
    child = next((c for c in node if local(c) == name), None)
    return (child.text or "").strip() if child is not None else None


def _whole(decision_id: str, table: _Table, change: Change) -> DecisionChange:
    """A decision only one version has: every one of its rules, added or removed with it."""
    added = change == "added"
    rules = [
        RuleChange(
            rule.id,
            change,
            None if added else row,
            row if added else None,
            None if added else rule.inputs,
            rule.inputs if added else None,
            None if added else rule.outputs,
            rule.outputs if added else None,
            None if added else rule.description,
            rule.description if added else None,
        )
        for row, rule in enumerate(table.rules, start=1)
    ]
    policy = table.hit_policy
    return DecisionChange(
        table.file,
        decision_id,
        table.name,
        change,
        None if added else policy,
        policy if added else None,
        rules=rules,
    )


def _compare(decision_id: str, was: _Table, now: _Table) -> DecisionChange | None:
    columns = _columns("input", was.inputs, now.inputs) + _columns("output", was.outputs, now.outputs)
    old_rules = {r.id: (row, r) for row, r in enumerate(was.rules, start=1)}
    new_rules = {r.id: (row, r) for row, r in enumerate(now.rules, start=1)}
    moved = _moved(
        [r.id for r in was.rules if r.id in new_rules], [r.id for r in now.rules if r.id in old_rules]
    )
    rules: list[RuleChange] = []
    for rule_id in [r.id for r in now.rules] + [r.id for r in was.rules if r.id not in new_rules]:
        before, after = old_rules.get(rule_id), new_rules.get(rule_id)
        if before is not None and after is not None:
            same = (before[1].inputs, before[1].outputs, before[1].description) == (
                after[1].inputs,
                after[1].outputs,
                after[1].description,
            )
            if same and rule_id not in moved:
                continue
            change: Change = "changed"
        else:
            change = "added" if before is None else "removed"
        rules.append(
            RuleChange(
                rule_id,
                change,
                before[0] if before else None,
                after[0] if after else None,
                before[1].inputs if before else None,
                after[1].inputs if after else None,
                before[1].outputs if before else None,
                after[1].outputs if after else None,
                before[1].description if before else None,
                after[1].description if after else None,
                moved=rule_id in moved,
            )
        )
    policy_changed = was.hit_policy != now.hit_policy
    if not (columns or rules or policy_changed or was.name != now.name):
        return None
    return DecisionChange(
        now.file,
        decision_id,
        now.name,
        "changed",
        was.hit_policy,
        now.hit_policy,
        columns,
        rules,
    )


def _columns(
    kind: Literal["input", "output"],
    was: dict[str, dict[str, str | None]],
    now: dict[str, dict[str, str | None]],
) -> list[ColumnChange]:
    changes = []
    for column_id in [*now, *(c for c in was if c not in now)]:
        before, after = was.get(column_id), now.get(column_id)
        if before == after:
            continue
        change: Change = "changed" if before and after else "added" if after else "removed"
        changes.append(ColumnChange(column_id, kind, change, before, after))
    return changes


def _moved(old_order: list[str], new_order: list[str]) -> set[str]:
    """The rules outside the longest run of rules that kept their order relative to each other."""
    matcher = difflib.SequenceMatcher(a=old_order, b=new_order, autojunk=False)
    kept = {old_order[block.a + i] for block in matcher.get_matching_blocks() for i in range(block.size)}
    return set(old_order) - kept
