"""The top-level ``products:`` of a scenario file: product records seeded before the scenario starts.

Each record has ``serial_no`` and optionally ``sku``, ``name``, ``category``, ``warranty_start_on`` (a
date), ``warranty_months``, ``repairs`` (``started_on``, ``ended_on``, ``days`` (default: the days
between), ``in_warranty``, ``fixed``) and ``exchanges`` (``exchanged_on``, ``new_serial_no``); they are
applied in date order as a case's ``case_records`` are (an exchange restarts the warranty), so a case
started with that ``product.serial_no`` finds them in its ``product_history``.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidData
from ..service.products import check_product_seed


class SeedProblem(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def read_products(raw: Any, line: int) -> tuple[dict[str, Any], ...]:
    """The seeds of ``products:`` (a list of mappings), each checked as ``seed_product`` would.

    ``raw`` is the loader's list (it knows each item's line); SeedProblem names the first
    problem of an item at its line.
    """
    if not isinstance(raw, list):
        raise SeedProblem(line, "products takes a list of product records, e.g. '- serial_no: SN-1'")
    lines: list[int] = getattr(raw, "lines", [])
    seeds = []
    for number, item in enumerate(raw):
        at = lines[number] if number < len(lines) else line
        try:
            check_product_seed(item)
        except InvalidData as error:
            first = error.items[0]
            where = ".".join(part for part in (f"products.{number}", first.get("field") or "") if part)
            more = f" (and {len(error.items) - 1} more)" if len(error.items) > 1 else ""
            raise SeedProblem(at, f"{where}: {first['message']}{more}") from None
        seeds.append(item)
    return tuple(seeds)
