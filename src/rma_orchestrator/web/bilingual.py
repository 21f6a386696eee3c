"""Placeholder until the form renderer's bilingual splitter lands (replaced on merge)."""

from __future__ import annotations


def pick(text: str, locale: str) -> str:
    return text
