"""The rules a form's JSON Schema lives by, at deploy and when data is checked against it.

A form is written by an analyst and the data checked against it comes from whoever completes a task,
so neither may make the server fetch anything or spin:

* ``$ref`` and ``$dynamicRef`` point into the form file itself (``#/$defs/...``, ``#anchor``) and
  nowhere else, and ``$schema`` (if given) is draft 2020-12's. Deploy refuses anything else, and
  a reference that points to nothing in the form. The validators' registry holds only the form
  itself and the meta-schemas bundled with jsonschema, and refuses to retrieve anything else: no
  URL or file is ever opened.
* ``pattern``, ``patternProperties`` (also where ``additionalProperties`` consults it) and the
  ``regex`` format run on RE2, whose matching time is linear in the input. A pattern RE2 cannot
  compile (backreferences, lookaround) is refused at deploy. ``unevaluatedProperties`` next to
  ``patternProperties`` is refused too: jsonschema evaluates those patterns there with Python's
  backtracking ``re``, out of reach of an override.

JSON Schema patterns are ECMA-262 regular expressions. RE2 agrees on most of what forms use
(``\\d`` and ``\\w`` are ASCII, ``$`` is the end of the text); two differences are bridged here:
``\\s`` and ``\\S`` (outside a character class) cover Unicode white space such as the ideographic
space U+3000, and ``\\uXXXX`` escapes are accepted. ``\\S`` inside a character class keeps RE2's
ASCII meaning.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, cast
from urllib.parse import urljoin, urlsplit

import re2
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
_REFERENCE_KEYWORDS = ("$ref", "$dynamicRef")
_ECMA_SPACE = r"\t\n\x0B\f\r\p{Z}\x{FEFF}"  # ECMA-262 WhiteSpace and LineTerminator
_HEX = frozenset("0123456789abcdefABCDEF")


class Regex(Protocol):
    def search(self, text: str) -> object | None: ...


def _refuse(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


# Nothing but what each validator is given (its form) and jsonschema's bundled meta-schemas.
REGISTRY: Registry[Any] = Registry(retrieve=_refuse)  # type: ignore[call-arg]


# ---- patterns ------------------------------------------------------------------------------------


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    return options


_OPTIONS = _options()


def _translate(pattern: str) -> str:
    """The ECMA-262 ``pattern`` in RE2's syntax (see the module docstring for what changes)."""
    out: list[str] = []
    at, in_class, class_body = 0, False, -1
    while at < len(pattern):
        char = pattern[at]
        if char == "\\" and at + 1 < len(pattern):
            escaped = pattern[at + 1]
            if escaped == "Q":  # RE2's literal text, up to \E
                end = pattern.find("\\E", at + 2)
                stop = len(pattern) if end < 0 else end + 2
                out.append(pattern[at:stop])
                at = stop
                continue
            digits = pattern[at + 2 : at + 6]
            if escaped == "u" and len(digits) == 4 and set(digits) <= _HEX:
                out.append(f"\\x{{{digits}}}")
                at += 6
                continue
            if escaped == "s":
                out.append(_ECMA_SPACE if in_class else f"[{_ECMA_SPACE}]")
            elif escaped == "S" and not in_class:
                out.append(f"[^{_ECMA_SPACE}]")
            else:
                out.append(pattern[at : at + 2])
            at += 2
            continue
        if in_class:
            end = pattern.find(":]", at + 2) if pattern.startswith("[:", at) else -1
            if end >= 0:  # a POSIX class such as [:alpha:]
                out.append(pattern[at : end + 2])
                at = end + 2
                continue
            if char == "]" and at != class_body:  # a "]" first in the class is literal
                in_class = False
        elif char == "[":
            in_class = True
            class_body = at + 2 if pattern.startswith("^", at + 1) else at + 1
        out.append(char)
        at += 1
    return "".join(out)


def _compile(pattern: str) -> Regex:
    """RE2's compiled ``pattern``; raises ``ValueError`` with RE2's reason when it cannot compile."""
    try:
        return cast(Regex, re2.compile(_translate(pattern), _OPTIONS))
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid pattern"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        reason = str(reason)  # RE2 quotes the offending part, which may be most of the pattern
        raise ValueError(reason if len(reason) <= 120 else reason[:117] + "...") from None


compile_pattern = functools.lru_cache(maxsize=2048)(_compile)


def _pattern(validator: Validator, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and compile_pattern(pattern).search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, patterns: dict[str, Any], instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        regex = compile_pattern(pattern)
        for key, value in instance.items():
            if regex.search(key) is not None:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


_STOCK_ADDITIONAL = Draft202012Validator.VALIDATORS["additionalProperties"]


def _additional_properties(
    validator: Validator, additional: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    """The stock keyword, given only the properties no ``patternProperties`` pattern matches (by RE2)."""
    patterns = schema.get("patternProperties") if isinstance(schema, dict) else None
    if not patterns or not validator.is_type(instance, "object"):
        yield from _STOCK_ADDITIONAL(validator, additional, instance, schema)
        return
    regexes = [compile_pattern(pattern) for pattern in patterns]
    rest = {
        key: value
        for key, value in instance.items()
        if not any(regex.search(key) is not None for regex in regexes)
    }
    plain = {keyword: value for keyword, value in schema.items() if keyword != "patternProperties"}
    yield from _STOCK_ADDITIONAL(validator, additional, rest, plain)


def _is_regex(value: object) -> bool:
    if isinstance(value, str):
        _compile(value)  # not cached: the value is submitted data
    return True


_FORMAT_CHECKER = FormatChecker()
_FORMAT_CHECKER.checks("regex", raises=ValueError)(_is_regex)

FormValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    },
)


def form_validator(schema: dict[str, Any]) -> Validator:
    """The validator for data submitted to a form that passed ``form_problems``."""
    return cast(Validator, FormValidator(schema, registry=REGISTRY, format_checker=_FORMAT_CHECKER))


# ---- deploy ----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def form_problems(text: str) -> tuple[str, ...]:
    """What breaks the rules above in a form that is valid JSON Schema, by the form's text.

    Every JSON object in the file is looked at, data keywords (``const``, ``default``, ...) too:
    a ``$ref`` may point anywhere in the document and make any object a schema.
    """
    schema = json.loads(text)
    problems: list[str] = []
    resolver = REGISTRY.resolver_with_root(DRAFT202012.create_resource(schema))
    uses_pattern_properties = uses_unevaluated = False
    places: dict[int, str] = {}
    in_place: dict[int, Edges] = {}  # id of every object -> where it is, what applies to the same value
    for where, node, base in _objects(schema, "", ""):
        places[id(node)] = where or "(root)"
        in_place[id(node)] = _in_place_subschemas(node)
        place = where or "(root)"
        own = node.get("$id")
        if isinstance(own, str) and not _is_uri_reference(own):
            problems.append(f"At {place}: $id {own!r} is not a valid URI reference.")
        if base is None:  # under an $id that is no URI reference: nothing resolves
            continue
        declared = node.get("$schema")
        if isinstance(declared, str) and declared.rstrip("#") != DRAFT_2020_12:
            problems.append(
                f"At {place}: $schema is {declared!r}; a form is JSON Schema {DRAFT_2020_12} "
                "(leave $schema out or give that one)."
            )
        for keyword in _REFERENCE_KEYWORDS:
            ref = node.get(keyword)
            if not isinstance(ref, str):
                continue
            if not ref.startswith("#"):
                problems.append(
                    f"At {place}: {keyword} {ref!r} points outside this form; a form may only refer "
                    "to its own parts (#/$defs/...), never to a URL, a file or another document."
                )
                continue
            try:
                target = resolver.lookup(urljoin(base, ref)).contents
            except (Unresolvable, ValueError):
                problems.append(f"At {place}: {keyword} {ref!r} points to nothing in this form.")
                continue
            if isinstance(target, dict):
                in_place[id(node)].append((f"{keyword} {ref!r}", target))
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            problems.extend(_pattern_problem(place, "pattern", pattern))
        patterns = node.get("patternProperties")
        if isinstance(patterns, dict):
            uses_pattern_properties = True
            for key in patterns:
                problems.extend(_pattern_problem(place, "patternProperties", key))
        uses_unevaluated = uses_unevaluated or "unevaluatedProperties" in node
    if uses_pattern_properties and uses_unevaluated:
        problems.append(
            "unevaluatedProperties cannot be combined with patternProperties in a form (its patterns "
            "would run on a backtracking regular-expression engine); use additionalProperties."
        )
    problems.extend(_loop_problems(places, in_place))
    return tuple(problems)


# Keywords whose subschemas apply to the very value their schema applies to (not to a part of it).
_IN_PLACE_ONE = ("not", "if", "then", "else")
_IN_PLACE_MANY = ("allOf", "anyOf", "oneOf", "dependentSchemas")
Edges = list[tuple[str, dict[str, Any]]]  # (how, subschema) checked against the same value


def _in_place_subschemas(node: dict[str, Any]) -> Edges:
    edges = [(keyword, node[keyword]) for keyword in _IN_PLACE_ONE if isinstance(node.get(keyword), dict)]
    for keyword in _IN_PLACE_MANY:
        value = node.get(keyword)
        if isinstance(value, list | dict):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            edges += [(f"{keyword}/{key}", sub) for key, sub in items if isinstance(sub, dict)]
    return edges


def _loop_problems(places: dict[int, str], in_place: dict[int, Edges]) -> list[str]:
    """References that lead back to where they started without descending into the data.

    ``{"$ref": "#"}`` at the root, or two definitions referring to each other through ``allOf``:
    checking any value against such a form never ends (jsonschema recurses until Python stops it).
    A reference reached through ``properties``, ``items`` and the like is fine: the data it checks is
    smaller each time round. Each loop is reported once, at the reference that closes it.
    """
    problems: list[str] = []
    done: set[int] = set()
    for root in in_place:
        if root in done:
            continue
        path = [root]  # the walk so far, depth first; ``stack`` holds each node's edges left to try
        stack = [iter(in_place[root])]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                done.add(path.pop())
                stack.pop()
                continue
            how, target = step
            key = id(target)
            if key in path:
                loop = [places[n] for n in path[path.index(key) :]]
                through = f" (through {', '.join(loop[1:])})" if len(loop) > 1 else ""
                problems.append(
                    f"At {places[path[-1]]}: {how} leads back to {loop[0]}{through} without going "
                    "into the data, so checking data against this form would never end; refer back "
                    "only from within properties, items and the like."
                )
            elif key not in done and key in in_place:
                path.append(key)
                stack.append(iter(in_place[key]))
    return problems


def _is_uri_reference(text: str) -> bool:
    try:
        urlsplit(text)
    except ValueError:
        return False
    return True


def _pattern_problem(place: str, keyword: str, pattern: str) -> list[str]:
    try:
        compile_pattern(pattern)
    except ValueError as exc:
        return [
            f"At {place}: {keyword} {pattern!r} is not accepted: {exc}. Patterns run on RE2 "
            "(linear time): backreferences and lookaround (?=, ?!, ?<=, ?<!) are not available."
        ]
    return []


def _objects(node: Any, where: str, base: str | None) -> Iterator[tuple[str, dict[str, Any], str | None]]:
    """Every JSON object in the document: its path, itself, and the base URI its references resolve
    on (None from an ``$id`` that is no URI reference down)."""
    children: Iterable[tuple[str, Any]]
    if isinstance(node, dict):
        own = node.get("$id")
        if isinstance(own, str) and base is not None:
            try:
                base = urljoin(base, own)
                urlsplit(base)
            except ValueError:
                base = None
        yield where, node, base
        children = node.items()
    elif isinstance(node, list):
        children = ((str(index), each) for index, each in enumerate(node))
    else:
        return
    for key, child in children:
        yield from _objects(child, f"{where}/{key}" if where else str(key), base)
