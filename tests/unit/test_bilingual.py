"""Bilingual labels of the forms split into their Chinese and English halves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rma_orchestrator.web.bilingual import is_chinese, pick, split

FORMS = Path(__file__).parents[2] / "forms"


def _labels(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("title", "description") and isinstance(value, str):
                yield key, value
            elif key != "examples":
                yield from _labels(value)
    elif isinstance(node, list):
        for each in node:
            yield from _labels(each)


ALL_LABELS = sorted(
    {label for path in FORMS.glob("*.json") for _, label in _labels(json.loads(path.read_text()))}
)


@pytest.mark.parametrize(
    "text, chinese, english",
    [
        ("退款流水号 Payment reference", "退款流水号", "Payment reference"),
        ("商品编码 SKU", "商品编码", "SKU"),
        ("55 英寸电视 55-inch TV", "55 英寸电视", "55-inch TV"),
        ("答复（中文） Answer (Chinese)", "答复（中文）", "Answer (Chinese)"),
        ("报价有效天数 Valid for (days)", "报价有效天数", "Valid for (days)"),
        (
            "财务将 refund_amount 退回原支付方式（扣减项见 refund_lines），须在签收退货后 7 天内完成。 "
            "Finance refunds refund_amount to the original payment method.",
            "财务将 refund_amount 退回原支付方式（扣减项见 refund_lines），须在签收退货后 7 天内完成。",
            "Finance refunds refund_amount to the original payment method.",
        ),
        (
            "承运的快递公司，例如 顺丰速运 SF Express。 The carrier, e.g. 顺丰速运 SF Express.",
            "承运的快递公司，例如 顺丰速运 SF Express。",
            "The carrier, e.g. 顺丰速运 SF Express.",
        ),
        (
            "日历日期 YYYY-MM-DD。 A calendar date, YYYY-MM-DD.",
            "日历日期 YYYY-MM-DD。",
            "A calendar date, YYYY-MM-DD.",
        ),
        (
            "维修已超过 30 天。如属维修方原因，客户可免费换货。 The repair has taken over 30 days.",
            "维修已超过 30 天。如属维修方原因，客户可免费换货。",
            "The repair has taken over 30 days.",
        ),
    ],
)
def test_the_halves_of_real_labels(text: str, chinese: str, english: str) -> None:
    assert pick(text, "zh_CN") == chinese
    assert pick(text, "zh") == chinese
    assert pick(text, "en") == english


@pytest.mark.parametrize(
    "text",
    [
        "Only English here",
        "只有中文",
        "扣减 refund_lines 明细",
        "上海市浦东新区张江路 88 号 售后仓 王工 021-50001234",
        "",
    ],
)
def test_a_text_in_one_language_comes_back_whole(text: str) -> None:
    assert split(text) is None
    assert pick(text, "zh_CN") == text
    assert pick(text, "en") == text


@pytest.mark.parametrize("label", ALL_LABELS)
def test_every_label_of_the_forms_splits_cleanly(label: str) -> None:
    halves = split(label)
    assert halves is not None, label
    assert f"{halves.chinese} {halves.english}" == label
    assert any("\u4e00" <= c <= "\u9fff" for c in halves.chinese)
    assert halves.english[0].isascii()
    if "。" in label:  # a description: each half is a sentence or more
        assert halves.chinese.endswith("。") and halves.english.endswith(".")


def test_every_form_has_labels_to_check() -> None:
    assert len(ALL_LABELS) > 200


@pytest.mark.parametrize(
    "locale, chinese", [("zh_CN", True), ("zh-Hans", True), ("ZH", True), ("en", False), ("en_US", False)]
)
def test_which_locales_are_chinese(locale: str, chinese: bool) -> None:
    assert is_chinese(locale) is chinese


@pytest.mark.parametrize(
    ("text", "chinese", "english"),
    [
        ("Review case 客服复核", "客服复核", "Review case"),
        ("Escalate first response 首次响应超时升级", "首次响应超时升级", "Escalate first response"),
        ("Call for survey 电话回访", "电话回访", "Call for survey"),
    ],
)
def test_the_older_english_first_order_is_split_too(text: str, chinese: str, english: str) -> None:
    assert pick(text, "zh_CN") == chinese
    assert pick(text, "en") == english
