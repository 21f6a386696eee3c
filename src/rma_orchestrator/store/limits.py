"""What the columns hold, as plain values: the service checks input against them before any SQL.

Read from the table declarations, so a migration that widens a column widens the check. SQLite
stores any length and NUL characters, PostgreSQL refuses both (and 32-bit ids out of range):
checking first makes both databases answer the same way.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String

from .models import TABLES


def _length(table: str, column: str) -> int:
    kind = TABLES[table].c[column].type
    assert isinstance(kind, String) and kind.length is not None, f"{table}.{column} has no length"
    return int(kind.length)


def _shortest(*columns: str) -> int:
    """The length of the shortest of several ``table.column`` columns that record the same text."""
    return min(_length(*column.split(".")) for column in columns)


def _largest(table: str, column: str) -> int:
    """The largest value an integer column holds on every supported database (INTEGER: 32 bits)."""
    kind = TABLES[table].c[column].type
    assert isinstance(kind, Integer), f"{table}.{column} is not an integer"
    return 2**63 - 1 if isinstance(kind, BigInteger) else 2**31 - 1


PROCESS_KEY = _length("process_definition", "process_key")
PROCESS_NAME = _length("process_definition", "name")
FORM_NAME = _length("process_definition", "start_form")
BUSINESS_KEY = _length("process_instance", "business_key")
MESSAGE_NAME = _shortest("message_inbox.name", "message_subscription.message_name")
IDEMPOTENCY_KEY = _length("message_inbox", "idempotency_key")
USER_NAME = _length("app_user", "name")
GROUP_NAME = _shortest("user_group.name", "human_task.group_name")  # a lane is a group
TASK_ID = _length("human_task", "id")
FILE_NAME = _length("deployment_file", "name")
ORDER_NO = _length("process_instance", "order_no")
CUSTOMER_NAME = _length("process_instance", "customer_name")
CUSTOMER_PHONE = _length("process_instance", "customer_phone")
PRODUCT_NAME = _length("process_instance", "product_name")
FILTER_NAME = _length("saved_filter", "name")
FILTER_QUERY = _length("saved_filter", "query")
KIND = _length("process_instance", "kind")
PRODUCT_CATEGORY = _length("process_instance", "product_category")
REASON = _length("process_instance", "reason")
ATTACHMENT_NAME = _length("attachment", "filename")
SERIAL_NO = _length("product", "serial_no")
SKU = _length("product", "sku")
ACTION_REASON = 500  # a manager's reason for an action, kept in the event's JSON details

# Texts of a deployed diagram that running it records; deploy checks them (PostgreSQL would refuse
# a longer one only when a case reaches the element).
ELEMENT_ID = _shortest(
    "human_task.element_id",
    "timer.element_id",
    "message_subscription.element_id",
    "event.element_id",
    "incident.element_id",
    "process_instance.outcome",
)
TASK_NAME = _length("human_task", "name")
TASK_FORM = _length("human_task", "form")
SLA_NAME = _length("timer", "sla")

INSTANCE_ID = _largest("process_instance", "id")
INCIDENT_ID = _largest("incident", "id")
VERSION = _largest("process_definition", "version")
ATTACHMENT_ID = _largest("attachment", "id")
DRAFT_ID = _largest("definition_draft", "id")
