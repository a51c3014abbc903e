"""Deadline kinds and the booking horizon, as towns' internal regulations write them.

Pure functions of explicit dates (no database, no "today"): an activity keeps one rule
for reserving and one for cancelling (models/planning.py Activity.deadline_rule), and
every caller (the planning cell, the job, the long-period preview, billing, the rules
page) asks these functions, so the rule is written once.

Times are Europe/Paris wall-clock times; results are naive UTC, the form the database
stores and `utcnow()` returns.
"""
import calendar as month_calendar
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache

from models.calendar import is_school_holiday, working_days_before
from models.clock import paris_to_utc

# N calendar days (or N working days) before the day, at HH:MM: the historical rule.
DAYS_BEFORE = "days_before"
# N hours before the activity starts that day (real hours: 72 h across a DST change are
# 72 elapsed hours).
HOURS_BEFORE = "hours_before"
# The whole week at once: weekday N (1 = Monday) of the week before, at HH:MM
# (« le jeudi 23:59 pour la semaine suivante »).
WEEK_BEFORE = "week_before"
# The whole month at once: day N of the month before, at HH:MM (« le 20 du mois pour le
# mois suivant »); a 31 in a 30-day month means its last day.
MONTH_BEFORE = "month_before"
# N « jours francs » before the first day of the school-holiday period the day belongs to:
# neither the day of the request nor that first day count, so the last day to ask is the
# first day minus N + 1 days, until HH:MM. A day outside the holidays is its own period.
CLEAR_DAYS = "clear_days"
KINDS = (DAYS_BEFORE, HOURS_BEFORE, WEEK_BEFORE, MONTH_BEFORE, CLEAR_DAYS)

# The longest school-holiday period (summer) is about nine weeks: walking back further
# means the data says something odd, stop there.
LONGEST_HOLIDAYS = 100


@dataclass(frozen=True)
class DeadlineRule:
    kind: str = DAYS_BEFORE
    count: int = 2
    at: time = time(10, 0)
    working_days: bool = True

    @property
    def weekday(self):
        """For WEEK_BEFORE: the ISO weekday of the deadline."""
        return min(max(self.count, 1), 7)


def deadline(rule, day, starts_at, zone):
    """Until when `day` can be asked under `rule`, as naive UTC. `starts_at` is the time
    the activity starts that day; `zone` the town's school-holiday zone."""
    if rule.kind == HOURS_BEFORE:
        return paris_to_utc(datetime.combine(day, starts_at)) - timedelta(hours=rule.count)
    return paris_to_utc(datetime.combine(_limit_day(rule, day, zone), rule.at))


def _limit_day(rule, day, zone):
    if rule.kind == WEEK_BEFORE:
        monday = day - timedelta(days=day.isoweekday() - 1)
        return monday - timedelta(days=7) + timedelta(days=rule.weekday - 1)
    if rule.kind == MONTH_BEFORE:
        last_of_previous = day.replace(day=1) - timedelta(days=1)
        length = month_calendar.monthrange(last_of_previous.year, last_of_previous.month)[1]
        return last_of_previous.replace(day=min(max(rule.count, 1), length))
    if rule.kind == CLEAR_DAYS:
        first = holiday_period_start(day, zone) or day
        return first - timedelta(days=rule.count + 1)
    if rule.working_days:
        return working_days_before(day, rule.count)
    return day - timedelta(days=rule.count)


def is_in_time(rule, day, starts_at, zone, submitted_at):
    """In time means submitted at or before the deadline."""
    return submitted_at <= deadline(rule, day, starts_at, zone)


@lru_cache(maxsize=4096)
def holiday_period_start(day, zone):
    """The first day of the school-holiday period `day` is in (the official calendar's,
    a Saturday usually), or None on a day outside the holidays."""
    if zone is None or not is_school_holiday(day, zone):
        return None
    first = day
    for _ in range(LONGEST_HOLIDAYS):
        before = first - timedelta(days=1)
        if not is_school_holiday(before, zone):
            break
        first = before
    return first


def opens_at(day, horizon_days):
    """When `day` opens for booking under a horizon of `horizon_days` days (nothing
    bookable further ahead), as naive UTC: midnight in Paris, `horizon_days` days
    before. None without a horizon."""
    if horizon_days is None:
        return None
    return paris_to_utc(datetime.combine(day - timedelta(days=horizon_days), time(0, 0)))


def is_open(day, horizon_days, at):
    """Whether `day` can be booked at `at` (naive UTC) under the horizon."""
    opening = opens_at(day, horizon_days)
    return opening is None or at >= opening


# What N may be, per kind: days, hours, an ISO weekday, a day of the month, clear days.
COUNT_RANGE = {DAYS_BEFORE: (0, 60), HOURS_BEFORE: (0, 720), WEEK_BEFORE: (1, 7),
               MONTH_BEFORE: (1, 31), CLEAR_DAYS: (0, 60)}
MAX_HORIZON_DAYS = 400


def count_fits(kind, count):
    low, high = COUNT_RANGE.get(kind, (0, 60))
    return count is not None and low <= count <= high
