"""What commands and reads answer: frozen dataclasses, times as aware UTC datetimes (DESIGN §7).

The web layer serialises these and generates the OpenAPI document from them, so the JSON
shapes are written once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from .product_results import ProductInfo

T = TypeVar("T")

InstanceStatus = Literal["running", "completed", "cancelled", "suspended", "error"]
TaskStatus = Literal["open", "completed", "cancelled"]
TimerStatus = Literal["pending", "fired", "cancelled", "failed"]
AttachmentKind = Literal["photo", "proof_of_purchase", "evidence", "other"]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: ``total`` counts every match, not just this page."""

    items: list[T]
    total: int
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True)
class StartForm:
    """The form a process starts from: ``form`` is its file name, ``schema`` its JSON Schema."""

    process_key: str
    version: int
    form: str | None
    schema: dict[str, Any] | None


@dataclass(frozen=True)
class InstanceInfo:
    id: int
    business_key: str
    process_key: str
    version: int
    status: InstanceStatus
    outcome: str | None
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class TaskInfo:
    id: str
    instance_id: int
    business_key: str | None
    process_key: str
    element_id: str
    name: str
    group: str | None
    assignee: str | None
    status: TaskStatus
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None


@dataclass(frozen=True)
class InboxTask(TaskInfo):
    """A task as lists show it: with a few fields of its case, copied out of the case data at start."""

    customer_name: str | None
    customer_phone: str | None
    order_no: str | None
    product_name: str | None
    kind: str | None


@dataclass(frozen=True)
class TaskDetail(InboxTask):
    """A task with its form: ``schema`` is the form's JSON Schema, ``data`` what the form starts from."""

    form: str | None
    schema: dict[str, Any] | None
    data: dict[str, Any]


@dataclass(frozen=True)
class DraftInfo:
    """Form data a user saved on an open task without completing it (not checked against the form)."""

    task_id: str
    saved_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class SavedFilterInfo:
    """A user's named inbox filter: ``query`` is the inbox URL's query string (``view=mine&kind=repair``)."""

    name: str
    query: str
    created_at: datetime


@dataclass(frozen=True)
class TimerInfo:
    id: int
    element_id: str
    process_key: str
    due_at: datetime
    status: TimerStatus
    fired_at: datetime | None


@dataclass(frozen=True)
class IncidentInfo:
    """A failed step; ``details`` (the traceback) only for managers and admins, else null."""

    id: int
    instance_id: int
    element_id: str | None
    message: str
    details: str | None
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class InstanceDetail(InstanceInfo):
    """An instance with its case data, open tasks, pending timers, incidents and element states.

    ``product``: the record of the unit the case names (``product.serial_no``), null without one.
    """

    data: dict[str, Any]
    tasks: list[TaskInfo]
    timers: list[TimerInfo]
    incidents: list[IncidentInfo]
    element_states: dict[str, dict[str, dict[str, Any]]]
    product: ProductInfo | None = None


@dataclass(frozen=True)
class RetryResult(IncidentInfo):
    """The retried incident, now resolved; ``new_incident`` when the step failed again."""

    instance_status: InstanceStatus
    new_incident: bool


@dataclass(frozen=True)
class EventInfo:
    id: int
    at: datetime
    kind: str
    actor: str | None
    element_id: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class AttachmentInfo:
    """An uploaded file: ``instance_id`` null while staged, ``content_type`` as sniffed from its bytes."""

    id: int
    instance_id: int | None
    kind: AttachmentKind
    filename: str
    content_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    uploaded_by: str
    uploaded_at: datetime
    task_id: str | None
    has_thumbnail: bool


@dataclass(frozen=True)
class Delivery:
    """``delivered``: an instance took the message; else it is kept until one waits for it."""

    delivered: bool
    duplicate: bool = False


@dataclass(frozen=True)
class DefinitionInfo:
    """A deployed version; ``note`` is the change note it was deployed with (null from ``rma deploy``)."""

    process_key: str
    name: str
    version: int
    deployment_id: int
    deployed_at: datetime
    deployed_by: str | None
    note: str | None


@dataclass(frozen=True)
class DeployedProcess:
    process_key: str
    version: int
    created: bool


@dataclass(frozen=True)
class DeployResult:
    deployment_id: int | None
    processes: list[DeployedProcess]
    dry_run: bool = False

    @property
    def created(self) -> bool:
        return any(p.created for p in self.processes)


@dataclass(frozen=True)
class Finding:
    """One validation finding: ``rule`` a stable id (engine/checker.py RULES), ``element`` a diagram id."""

    file: str | None
    line: int | None
    element: str | None
    rule: str
    message: str


@dataclass(frozen=True)
class ValidationResult:
    """What refuses a deploy of the files (errors) and what the lint rules report about them (warnings)."""

    errors: list[Finding]
    warnings: list[Finding]


@dataclass(frozen=True)
class ClockReading:
    now: datetime


@dataclass(frozen=True)
class ClockMove:
    now: datetime
    fired: int


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: str
    groups: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CalendarDay:
    date: str
    kind: Literal["workday", "holiday"]


@dataclass(frozen=True)
class CalendarYear:
    year: int
    overrides: int
