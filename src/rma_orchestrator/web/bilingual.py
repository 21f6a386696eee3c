"""One half of a form's bilingual label: ``"中文 English"`` titles, ``"中文。 English."`` descriptions.

The two halves are joined by one space, Chinese first. The Chinese half may hold ASCII (``"商品编码 SKU"``,
``"扣减 refund_lines 明细。 ..."``, ``"55 英寸电视 55-inch TV"``) and the English half may quote Chinese
(``"... e.g. 顺丰速运 SF Express."``), so the split is not simply the first or last space. The rule:

* a *seam* is a space with a wide character (CJK ideograph or full-width punctuation, by
  ``unicodedata.east_asian_width``) just before it, a narrow one just after it, and after it a rest that
  holds an ASCII letter;
* a seam right after a Chinese sentence end (``。！？``) wins, the first such one: descriptions end their
  Chinese half with a full stop;
* otherwise the first seam whose rest holds no wide character at all: titles;
* no such seam, the text may be in the older order, English first (``"Review case 客服复核"``, as some
  diagrams still name their tasks): a space with only narrow characters before it, holding a letter,
  and after it a wide character first and no ASCII letter;
* otherwise the text is one language and comes back whole.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

_SENTENCE_ENDS = frozenset("。！？")


class Halves(NamedTuple):
    chinese: str
    english: str


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _has_letter(text: str) -> bool:
    return any("a" <= c.lower() <= "z" for c in text)


def split(text: str) -> Halves | None:
    """The Chinese and English halves of ``text``, or None when it is in one language only."""
    seams = [
        at
        for at in range(1, len(text) - 1)
        if text[at] == " "
        and _wide(text[at - 1])
        and not _wide(text[at + 1])
        and not text[at + 1].isspace()
        and _has_letter(text[at + 1 :])
    ]
    chosen = next((at for at in seams if text[at - 1] in _SENTENCE_ENDS), None)
    if chosen is None:
        chosen = next((at for at in seams if not any(_wide(c) for c in text[at + 1 :])), None)
    if chosen is None:
        return _english_first(text)
    return Halves(text[:chosen].rstrip(), text[chosen + 1 :].strip())


def _english_first(text: str) -> Halves | None:
    for at, char in enumerate(text):
        if char != " " or at + 1 >= len(text):
            continue
        before, after = text[:at], text[at + 1 :]
        if (
            _wide(after[0])
            and _has_letter(before)
            and not any(_wide(c) for c in before)
            and not _has_letter(after)
        ):
            return Halves(after.strip(), before.strip())
    return None


def is_chinese(locale: object) -> bool:
    """Whether ``locale`` (``"zh_CN"``, ``"zh"``, ``"zh-Hans"``, a babel ``Locale``) asks for Chinese."""
    return str(locale).lower().replace("-", "_").split("_")[0] == "zh"


def pick(text: str, locale: object) -> str:
    """The half of ``text`` in ``locale``'s language (Chinese for ``zh*``, English otherwise)."""
    halves = split(text)
    if halves is None:
        return text
    return halves.chinese if is_chinese(locale) else halves.english
