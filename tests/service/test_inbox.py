"""The staff's inbox: tabs, visibility, filters, search, the next-deadline-first order and paging."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from support import ADMIN, AGENT, ANALYST, MANAGER

from rma_orchestrator.errors import Forbidden, InvalidData
from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Actor, Services
from rma_orchestrator.service.instances import get_instance, start_instance
from rma_orchestrator.service.results import InboxTask
from rma_orchestrator.service.tasks import claim_task, list_tasks
from rma_orchestrator.store.models import TABLES

OTHER_AGENT = Actor("cs2", "staff", frozenset({"customer_service"}))
WAREHOUSE = Actor("wh1", "staff", frozenset({"warehouse"}))
CASES = {
    "A": ("return", "王芳", "13812345678", "电热水壶 Kettle", "SO-AAA-001"),
    "B": ("repair", "Li Na", "13900001111", "Phone X", "SO-BBB-002"),
    "C": ("exchange", "Zhang_Wei 100%", "021-5555", "Blender", "SO-CCC-003"),
    "D": ("complaint", "Chen Jie", "13700002222", "Toaster", "SO-DDD-004"),
}


@dataclass(frozen=True)
class Inbox:
    services: Services
    keys: dict[str, str]  # case letter -> business key
    tasks: dict[str, str]  # case letter -> its open task's id
    started: datetime

    def letters(self, page: list[InboxTask]) -> list[str]:
        by_task = {task_id: letter for letter, task_id in self.tasks.items()}
        return [by_task[t.id] for t in page]

    def set_due(self, **due: datetime | None) -> None:
        task = TABLES["human_task"]
        with self.services.database.engine.begin() as connection:
            for letter, at in due.items():
                connection.execute(update(task).where(task.c.id == self.tasks[letter]).values(due_at=at))


@pytest.fixture
def inbox(deployed: Services) -> Inbox:
    """Four cases of four kinds, started ten minutes apart, each with its review task open."""
    started = deployed.clock.now()
    keys, tasks = {}, {}
    for letter, (kind, name, phone, product, order_no) in CASES.items():
        data = {
            "order_no": order_no,
            "amount": 500,
            "category": "other",
            "kind": kind,
            "customer": {"name": name, "phone": phone},
            "product": {"name": product},
        }
        case = start_instance(deployed, "order_review", data, AGENT)
        keys[letter] = case.business_key
        (tasks[letter],) = [t.id for t in get_instance(deployed, case.id, AGENT).tasks]
        move_clock(deployed, ADMIN, add="PT10M")
    return Inbox(deployed, keys, tasks, started)


Lister = Callable[..., list[str]]


@pytest.fixture
def listed(inbox: Inbox) -> Lister:
    """``listed(actor, **filters)`` → the case letters of the listed tasks, in order."""

    def run(actor: Actor, **filters: object) -> list[str]:
        return inbox.letters(list_tasks(inbox.services, actor, **filters).items)  # type: ignore[arg-type]

    return run


def test_each_task_carries_its_case_columns(inbox: Inbox) -> None:
    page = list_tasks(inbox.services, AGENT)
    first = page.items[0]
    assert isinstance(first, InboxTask) and inbox.letters(page.items) == ["A", "B", "C", "D"]
    assert (first.kind, first.customer_name, first.customer_phone, first.product_name, first.order_no) == (
        CASES["A"]
    )
    assert first.business_key == inbox.keys["A"] and first.group == "customer_service"


def test_tabs_mine_groups_and_all(inbox: Inbox, listed: Lister) -> None:
    claim_task(inbox.services, inbox.tasks["B"], AGENT)
    claim_task(inbox.services, inbox.tasks["C"], OTHER_AGENT)
    assert listed(AGENT, view="mine") == ["B"]
    assert listed(OTHER_AGENT, view="mine") == ["C"]
    assert listed(AGENT, view="groups") == ["A", "D"]  # unclaimed ones only
    assert listed(AGENT) == ["A", "B", "C", "D"]  # no tab: everything visible
    assert listed(AGENT, view="mine", assignee="cs2") == []
    assert listed(MANAGER, view="all") == ["A", "B", "C", "D"]
    assert listed(ANALYST, view="all") == ["A", "B", "C", "D"]
    assert listed(ADMIN, view="all") == ["A", "B", "C", "D"]
    assert listed(ADMIN, view="groups") == []  # the admin works in no group
    with pytest.raises(Forbidden):
        list_tasks(inbox.services, AGENT, view="all")
    with pytest.raises(InvalidData) as refused:
        list_tasks(inbox.services, AGENT, view="everything")
    assert refused.value.items[0]["field"] == "view"


def test_staff_of_another_group_never_see_the_tasks(inbox: Inbox, listed: Lister) -> None:
    claim_task(inbox.services, inbox.tasks["A"], AGENT)
    for view in (None, "mine", "groups"):
        assert listed(WAREHOUSE, view=view) == []
    assert listed(WAREHOUSE, group="customer_service") == []
    assert listed(WAREHOUSE, q="SO-") == []
    with pytest.raises(Forbidden):
        list_tasks(inbox.services, WAREHOUSE, view="all")


def test_kind_group_and_overdue_filters(inbox: Inbox, listed: Lister) -> None:
    assert listed(AGENT, kind="repair") == ["B"]
    assert listed(AGENT, kind="complaint", view="groups") == ["D"]
    with pytest.raises(InvalidData):
        list_tasks(inbox.services, AGENT, kind="refund")
    assert listed(MANAGER, group="customer_service") == ["A", "B", "C", "D"]
    assert listed(MANAGER, group="warehouse") == []
    assert listed(AGENT, overdue=True) == []
    # due two hours after each start (A at +2h, B at +2h10m, ...): at +2h15m A and B are overdue
    move_clock(inbox.services, ADMIN, set_to=(inbox.started + timedelta(hours=2, minutes=15)).isoformat())
    assert listed(AGENT, overdue=True) == ["A", "B"]
    assert listed(AGENT, overdue=True, kind="repair") == ["B"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("so-bbb", ["B"]),  # order number, any case
        ("ccc-00", ["C"]),
        ("li na", ["B"]),  # customer name, any case
        ("王", ["A"]),
        ("0000", ["B", "D"]),  # customer phone
        ("021-5", ["C"]),
        ("  13812345678 ", ["A"]),  # surrounding blanks do not count
        ("100%", ["C"]),  # LIKE's wildcards are taken literally
        ("g_w", ["C"]),
        ("%", ["C"]),
        ("nobody", []),
    ],
)
def test_search(inbox: Inbox, listed: Lister, search: str, expected: list[str]) -> None:
    assert listed(AGENT, q=search) == expected


def test_search_by_rma_number(inbox: Inbox, listed: Lister) -> None:
    assert listed(AGENT, q=inbox.keys["C"].lower()) == ["C"]
    assert listed(AGENT, q=inbox.keys["D"][-6:]) == ["D"]
    assert listed(AGENT, q="rma-") == ["A", "B", "C", "D"]
    with pytest.raises(InvalidData):
        list_tasks(inbox.services, AGENT, q="x" * 101)


def test_next_breach_first_then_those_without_a_deadline(inbox: Inbox, listed: Lister) -> None:
    later = inbox.started + timedelta(days=1)
    inbox.set_due(A=None, B=later, C=None, D=inbox.started)
    # D and B by deadline; A and C (no deadline) last, in the order they were created
    assert listed(AGENT) == ["D", "B", "A", "C"]
    inbox.set_due(B=None, D=None)
    assert listed(AGENT) == ["A", "B", "C", "D"]


def test_paging_counts_every_match(inbox: Inbox) -> None:
    first = list_tasks(inbox.services, AGENT, per_page=3)
    assert (inbox.letters(first.items), first.total) == (["A", "B", "C"], 4)
    second = list_tasks(inbox.services, AGENT, per_page=3, page=2)
    assert (inbox.letters(second.items), second.total, second.page) == (["D"], 4, 2)
    beyond = list_tasks(inbox.services, AGENT, per_page=3, page=3)
    assert (beyond.items, beyond.total) == ([], 4)
    filtered = list_tasks(inbox.services, AGENT, q="0000", per_page=1, page=2)
    assert (inbox.letters(filtered.items), filtered.total) == (["D"], 2)
