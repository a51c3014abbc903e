"""The deadline rule: working days, public holidays, summer and winter time, month and
year ends. Europe/Paris wall-clock times are checked as the UTC the database stores."""
from datetime import date, datetime, time

import pytest

from models.calendar import school_year_of, working_days_before
from models.planning import (
    CLOSED,
    NOT_ON_THAT_WEEKDAY,
    PUBLIC_HOLIDAY,
    SCHOOL_HOLIDAY,
    Activity,
    Closure,
    PlanningCalendar,
)

CANTEEN = dict(deadline_days=2, deadline_time=time(10, 0), deadline_working_days=True)
APS = dict(deadline_days=1, deadline_time=time(18, 0), deadline_working_days=False)
WEDNESDAY = dict(deadline_days=7, deadline_time=time(12, 0), deadline_working_days=False)


def utc(*args):
    return datetime(*args)


@pytest.mark.parametrize("rule, day, expected", [
    # A Monday: Friday is one working day before, Thursday two.
    (CANTEEN, date(2026, 9, 7), utc(2026, 9, 3, 8, 0)),
    # Tuesday: Monday, then over the weekend to Friday.
    (CANTEEN, date(2026, 9, 8), utc(2026, 9, 4, 8, 0)),
    # Friday after Ascension Thursday 2027 (6 May): the holiday does not count.
    (CANTEEN, date(2027, 5, 7), utc(2027, 5, 4, 8, 0)),
    # Tuesday after Whit Monday 2027 (17 May): back to Thursday 13.
    (CANTEEN, date(2027, 5, 18), utc(2027, 5, 13, 8, 0)),
    # Month end: Monday 2 November 2026, All Saints on the Sunday before.
    (CANTEEN, date(2026, 11, 2), utc(2026, 10, 29, 9, 0)),
    # Year end: Monday 4 January 2027, New Year's Day on the Friday.
    (CANTEEN, date(2027, 1, 4), utc(2026, 12, 30, 9, 0)),
    # Summer time starts on Sunday 28 March 2027: 18:00 that day is 16:00 UTC...
    (APS, date(2027, 3, 29), utc(2027, 3, 28, 16, 0)),
    # Tuesday after Easter Monday 2027 (29 March): Friday, Thursday 25, still winter time.
    (CANTEEN, date(2027, 3, 30), utc(2027, 3, 25, 9, 0)),
    # Winter time is back on Sunday 25 October 2026: 18:00 that day is 17:00 UTC.
    (APS, date(2026, 10, 26), utc(2026, 10, 25, 17, 0)),
    # Saturday 24 October 2026, still summer time: 16:00 UTC.
    (APS, date(2026, 10, 25), utc(2026, 10, 24, 16, 0)),
    # Wednesdays: the Wednesday before at noon.
    (WEDNESDAY, date(2026, 9, 9), utc(2026, 9, 2, 10, 0)),
    # A calendar-day rule crosses the year end as it is.
    (APS, date(2027, 1, 1), utc(2026, 12, 31, 17, 0)),
])
def test_deadline_for_a_day(rule, day, expected):
    assert Activity(**rule).deadline_for(day) == expected


def test_in_time_means_at_or_before_the_deadline():
    canteen = Activity(**CANTEEN)
    deadline = canteen.deadline_for(date(2026, 9, 7))
    assert canteen.is_in_time(date(2026, 9, 7), deadline)
    assert not canteen.is_in_time(date(2026, 9, 7), deadline.replace(second=1))


def test_working_days_skip_weekends_and_public_holidays():
    assert working_days_before(date(2026, 12, 28), 1) == date(2026, 12, 24)
    assert working_days_before(date(2026, 5, 11), 3) == date(2026, 5, 5)  # 8 May is a holiday
    assert working_days_before(date(2026, 7, 15), 1) == date(2026, 7, 13)  # 14 July


def test_school_year():
    assert school_year_of(date(2026, 9, 1)) == 2026
    assert school_year_of(date(2027, 8, 31)) == 2026
    assert school_year_of(date(2026, 8, 31)) == 2025


def test_why_an_activity_does_not_run(app):
    canteen = Activity(id=1, weekdays="1245", runs_in_school_holidays=False, **CANTEEN)
    holiday_centre = Activity(id=2, weekdays="12345", runs_in_school_holidays=True, **APS)
    calendar = PlanningCalendar("B", date(2026, 11, 1), date(2026, 12, 31))
    calendar.closures = [Closure(activity_id=1, first_day=date(2026, 12, 3),
                                 last_day=date(2026, 12, 4), reason="Grève")]
    assert calendar.why_not_running(canteen, date(2026, 11, 25)) == NOT_ON_THAT_WEEKDAY
    assert calendar.why_not_running(canteen, date(2026, 12, 25)) == PUBLIC_HOLIDAY
    assert calendar.why_not_running(canteen, date(2026, 12, 22)) == SCHOOL_HOLIDAY
    assert calendar.why_not_running(holiday_centre, date(2026, 12, 22)) is None
    assert calendar.why_not_running(canteen, date(2026, 12, 3)) == CLOSED
    assert calendar.why_not_running(holiday_centre, date(2026, 12, 3)) is None
    assert calendar.runs(canteen, date(2026, 12, 1))
