"""The working-day calendar administered (issue 11 item 6): a change made through one process's
services is seen by another's at once; the overview lists official and confirmed years and their days."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import ADMIN, AGENT, MANAGER, late_in_2026

from rma_orchestrator.bootstrap import bootstrap
from rma_orchestrator.config import Settings
from rma_orchestrator.errors import Forbidden, InvalidData, NotFound
from rma_orchestrator.service.calendar import confirm_year, remove_override, set_override
from rma_orchestrator.service.calendar_view import get_calendar
from rma_orchestrator.service.context import Services
from rma_orchestrator.store.db import Database
from rma_orchestrator.store.migrate import downgrade, upgrade


@pytest.fixture
def other(db_url: str, tmp_path: Path) -> Iterator[Services]:
    """A second process's services on the same database (its own caches, its own connections)."""
    settings = Settings.from_env({}, data_dir=tmp_path, database_url=db_url, controlled_clock=True)
    built = bootstrap(settings)
    yield built
    built.database.dispose()


def test_a_change_in_one_process_is_seen_by_another_at_once(services: Services, other: Services) -> None:
    before = services.calendar.get()
    assert not before.is_known_year(2027)
    assert services.calendar.get() is before  # unchanged: the same calendar, not rebuilt

    confirm_year(other, 2027, ADMIN)
    assert services.calendar.get().is_known_year(2027)

    set_override(other, "2027-01-04", "holiday", ADMIN)  # a Monday
    assert not services.calendar.get().is_working_day("2027-01-04")
    set_override(other, "2027-01-09", "workday", ADMIN)  # a Saturday
    assert services.calendar.get().is_working_day("2027-01-09")

    remove_override(other, "2027-01-04", ADMIN)
    assert services.calendar.get().is_working_day("2027-01-04")
    unchanged = services.calendar.get()
    assert services.calendar.get() is unchanged


def test_the_overview_lists_official_and_confirmed_years_and_their_days(services: Services) -> None:
    days_left = late_in_2026(services)  # 11 days, until the machine's clock passes 2026-12-20
    overview = get_calendar(services, MANAGER)
    years = {year.year: year for year in overview.years}
    assert years[2026].official and years[2026].known and not years[2026].confirmed
    assert "2026-10-01" in years[2026].holidays and "2026-01-04" in years[2026].makeup_workdays
    assert not years[2027].known and years[2027].holidays == [] and years[2027].overrides == []
    assert (overview.last_known_year, overview.days_left) == (2026, days_left)
    assert overview.warning is not None and "2026-12-31" in overview.warning

    set_override(services, "2027-02-11", "holiday", ADMIN)
    set_override(services, "2027-02-07", "workday", ADMIN)  # a Sunday worked
    set_override(services, "2026-10-08", "workday", ADMIN)  # an official holiday made a working day
    confirm_year(services, 2027, ADMIN)
    overview = get_calendar(services, ADMIN)
    years = {year.year: year for year in overview.years}
    assert years[2027].confirmed and years[2027].known and not years[2027].official
    assert years[2027].confirmed_by == ADMIN.name
    assert (years[2027].holidays, years[2027].makeup_workdays) == (["2027-02-11"], ["2027-02-07"])
    assert [(o.date, o.kind, o.set_by) for o in years[2027].overrides] == [
        ("2027-02-07", "workday", ADMIN.name),
        ("2027-02-11", "holiday", ADMIN.name),
    ]
    assert "2026-10-08" not in years[2026].holidays
    assert (overview.last_known_year, overview.warning) == (2027, None)


@pytest.mark.parametrize(
    ("day", "kind", "field"),
    [
        ("2027-02-30", "holiday", "date"),
        ("20270211", "holiday", "date"),
        ("1999-12-31", "holiday", "date"),
        ("next monday", "holiday", "date"),
        ("2027-02-11", "weekend", "kind"),
    ],
)
def test_a_bad_date_or_kind_is_refused_with_its_field(
    services: Services, day: str, kind: str, field: str
) -> None:
    with pytest.raises(InvalidData) as refused:
        set_override(services, day, kind, ADMIN)
    assert refused.value.items[0]["field"] == field
    assert get_calendar(services, ADMIN).years[-1].overrides == []


def test_removing_a_day_without_override_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound):
        remove_override(services, "2027-03-01", ADMIN)


def test_managers_read_the_calendar_and_only_admins_change_it(services: Services) -> None:
    assert get_calendar(services, MANAGER).years
    with pytest.raises(Forbidden):
        get_calendar(services, AGENT)
    for change in (
        lambda: set_override(services, "2027-02-11", "holiday", MANAGER),
        lambda: remove_override(services, "2027-02-11", MANAGER),
        lambda: confirm_year(services, 2027, MANAGER),
    ):
        with pytest.raises(Forbidden):
            change()


def test_migration_0013_adds_and_drops_the_batch_tables(db_url: str) -> None:
    from sqlalchemy import inspect

    database = Database(db_url)
    try:
        assert {"batch_run", "batch_item"} <= set(inspect(database.engine).get_table_names())
        downgrade(database, "0010")
        assert not {"batch_run", "batch_item"} & set(inspect(database.engine).get_table_names())
    finally:
        upgrade(database)
        database.dispose()
