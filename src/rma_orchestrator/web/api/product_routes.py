"""The JSON API: product records per serial number (read by whoever reads cases, set by managers)."""

from __future__ import annotations

from typing import Any

from ...service import products
from ...service.product_results import ProductInfo
from ..auth import current_actor, services
from . import bp
from .bodies import ProductBody
from .operations import operation, parse_body


@operation(
    bp,
    "get",
    "/products/<serial_no>",
    summary="A product record: warranty, cases, repairs and exchanges of one serial number",
    returns=ProductInfo,
    errors=(400, 403, 404),
)
def get_product(serial_no: str) -> ProductInfo:
    return products.get_product(services(), serial_no, current_actor())


@operation(
    bp,
    "put",
    "/products/<serial_no>",
    summary="Set a product's warranty start and months, e.g. from the ERP (managers)",
    returns=ProductInfo,
    errors=(400, 403),
    body=ProductBody,
)
def put_product(serial_no: str) -> ProductInfo:
    parse_body(ProductBody)  # the documented shape; the service checks the values and names unknown keys
    values: dict[str, Any] = parse_body(dict[str, Any])  # which keys were sent (null clears a value)
    return products.set_warranty(services(), serial_no, values, current_actor())
