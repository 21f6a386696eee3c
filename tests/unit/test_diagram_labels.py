"""Every label an analyst reads in processes/*.bpmn is bilingual in one order: Chinese first, then
English (POLICY.md's two audiences; issue 10 item 8). Message names are not labels but the
correlation names of the data contract (processes/README.md, Messages), so they stay as they are."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

PROCESSES = Path(__file__).parents[2] / "processes"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
NOT_LABELS = {"message"}


def labels(path: Path) -> list[tuple[str, str]]:
    return [
        (element.get("id"), element.get("name"))
        for element in etree.parse(str(path)).iter(f"{{{BPMN}}}*")
        if element.get("name") is not None and etree.QName(element).localname not in NOT_LABELS
    ]


def chinese_then_english(name: str) -> bool:
    chinese, latin = CJK.search(name), LATIN.search(name)
    return bool(chinese and latin and chinese.start() < latin.start())


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_label_is_chinese_then_english(path: Path) -> None:
    found = labels(path)
    assert len(found) > 10
    assert [(i, name) for i, name in found if not chinese_then_english(name)] == []


def test_the_check_tells_the_orders_apart() -> None:
    assert chinese_then_english("已退款 refunded") and chinese_then_english(
        "24 小时首次响应 24 h first response"
    )
    assert not chinese_then_english("refunded 已退款")
    assert not chinese_then_english("refunded") and not chinese_then_english("已退款")
