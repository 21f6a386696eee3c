"""Values echoed in messages, cut short: an analyst's expression may give a value of gigabytes.

A message that quotes such a value whole costs as much as the value to build and to send (a sorted
list of ten million numbers made a 79 MB answer). ``short`` is ``repr`` cut at ``MAX_ECHO``
characters and reads only the start of a large container or string; ``clip`` cuts a text.
"""

from __future__ import annotations

import reprlib
from typing import Any

MAX_ECHO = 120  # characters of a value (or an error's words) echoed in a message

_REPR = reprlib.Repr()  # Python 3.11: no keyword arguments yet
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict, _REPR.maxset = 2, 8, 8, 6, 6
_REPR.maxfrozenset, _REPR.maxdeque, _REPR.maxarray = 6, 6, 6
_REPR.maxstring, _REPR.maxlong, _REPR.maxother = MAX_ECHO, 40, MAX_ECHO


def clip(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` cut to at most ``limit`` characters, "…" marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short(value: Any) -> str:
    """``repr(value)`` in at most ``MAX_ECHO`` characters; cheap even for a huge value."""
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001 - an int too long for its decimal text, say
        return f"<a {type(value).__name__} too large to show>"
    return clip(text)
