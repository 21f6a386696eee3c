"""WorkCalendar: real 2025/2026 State Council schedules, overrides, unknown years, zones, naive input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from rma_orchestrator.engine.workdays import UnknownCalendarYear, WorkCalendar, official_years

CAL = WorkCalendar()
SHANGHAI = ZoneInfo("Asia/Shanghai")


def d(text: str) -> date:
    return date.fromisoformat(text)


# -- the library's data ------------------------------------------------------------------------------


def test_official_years_are_the_published_notices() -> None:
    years = official_years()
    # holidays 0.109 carries the notices for 2001..2026 (2026 published November 2025).
    assert {2001, 2020, 2025, 2026} <= years
    assert 2000 not in years
    assert max(years) >= 2026
    # Nothing after the last notice: those years are rule-based guesses.
    assert max(years) + 1 not in years
    assert CAL.last_known_year() == max(years)


def test_default_zone_is_shanghai() -> None:
    assert WorkCalendar().tz == SHANGHAI


# -- National Day / Mid-Autumn 2025 (holidays 10-01..10-08, make-up Sun 09-28 and Sat 10-11) -----------


def test_two_working_days_after_2025_09_30_end_on_10_10() -> None:
    assert CAL.add_working_days(2, "2025-09-30T10:00:00+08:00") == "2025-10-10T16:00:00Z"


def test_national_day_2025_single_days() -> None:
    assert CAL.is_working_day("2025-09-28")  # Sunday, make-up working day
    assert CAL.is_working_day("2025-10-11")  # Saturday, make-up working day
    assert not CAL.is_working_day("2025-10-01")
    assert not CAL.is_working_day(d("2025-10-06"))  # Mid-Autumn, Monday
    assert not CAL.is_working_day("2025-10-08")  # substituted day off, Wednesday
    assert not CAL.is_working_day("2025-10-18")  # ordinary Saturday
    assert not CAL.is_working_day("2025-10-19")  # ordinary Sunday
    assert CAL.is_working_day("2025-10-09")


def test_whole_national_day_fortnight_2025() -> None:
    working = {
        d("2025-09-28"), d("2025-09-29"), d("2025-09-30"),
        d("2025-10-09"), d("2025-10-10"), d("2025-10-11"),
    }  # fmt: skip
    day = d("2025-09-27")
    while day <= d("2025-10-12"):
        assert CAL.is_working_day(day) == (day in working), day
        day += timedelta(days=1)


def test_working_days_between_national_day_week() -> None:
    # (09-30, 10-10]: only 10-09 and 10-10 are worked.
    assert CAL.working_days_between("2025-09-30", "2025-10-10") == 2
    # (09-26, 10-12]: 09-28, 09-29, 09-30, 10-09, 10-10, 10-11.
    assert CAL.working_days_between("2025-09-26", "2025-10-12") == 6
    # A whole holiday span counts nothing.
    assert CAL.working_days_between("2025-09-30", "2025-10-08") == 0


def test_working_days_between_is_antisymmetric_and_zero_on_same_day() -> None:
    assert CAL.working_days_between("2025-10-12", "2025-09-26") == -6
    assert CAL.working_days_between("2025-10-10", "2025-09-30") == -2
    assert CAL.working_days_between("2025-10-09", "2025-10-09") == 0
    # Same local day at different times is still zero.
    assert CAL.working_days_between("2025-10-09T01:00:00+08:00", "2025-10-09T23:00:00+08:00") == 0


def test_working_days_between_takes_dates_in_tz() -> None:
    # 2025-10-09T20:00Z is 10-10 04:00 in Shanghai, so (10-09, 10-10] has one working day.
    assert CAL.working_days_between("2025-10-09", "2025-10-09T20:00:00Z") == 1
    assert CAL.working_days_between(d("2025-10-09"), datetime(2025, 10, 9, 20, tzinfo=UTC)) == 1


# -- Spring Festival 2025 (holidays 01-28..02-04, make-up Sun 01-26 and Sat 02-08) --------------------


def test_spring_festival_2025() -> None:
    for day in ["2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-03", "2025-02-04"]:
        assert not CAL.is_working_day(day), day
    assert CAL.is_working_day("2025-01-26")  # Sunday, make-up
    assert CAL.is_working_day("2025-02-08")  # Saturday, make-up
    assert CAL.is_working_day("2025-01-27")
    assert CAL.is_working_day("2025-02-05")
    assert not CAL.is_working_day("2025-02-09")  # ordinary Sunday
    # (01-24, 02-10]: 01-26, 01-27, 02-05, 02-06, 02-07, 02-08, 02-10.
    assert CAL.working_days_between("2025-01-24", "2025-02-10") == 7
    # Friday 01-24 + 2 working days: Sunday 01-26 (make-up), Monday 01-27.
    assert CAL.add_working_days(2, "2025-01-24T09:00:00+08:00") == "2025-01-27T16:00:00Z"
    # From the last day before the break, the 1st working day is 02-05.
    assert CAL.add_working_days(1, "2025-01-27T18:00:00+08:00") == "2025-02-05T16:00:00Z"


def test_national_day_2026_official() -> None:
    # 2026 notice: 10-01..10-07 off, Sun 09-20 and Sat 10-10 worked.
    assert CAL.is_working_day("2026-09-20")
    assert CAL.is_working_day("2026-10-10")
    assert not CAL.is_working_day("2026-10-07")
    assert CAL.add_working_days(1, "2026-09-30T12:00:00+08:00") == "2026-10-08T16:00:00Z"


def test_make_up_day_borrowed_across_new_year() -> None:
    # The 2002 New Year notice moved work to Sat/Sun 2001-12-29/30 (listed under 2002 in the library).
    assert CAL.is_working_day("2001-12-29")
    assert CAL.is_working_day("2001-12-30")
    assert not CAL.is_working_day("2002-01-02")


# -- add_working_days rules ---------------------------------------------------------------------------


def test_add_zero_is_end_of_start_day_when_working() -> None:
    assert CAL.add_working_days(0, "2025-09-30T10:00:00+08:00") == "2025-09-30T16:00:00Z"
    assert CAL.add_working_days(0, "2025-09-28T10:00:00+08:00") == "2025-09-28T16:00:00Z"  # make-up Sunday


def test_add_zero_on_a_day_off_is_end_of_next_working_day() -> None:
    assert CAL.add_working_days(0, "2025-10-01T10:00:00+08:00") == "2025-10-09T16:00:00Z"
    assert CAL.add_working_days(0, "2025-10-18T10:00:00+08:00") == "2025-10-20T16:00:00Z"  # Saturday


def test_start_day_is_not_counted_even_when_working() -> None:
    assert CAL.add_working_days(1, "2025-10-09T00:00:01+08:00") == "2025-10-10T16:00:00Z"
    # Start on a day off: the first working day after it counts as 1.
    assert CAL.add_working_days(1, "2025-10-04T12:00:00+08:00") == "2025-10-09T16:00:00Z"


def test_negative_n_is_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        CAL.add_working_days(-1, "2025-09-30T10:00:00+08:00")
    with pytest.raises(TypeError):
        CAL.add_working_days(1.5, "2025-09-30T10:00:00+08:00")  # type: ignore[arg-type]


def test_start_defaults_to_callers_now() -> None:
    now = datetime(2025, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert CAL.add_working_days(2, now=now) == "2025-10-10T16:00:00Z"
    # An explicit start wins over now.
    assert CAL.add_working_days(0, "2025-10-10T10:00:00+08:00", now=now) == "2025-10-10T16:00:00Z"
    with pytest.raises(ValueError, match="now"):
        CAL.add_working_days(2)


def test_start_as_aware_datetime_and_date_string() -> None:
    start = datetime(2025, 9, 30, 10, tzinfo=timezone(timedelta(hours=8)))
    assert CAL.add_working_days(2, start) == "2025-10-10T16:00:00Z"
    assert CAL.add_working_days(2, "2025-09-30") == "2025-10-10T16:00:00Z"


# -- time zone ----------------------------------------------------------------------------------------


def test_utc_evening_is_next_day_in_shanghai() -> None:
    # 2025-09-30T23:30Z is 2025-10-01 07:30 in Shanghai, a holiday: "today" ends on 10-09, not 09-30.
    assert CAL.add_working_days(0, "2025-09-30T23:30:00Z") == "2025-10-09T16:00:00Z"
    assert not CAL.is_working_day("2025-09-30T23:30:00Z")
    assert not CAL.is_working_day(datetime(2025, 9, 30, 23, 30, tzinfo=UTC))
    # One day earlier in UTC is 09-30 07:30 local: n=1 skips the holiday, ending on 10-09 (not 09-30).
    assert CAL.add_working_days(1, "2025-09-29T23:30:00Z") == "2025-10-09T16:00:00Z"
    assert CAL.add_working_days(2, "2025-09-30T23:30:00Z") == "2025-10-10T16:00:00Z"


def test_other_business_zone() -> None:
    utc_calendar = WorkCalendar(tz=ZoneInfo("UTC"))
    assert utc_calendar.is_working_day("2025-09-30T23:30:00Z")
    # In UTC the same instant is still Tuesday 09-30, a working day ending at 24:00 UTC.
    assert utc_calendar.add_working_days(0, "2025-09-30T23:30:00Z") == "2025-10-01T00:00:00Z"


# -- naive input --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2025-09-30T10:00:00", "2025-09-30 10:00", datetime(2025, 9, 30, 10)])
def test_naive_times_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="offset"):
        CAL.add_working_days(1, value)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="offset"):
        CAL.is_working_day(value)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="offset"):
        CAL.working_days_between("2025-09-30", value)  # type: ignore[arg-type]


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        CAL.add_working_days(1, now=datetime(2025, 9, 30, 10))


def test_garbage_string_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        CAL.is_working_day("30/09/2025")


# -- overrides ----------------------------------------------------------------------------------------


def test_override_turns_holiday_into_workday() -> None:
    calendar = WorkCalendar(overrides={d("2025-10-08"): True})
    assert calendar.is_working_day("2025-10-08")
    assert calendar.add_working_days(2, "2025-09-30T10:00:00+08:00") == "2025-10-09T16:00:00Z"
    assert calendar.working_days_between("2025-09-30", "2025-10-10") == 3


def test_override_turns_workday_into_holiday() -> None:
    calendar = WorkCalendar(overrides={d("2025-10-09"): False})
    assert not calendar.is_working_day("2025-10-09")
    assert calendar.add_working_days(2, "2025-09-30T10:00:00+08:00") == "2025-10-11T16:00:00Z"
    assert calendar.working_days_between("2025-09-30", "2025-10-10") == 1


def test_override_wins_over_make_up_and_ordinary_weekend() -> None:
    calendar = WorkCalendar(overrides={d("2025-09-28"): False, "2025-10-18": True})  # type: ignore[dict-item]
    assert not calendar.is_working_day("2025-09-28")
    assert calendar.is_working_day("2025-10-18")


def test_overrides_are_copied_and_validated() -> None:
    source = {d("2025-10-09"): False}
    calendar = WorkCalendar(overrides=source)
    source[d("2025-10-09")] = True
    assert not calendar.is_working_day("2025-10-09")
    assert hash(calendar) == hash(WorkCalendar(overrides={d("2025-10-09"): False}))
    with pytest.raises(ValueError):
        WorkCalendar(overrides={datetime(2025, 10, 9, tzinfo=UTC): False})
    with pytest.raises(ValueError):
        WorkCalendar(overrides={d("2025-10-09"): 0})  # type: ignore[dict-item]


# -- unknown years ------------------------------------------------------------------------------------


def test_unknown_year_raises_with_the_fix() -> None:
    year = max(official_years()) + 2
    assert not CAL.is_known_year(year)
    with pytest.raises(UnknownCalendarYear) as caught:
        CAL.is_working_day(date(year, 3, 3))
    assert caught.value.year == year
    message = str(caught.value)
    assert str(year) in message
    assert f"rma calendar confirm {year}" in message
    assert "rma calendar set DATE workday|holiday" in message


def test_confirming_the_year_makes_it_work() -> None:
    year = max(official_years()) + 2
    calendar = WorkCalendar(confirmed_years=frozenset({year}))
    assert calendar.is_known_year(year)
    assert calendar.last_known_year() == year
    monday = date(year, 3, 1) + timedelta(days=-date(year, 3, 1).weekday() + 7)
    assert calendar.is_working_day(monday)
    assert calendar.add_working_days(0, monday.isoformat()) == (
        datetime.combine(monday + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)
        .astimezone(UTC)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def test_deadline_crossing_into_unknown_year_raises() -> None:
    last = max(official_years())
    with pytest.raises(UnknownCalendarYear) as caught:
        CAL.add_working_days(5, f"{last}-12-29T10:00:00+08:00")
    assert caught.value.year == last + 1
    with pytest.raises(UnknownCalendarYear):
        CAL.working_days_between(f"{last}-12-01", f"{last + 1}-01-05")
    # Confirming the next year lets the same computation through.
    confirmed = WorkCalendar(confirmed_years=frozenset({last + 1}))
    assert confirmed.add_working_days(5, f"{last}-12-29T10:00:00+08:00").startswith(f"{last + 1}-01-")


def test_overrides_alone_do_not_make_a_year_known() -> None:
    year = max(official_years()) + 2
    calendar = WorkCalendar(overrides={date(year, 1, 5): True})
    with pytest.raises(UnknownCalendarYear):
        calendar.is_working_day(date(year, 1, 5))


def test_year_before_the_first_notice_is_unknown() -> None:
    with pytest.raises(UnknownCalendarYear):
        CAL.is_working_day("1999-10-01")
