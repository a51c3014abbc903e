"""Every deadline kind of models/deadlines.py, and the booking horizon, on explicit
dates: weekends, public holidays, school-holiday edges, summer and winter time (Sunday 28
March 2027, Sunday 25 October 2026) and year ends. Europe/Paris wall-clock times are
checked as the naive UTC the database stores. No dependence on today."""
from datetime import date, datetime, time, timedelta

import pytest

from models.deadlines import (
    CLEAR_DAYS,
    DAYS_BEFORE,
    HOURS_BEFORE,
    MONTH_BEFORE,
    WEEK_BEFORE,
    DeadlineRule,
    count_fits,
    deadline,
    holiday_period_start,
    is_in_time,
    is_open,
    opens_at,
)
from models.planning import ABSENCE, RESERVE, Activity

utc = datetime
STARTS = time(8, 30)
WORKING_2 = DeadlineRule(DAYS_BEFORE, 2, time(10, 0), True)
CALENDAR_1 = DeadlineRule(DAYS_BEFORE, 1, time(18, 0), False)
HOURS_72 = DeadlineRule(HOURS_BEFORE, 72)
HOURS_0 = DeadlineRule(HOURS_BEFORE, 0)
THURSDAY = DeadlineRule(WEEK_BEFORE, 4, time(23, 59))
MONDAY_NOON = DeadlineRule(WEEK_BEFORE, 1, time(12, 0))
THE_20TH = DeadlineRule(MONTH_BEFORE, 20, time(23, 59))
THE_31ST = DeadlineRule(MONTH_BEFORE, 31, time(12, 0))
CLEAR_8 = DeadlineRule(CLEAR_DAYS, 8, time(23, 59))
CLEAR_8_NOON = DeadlineRule(CLEAR_DAYS, 8, time(12, 0))


@pytest.mark.parametrize("rule, day, zone, expected", [
    # N days before at HH:MM, today's rule, through the new function.
    (WORKING_2, date(2026, 9, 7), "B", utc(2026, 9, 3, 8, 0)),      # Monday -> Thursday
    (WORKING_2, date(2027, 5, 7), "B", utc(2027, 5, 4, 8, 0)),      # over Ascension
    (WORKING_2, date(2027, 1, 4), "B", utc(2026, 12, 30, 9, 0)),    # over New Year's Day
    (CALENDAR_1, date(2027, 3, 29), "B", utc(2027, 3, 28, 16, 0)),  # summer time Sunday
    (CALENDAR_1, date(2026, 10, 26), "B", utc(2026, 10, 25, 17, 0)),  # winter time Sunday
    # N hours before the start (08:30): real hours, across a clock change.
    (HOURS_72, date(2027, 3, 29), "B", utc(2027, 3, 26, 6, 30)),    # 07:30 in winter time
    (HOURS_72, date(2026, 10, 26), "B", utc(2026, 10, 23, 7, 30)),  # 09:30 in summer time
    (HOURS_72, date(2027, 1, 4), "B", utc(2027, 1, 1, 7, 30)),      # back over the year end
    (HOURS_72, date(2026, 12, 28), "B", utc(2026, 12, 25, 7, 30)),  # weekends do not matter
    (HOURS_0, date(2026, 9, 7), "B", utc(2026, 9, 7, 6, 30)),       # until it starts
    # Thursday 23:59 of the week before, for the whole week (Monday to Sunday).
    (THURSDAY, date(2026, 12, 7), "B", utc(2026, 12, 3, 22, 59)),
    (THURSDAY, date(2026, 12, 11), "B", utc(2026, 12, 3, 22, 59)),
    (THURSDAY, date(2026, 12, 13), "B", utc(2026, 12, 3, 22, 59)),
    (THURSDAY, date(2026, 12, 14), "B", utc(2026, 12, 10, 22, 59)),
    (THURSDAY, date(2027, 1, 4), "B", utc(2026, 12, 31, 22, 59)),   # year end
    (THURSDAY, date(2027, 3, 29), "B", utc(2027, 3, 25, 22, 59)),   # still winter time
    (THURSDAY, date(2027, 4, 7), "B", utc(2027, 4, 1, 21, 59)),     # summer time
    (THURSDAY, date(2026, 10, 27), "B", utc(2026, 10, 22, 21, 59)),  # summer time still
    (THURSDAY, date(2027, 5, 10), "B", utc(2027, 5, 6, 21, 59)),    # a fixed day, holiday or not
    (MONDAY_NOON, date(2027, 3, 31), "B", utc(2027, 3, 22, 11, 0)),
    # The 20th of the month before, for the whole month.
    (THE_20TH, date(2027, 1, 1), "B", utc(2026, 12, 20, 22, 59)),   # year end
    (THE_20TH, date(2027, 1, 31), "B", utc(2026, 12, 20, 22, 59)),
    (THE_20TH, date(2027, 4, 1), "B", utc(2027, 3, 20, 22, 59)),    # before the change
    (THE_20TH, date(2026, 11, 5), "B", utc(2026, 10, 20, 21, 59)),  # before the change back
    (THE_31ST, date(2027, 3, 10), "B", utc(2027, 2, 28, 11, 0)),    # February's last day
    (THE_31ST, date(2026, 10, 5), "B", utc(2026, 9, 30, 10, 0)),    # a 30-day month
    (THE_31ST, date(2027, 1, 5), "B", utc(2026, 12, 31, 11, 0)),
    # 8 clear days before the first day of the holidays (Saturday 19 December 2026): the
    # 10th is the last day to ask, eight days (11 to 18) lie between.
    (CLEAR_8, date(2026, 12, 21), "B", utc(2026, 12, 10, 22, 59)),
    (CLEAR_8, date(2027, 1, 3), "B", utc(2026, 12, 10, 22, 59)),    # the last holiday day
    (CLEAR_8, date(2027, 1, 4), "B", utc(2026, 12, 26, 22, 59)),    # back at school: itself
    (CLEAR_8, date(2026, 10, 26), "B", utc(2026, 10, 8, 21, 59)),   # asked in summer time
    (CLEAR_8_NOON, date(2027, 4, 20), "B", utc(2027, 4, 8, 10, 0)),  # spring, zone B
    (CLEAR_8, date(2027, 3, 1), "B", utc(2027, 2, 11, 22, 59)),     # winter holidays in B...
    (CLEAR_8, date(2027, 3, 1), "A", utc(2027, 2, 20, 22, 59)),     # ...a school day in A
    (CLEAR_8, date(2027, 8, 20), "B", utc(2027, 6, 24, 21, 59)),    # summer: from 3 July
])
def test_deadline_of_each_kind(rule, day, zone, expected):
    assert deadline(rule, day, STARTS, zone) == expected


def test_in_time_is_at_or_before_the_deadline():
    limit = deadline(THURSDAY, date(2026, 12, 7), STARTS, "B")
    assert is_in_time(THURSDAY, date(2026, 12, 11), STARTS, "B", limit)
    assert not is_in_time(THURSDAY, date(2026, 12, 11), STARTS, "B", limit.replace(second=1))


def test_first_day_of_a_holiday_period():
    assert holiday_period_start(date(2026, 12, 19), "B") == date(2026, 12, 19)
    assert holiday_period_start(date(2027, 1, 3), "C") == date(2026, 12, 19)
    assert holiday_period_start(date(2026, 12, 18), "B") is None
    assert holiday_period_start(date(2027, 2, 22), "A") == date(2027, 2, 13)
    assert holiday_period_start(date(2027, 2, 22), None) is None


@pytest.mark.parametrize("day, horizon, expected", [
    (date(2027, 3, 29), 1, utc(2027, 3, 27, 23, 0)),   # Paris midnight, winter time
    (date(2027, 3, 30), 1, utc(2027, 3, 28, 22, 0)),   # Paris midnight, summer time
    (date(2027, 1, 10), 10, utc(2026, 12, 30, 23, 0)),  # over the year end
    (date(2027, 6, 1), 100, utc(2027, 2, 20, 23, 0)),
])
def test_booking_horizon_opens_at_midnight(day, horizon, expected):
    assert opens_at(day, horizon) == expected
    assert is_open(day, horizon, expected)
    assert not is_open(day, horizon, expected - timedelta(seconds=1))


def test_no_horizon_is_always_open():
    assert opens_at(date(2030, 1, 1), None) is None
    assert is_open(date(2030, 1, 1), None, utc(2026, 1, 1))


def test_an_activity_cancels_under_its_own_rule_or_the_reservation_one():
    same = Activity(deadline_kind=DAYS_BEFORE, deadline_days=2, deadline_time=time(10, 0),
                    deadline_working_days=True, start_time=STARTS)
    assert same.cancels_like_reserves
    assert same.deadline_for(date(2026, 9, 7), ABSENCE) == utc(2026, 9, 3, 8, 0)
    own = Activity(deadline_kind=WEEK_BEFORE, deadline_days=4, deadline_time=time(23, 59),
                   deadline_working_days=False, start_time=STARTS,
                   cancel_deadline_kind=HOURS_BEFORE, cancel_deadline_days=24,
                   cancel_deadline_time=time(10, 0), cancel_deadline_working_days=False)
    assert not own.cancels_like_reserves
    assert own.deadline_for(date(2026, 12, 9), RESERVE) == utc(2026, 12, 3, 22, 59)
    assert own.deadline_for(date(2026, 12, 9), ABSENCE) == utc(2026, 12, 8, 7, 30)
    assert own.is_in_time(date(2026, 12, 9), utc(2026, 12, 8, 7, 30), ABSENCE)
    assert not own.is_in_time(date(2026, 12, 9), utc(2026, 12, 8, 7, 30), RESERVE)


def test_each_kind_bounds_its_number():
    assert count_fits(WEEK_BEFORE, 7) and not count_fits(WEEK_BEFORE, 0)
    assert count_fits(MONTH_BEFORE, 31) and not count_fits(MONTH_BEFORE, 32)
    assert count_fits(HOURS_BEFORE, 72) and not count_fits(DAYS_BEFORE, 72)
    assert not count_fits(CLEAR_DAYS, None)
