"""Scenario YAML read with JSON scalars (``yes`` and ``2026-11-20`` stay strings), the line of
every mapping key and list item kept for messages, and duplicate keys refused."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml


class LineMap(dict[str, Any]):
    """A mapping that remembers the line of itself and of each key."""

    def __init__(self, items: Mapping[str, Any] | None = None, line: int = 0) -> None:
        items = items or {}
        super().__init__(items)
        self.line = line
        self.lines = dict.fromkeys(items, line)


class LineList(list[Any]):
    """A list that remembers the line of each item."""

    def __init__(self, items: list[Any], lines: list[int]) -> None:
        super().__init__(items)
        self.lines = lines


class LineLoader(yaml.SafeLoader):
    """SafeLoader with JSON scalars, line numbers and duplicate keys refused."""

    yaml_implicit_resolvers = {
        first: [
            (tag, rx) for tag, rx in resolvers if not tag.endswith((":bool", ":int", ":float", ":timestamp"))
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineMap:  # type: ignore[override]
        self.flatten_mapping(node)
        mapping = LineMap(line=node.start_mark.line + 1)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(
                    None, None, f"keys must be strings, found {key!r}", key_node.start_mark
                )
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.lines[key] = key_node.start_mark.line + 1
        return mapping


LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^-?(?:0|[1-9][0-9]*)$"), list("-0123456789")
)
LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)$"),
    list("-0123456789"),
)
LineLoader.add_constructor("tag:yaml.org,2002:map", lambda loader, node: loader.construct_mapping(node))
LineLoader.add_constructor(
    "tag:yaml.org,2002:seq",
    lambda loader, node: LineList(
        [loader.construct_object(child, deep=True) for child in node.value],
        [child.start_mark.line + 1 for child in node.value],
    ),
)
