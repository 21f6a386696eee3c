"""Lanes are groups: a lane's id names the group whose people work its tasks, its name is for people.

A modeler shows the lane's name, so the name can be ``客服 Customer service`` while the lane id
``lane_customer_service`` says exactly which group holds the tasks; renaming a lane for readers
never moves work to another group. SpiffWorkflow knows a task's lane only by the lane's name, so
after parsing every task spec's ``lane`` is replaced by the group its lane id names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

from .bpmn_xml import BPMN_NS, Element
from .checker import Checker

LANE_ID_PREFIX = "lane_"
GroupLabels = Mapping[str, tuple[str | None, str | None]]  # group -> (Chinese label, English label)


def lane_group(lane: Element) -> str | None:
    """The group a lane stands for: its id without ``lane_``; a lane with another id keeps its name."""
    lane_id = lane.get("id") or ""
    if lane_id.startswith(LANE_ID_PREFIX) and len(lane_id) > len(LANE_ID_PREFIX):
        return lane_id[len(LANE_ID_PREFIX) :]
    return lane.get("name")


def _lanes(root: Element) -> Iterable[Element]:
    return root.iter(f"{{{BPMN_NS}}}lane")


def groups_by_node(root: Element) -> dict[str, str]:
    """``{flow node id: group}`` for every node a lane of the document refers to (innermost lane wins)."""
    found: dict[str, str] = {}
    for lane in _lanes(root):
        group = lane_group(lane)
        if group is None:
            continue
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            if ref.text and ref.text.strip():
                found[ref.text.strip()] = group
    return found


def assign_groups(specs: Iterable[tuple[BpmnProcessSpec, Element | None]]) -> None:
    """Set each task spec's ``lane`` to the group of its lane (``specs`` pairs a spec with its document)."""
    for spec, root in specs:
        if root is None:
            continue
        groups = groups_by_node(root)
        for task_spec in spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            if bpmn_id in groups and getattr(task_spec, "lane", None) is not None:
                task_spec.lane = groups[bpmn_id]


def check_lanes(checker: Checker, root: Element, groups: GroupLabels) -> None:
    """Every lane names a group that exists, by its id, and a name that does not contradict it.

    The name may be the group itself or carry the group's labels (``客服 Customer service``); a lane
    named for another group's people (``财务 Finance`` on ``lane_quality``) is refused.
    """
    for lane in _lanes(root):
        lane_id = lane.get("id") or ""
        name = (lane.get("name") or "").strip()
        if not lane_id.startswith(LANE_ID_PREFIX):
            checker.add(
                lane,
                f"Lane '{lane_id}' must have the id 'lane_<group>' (e.g. lane_customer_service): the id "
                "says which group works its tasks.",
            )
            continue
        group = lane_group(lane)
        if group is None or group not in groups:
            known = ", ".join(sorted(groups))
            checker.add(
                lane,
                f"Lane '{lane_id}' stands for the group '{group}', which does not exist; known groups: "
                f"{known}. Rename the lane id, or have an administrator add the group.",
            )
            continue
        label_zh, label_en = groups[group]
        labels = [label for label in (label_zh, label_en) if label]
        if name and name != group and not all(label in name for label in labels):
            checker.add(
                lane,
                f"Lane '{lane_id}' is named '{name}', but its group '{group}' is "
                f"'{' '.join(labels) or group}': name the lane with the group's labels "
                f"(e.g. '{' '.join(labels)}').",
            )
