"""Holiday centres (accueil de loisirs, ALSH): booking by whole weeks, and the booking
windows of each school-holiday period.

Written once, used by the planning cell (models/grid.py), the job's decisions
(models/requests.py), the long-period preview (models/period.py) and the rules page:

- An activity `booked_by_week` is booked (or cancelled) a week of a holiday period at a
  time: the running days of one calendar week (Monday to Sunday) that belong to the same
  holiday period are one unit. A partial week at the edge of a period is a unit too;
  closures and public holidays inside are simply not part of it. Its deadline is the
  deadline of its first running day. Outside the holidays, a day is its own unit.
- A booking window says when reservations for one holiday period (« vacances d'hiver
  2026-2027 ») open and close: from `opens_on` at 00:00 to `closes_on` at 23:59, Paris
  time. A window of an activity beats a window set for every holiday-centre activity.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.calendar import days_between, school_holiday_name, school_year_label, school_year_of
from models.clock import paris_to_utc, utcnow
from models.deadlines import holiday_period_start
from models.reference import reference_data, reference_rows

# Why a reservation is refused outside its period's booking window.
WINDOW_NOT_OPEN = "window_not_open"
WINDOW_CLOSED = "window_closed"


@reference_data
class BookingWindow(db.Model):
    """When the reservations of one school-holiday period open and close."""
    __tablename__ = "booking_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Empty: every holiday-centre activity (Activity.holidays_only).
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    # The period, as the official calendar names it (« Vacances d'hiver ») and the school
    # year it belongs to (2026 for 2026-2027; the summer ends its school year).
    school_year: Mapped[int] = mapped_column(Integer)
    period_name: Mapped[str] = mapped_column(String(80))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    activity = relationship("Activity")

    @property
    def year_label(self):
        return school_year_label(self.school_year)

    @property
    def opens_at(self):
        """Naive UTC: midnight in Paris on the opening day."""
        return paris_to_utc(datetime.combine(self.opens_on, time(0, 0)))

    @property
    def closes_at(self):
        """The last minute of the closing day, 23:59 in Paris (naive UTC), as said."""
        return paris_to_utc(datetime.combine(self.closes_on, time(23, 59)))

    @property
    def ends_at(self):
        """The first instant it is closed: midnight in Paris after the closing day."""
        return paris_to_utc(datetime.combine(self.closes_on + timedelta(days=1), time(0, 0)))

    def refusal_at(self, at):
        """WINDOW_NOT_OPEN before it opens, WINDOW_CLOSED once closed, else None."""
        if at < self.opens_at:
            return WINDOW_NOT_OPEN
        if at >= self.ends_at:
            return WINDOW_CLOSED
        return None

    def moment_for(self, reason):
        """What a refusal says: when it opens, or when it closed."""
        return self.opens_at if reason == WINDOW_NOT_OPEN else self.closes_at

    @classmethod
    def ordered(cls):
        return reference_rows("booking windows", _windows())


@cache
def _windows():
    return select(BookingWindow).order_by(
        BookingWindow.school_year, BookingWindow.opens_on, BookingWindow.period_name,
        BookingWindow.activity_id, BookingWindow.id)


@dataclass(frozen=True)
class HolidayPeriod:
    school_year: int
    name: str
    first_day: date
    last_day: date

    @property
    def key(self):
        return (self.school_year, self.name)


def holiday_period(day, zone):
    """The school-holiday period `day` belongs to, or None outside the holidays."""
    first = holiday_period_start(day, zone)
    return None if first is None else _period_from(first, zone)


@lru_cache(maxsize=256)
def _period_from(first, zone):
    last = first
    while holiday_period_start(last + timedelta(days=1), zone) == first:
        last += timedelta(days=1)
    return HolidayPeriod(school_year_of(first), school_holiday_name(first, zone), first, last)


def holiday_periods(zone, first_day, last_day):
    """The holiday periods that meet first_day..last_day, in order."""
    periods, day = [], first_day
    while day <= last_day:
        period = holiday_period(day, zone)
        if period is None:
            day += timedelta(days=1)
            continue
        periods.append(period)
        day = period.last_day + timedelta(days=1)
    return periods


# ---- Whole weeks ------------------------------------------------------------------------

def unit_key(activity, day, zone):
    """What identifies the unit `day` is booked in: (Monday, first day of the holiday
    period) for an activity booked by weeks during the holidays, else the day itself."""
    if not activity.booked_by_week:
        return day
    start = holiday_period_start(day, zone)
    if start is None:
        return day
    return (day - timedelta(days=day.weekday()), start)


def unit_days(activity, day, calendar):
    """The running days booked together with `day` (`calendar` a PlanningCalendar that
    covers its week): the week of the holiday period for an activity booked by weeks,
    closures and public holidays left out; else [day]."""
    key = unit_key(activity, day, calendar.zone)
    if key == day:
        return [day]
    monday = key[0]
    return [d for d in days_between(monday, monday + timedelta(days=6))
            if unit_key(activity, d, calendar.zone) == key and calendar.runs(activity, d)]


def unit_first_day(activity, day, calendar):
    """The day whose deadline is the unit's deadline: its first running day."""
    days = unit_days(activity, day, calendar)
    return days[0] if days else day


def week_span(first_day, last_day):
    """first_day..last_day widened to whole weeks (a unit reaches its Monday and Sunday)."""
    return (first_day - timedelta(days=first_day.weekday()),
            last_day + timedelta(days=6 - last_day.weekday()))


# ---- Booking windows --------------------------------------------------------------------

class Windows:
    """Every booking window, loaded once (a few rows a year) for a page, a job or a
    preview: `for_day` says which applies to an activity's day."""

    def __init__(self, rows=None):
        rows = BookingWindow.ordered() if rows is None else rows
        self.by_key = {(w.activity_id, w.school_year, w.period_name): w for w in rows}
        self.activity_ids = {w.activity_id for w in rows}

    def for_day(self, activity, day, zone):
        """The window of the holiday period `day` is in, for this activity, or None."""
        if activity.id not in self.activity_ids and not (
                activity.holidays_only and None in self.activity_ids):
            return None
        period = holiday_period(day, zone)
        if period is None:
            return None
        own = self.by_key.get((activity.id, *period.key))
        if own is not None:
            return own
        return self.by_key.get((None, *period.key)) if activity.holidays_only else None

    def refusal(self, activity, day, zone, at):
        """(reason, moment) when a reservation at `at` falls outside the window, else
        (None, None)."""
        window = self.for_day(activity, day, zone)
        reason = window.refusal_at(at) if window else None
        return (reason, window.moment_for(reason)) if reason else (None, None)

    def for_activity(self, activity):
        """The windows that apply to this activity (for the rules page), in order."""
        own = {(w.school_year, w.period_name) for w in self.by_key.values()
               if w.activity_id == activity.id}
        return sorted((w for w in self.by_key.values()
                       if w.activity_id == activity.id
                       or (w.activity_id is None and activity.holidays_only
                           and (w.school_year, w.period_name) not in own)),
                      key=lambda w: (w.school_year, w.opens_on, w.period_name))

