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


def _largest(table: str, column: str) -> int:
    """The largest value an integer column holds on every supported database (INTEGER: 32 bits)."""
    kind = TABLES[table].c[column].type
    assert isinstance(kind, Integer), f"{table}.{column} is not an integer"
    return 2**63 - 1 if isinstance(kind, BigInteger) else 2**31 - 1


PROCESS_KEY = _length("process_definition", "process_key")
PROCESS_NAME = _length("process_definition", "name")
FORM_NAME = _length("process_definition", "start_form")
BUSINESS_KEY = _length("process_instance", "business_key")
MESSAGE_NAME = _length("message_inbox", "name")
IDEMPOTENCY_KEY = _length("message_inbox", "idempotency_key")
USER_NAME = _length("app_user", "name")
GROUP_NAME = _length("user_group", "name")
TASK_ID = _length("human_task", "id")
FILE_NAME = _length("deployment_file", "name")
ORDER_NO = _length("process_instance", "order_no")
CUSTOMER_NAME = _length("process_instance", "customer_name")
KIND = _length("process_instance", "kind")
PRODUCT_CATEGORY = _length("process_instance", "product_category")

INSTANCE_ID = _largest("process_instance", "id")
INCIDENT_ID = _largest("incident", "id")
VERSION = _largest("process_definition", "version")
