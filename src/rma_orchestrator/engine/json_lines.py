"""Where each part of a JSON document is written: the line of an object member's key or an array item.

``json.loads`` keeps no positions, so deploy errors about a form would have no line; this small scanner
reads the (already valid) text once more and records them by path, ``("properties", "paid", "type")``.
"""

from __future__ import annotations

import bisect
import json
import json.decoder
import re
from collections.abc import Callable
from typing import cast

# The standard library's string scanner (C-accelerated), untyped in its stubs: (text, after quote) ->
# (value, end).
scanstring = cast(Callable[[str, int], tuple[str, int]], json.decoder.scanstring)  # type: ignore[attr-defined]

Path = tuple[str | int, ...]

_SPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [at for at, char in enumerate(text) if char == "\n"]
        self.lines: dict[Path, int] = {}

    def line(self, at: int) -> int:
        return bisect.bisect_left(self.newlines, at) + 1

    def skip(self, at: int) -> int:
        match = _SPACE.match(self.text, at)
        return match.end() if match else at

    def value(self, at: int, path: Path) -> int:
        """Scan the value starting at ``at`` (white space skipped); answer where it ends."""
        at = self.skip(at)
        self.lines.setdefault(path, self.line(at))
        char = self.text[at]
        if char == "{":
            at = self.skip(at + 1)
            if self.text[at] == "}":
                return at + 1
            while True:
                key_at = self.skip(at)
                key, at = scanstring(self.text, key_at + 1)
                self.lines[(*path, key)] = self.line(key_at)
                at = self.skip(at) + 1  # the colon
                at = self.skip(self._member(at, (*path, key)))
                if self.text[at] == "}":
                    return at + 1
                at += 1  # the comma
        if char == "[":
            at = self.skip(at + 1)
            if self.text[at] == "]":
                return at + 1
            index = 0
            while True:
                at = self.skip(self.value(at, (*path, index)))
                if self.text[at] == "]":
                    return at + 1
                at, index = at + 1, index + 1
        if char == '"':
            return scanstring(self.text, at + 1)[1]
        match = _SCALAR.match(self.text, at)
        if match is None:
            raise ValueError(f"unexpected {char!r} at {at}")
        return match.end()

    def _member(self, at: int, path: Path) -> int:
        known = self.lines[path]  # a member's line is its key's, not its value's
        end = self.value(at, path)
        self.lines[path] = known
        return end


def key_lines(text: str) -> dict[Path, int]:
    """Line (1-based) of every member key and array item of the JSON ``text``, by path; the root is ``()``.

    Answers ``{}`` for text that is not JSON or nests too deep to scan.
    """
    try:
        json.loads(text)
        scanner = _Scanner(text.removeprefix("\ufeff"))
        scanner.value(0, ())
    except (ValueError, IndexError, RecursionError):
        return {}
    return scanner.lines


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of ``path``, or of its nearest ancestor that has one."""
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)
