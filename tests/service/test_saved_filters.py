"""Saved inbox filters: each user's own, replaced by name, and only queries the inbox understands."""

from __future__ import annotations

import pytest
from support import ADMIN, AGENT

from rma_orchestrator.errors import InvalidData, NotFound
from rma_orchestrator.service.clock import move_clock
from rma_orchestrator.service.context import Actor, Services
from rma_orchestrator.service.saved_filters import MAX_FILTERS, delete_filter, list_filters, save_filter

OTHER_AGENT = Actor("cs2", "staff", frozenset({"customer_service"}))


def test_save_list_replace_and_delete(services: Services) -> None:
    first = save_filter(services, "overdue repairs", "view=groups&kind=repair&overdue=1", AGENT)
    assert first.query == "view=groups&kind=repair&overdue=1" and first.created_at == services.clock.now()
    save_filter(services, "a search", "?q=%E7%8E%8B+13", AGENT)  # a leading "?" is dropped
    assert [(f.name, f.query) for f in list_filters(services, AGENT)] == [
        ("a search", "q=%E7%8E%8B+13"),
        ("overdue repairs", "view=groups&kind=repair&overdue=1"),
    ]
    move_clock(services, ADMIN, add="PT1H")
    replaced = save_filter(services, "overdue repairs", "view=mine&kind=repair", AGENT)
    assert replaced.query == "view=mine&kind=repair" and replaced.created_at == first.created_at
    assert len(list_filters(services, AGENT)) == 2
    delete_filter(services, "a search", AGENT)
    assert [f.name for f in list_filters(services, AGENT)] == ["overdue repairs"]
    with pytest.raises(NotFound):
        delete_filter(services, "a search", AGENT)


def test_filters_are_private_to_their_user(services: Services) -> None:
    save_filter(services, "mine", "view=mine", AGENT)
    save_filter(services, "mine", "view=groups", OTHER_AGENT)  # the same name, another user
    assert [f.query for f in list_filters(services, AGENT)] == ["view=mine"]
    assert [f.query for f in list_filters(services, OTHER_AGENT)] == ["view=groups"]
    delete_filter(services, "mine", OTHER_AGENT)
    assert [f.query for f in list_filters(services, AGENT)] == ["view=mine"]
    with pytest.raises(NotFound):
        delete_filter(services, "mine", OTHER_AGENT)


def test_an_empty_query_is_the_plain_inbox(services: Services) -> None:
    assert save_filter(services, "everything", "", AGENT).query == ""
    assert save_filter(services, "blank values", "q=&kind=", AGENT).query == "q=&kind="


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("page=2", "unknown parameter 'page'"),
        ("view=mine&sort=due", "unknown parameter 'sort'"),
        ("view=mine&view=all", "view given twice"),
        ("view=everything", "view: must be one of mine, groups, all"),
        ("kind=refund", "kind: must be one of return, exchange, repair, complaint"),
        ("status=done", "status: must be one of"),
        ("per_page=500", "per_page: must be 1..200"),
        ("per_page=x", "per_page: must be 1..200"),
        ("q=" + "x" * 101, "q: at most 100 characters"),
        ("q=%00", "q: "),
        ("view", "not a URL query string"),
        ("x" * 1001, "at most 1000 characters"),
    ],
)
def test_only_inbox_queries_are_kept(services: Services, query: str, problem: str) -> None:
    with pytest.raises(InvalidData) as refused:
        save_filter(services, "bad", query, AGENT)
    assert refused.value.items[0]["field"] == "query"
    assert problem in refused.value.items[0]["message"]
    assert list_filters(services, AGENT) == []


@pytest.mark.parametrize("name", ["", "   ", "n" * 121, "nul\x00"])
def test_a_filter_needs_a_storable_name(services: Services, name: str) -> None:
    with pytest.raises(InvalidData) as refused:
        save_filter(services, name, "view=mine", AGENT)
    assert refused.value.items[0]["field"] == "name"


def test_a_user_keeps_a_bounded_number_of_filters(services: Services) -> None:
    for number in range(MAX_FILTERS):
        save_filter(services, f"f{number:02d}", "view=mine", AGENT)
    with pytest.raises(InvalidData, match="too many"):
        save_filter(services, "one more", "view=mine", AGENT)
    assert save_filter(services, "f00", "view=groups", AGENT).query == "view=groups"  # replacing is fine
    assert len(list_filters(services, AGENT)) == MAX_FILTERS
