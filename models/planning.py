"""Activities, enrollments, closures and the planning cells (bookings).

The rules of the internal regulations live here, once: when an activity runs on a day,
and until when that day can be changed (its deadline). The planning view uses them to
show and lock cells; the processing job uses the same ones to accept or refuse a line.
"""
from datetime import date, datetime, time, timedelta
from functools import cache

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
    bindparam,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from models.calendar import (
    is_public_holiday,
    is_school_holiday,
    school_year_bounds,
    school_year_of,
)
from models.clock import paris_today, utcnow
from models.deadlines import CLEAR_DAYS, DAYS_BEFORE, DeadlineRule, deadline, is_open, opens_at
from models.family import Child
from models.reference import attached, kept_rows, reference_data, reference_rows

# Booking states (DESIGN.md, "The planning cell").
NONE = "none"
RESERVED = "reserved"
ABSENT = "absent"
PENDING_RESERVATION = "pending_reservation"
PENDING_ABSENCE = "pending_absence"
# On the waiting list of a full day (models/waiting.py), and leaving it.
WAITING = "waiting"
PENDING_LEAVE = "pending_leave"
PENDING = (PENDING_RESERVATION, PENDING_ABSENCE, PENDING_LEAVE)
STATES = (NONE, RESERVED, ABSENT, PENDING_RESERVATION, PENDING_ABSENCE, WAITING, PENDING_LEAVE)

# Request actions, and what a tap on a cell in a given state asks.
RESERVE = "reserve"
ABSENCE = "absence"
LEAVE = "leave"  # leave the waiting list
ACTION_FOR_STATE = {NONE: RESERVE, ABSENT: RESERVE, RESERVED: ABSENCE, WAITING: LEAVE}
PENDING_STATE_FOR = {RESERVE: PENDING_RESERVATION, ABSENCE: PENDING_ABSENCE,
                     LEAVE: PENDING_LEAVE}
FINAL_STATE_FOR = {RESERVE: RESERVED, ABSENCE: ABSENT, LEAVE: NONE}

# Why an activity does not run on a day.
NOT_ON_THAT_WEEKDAY = "weekday"
PUBLIC_HOLIDAY = "public_holiday"
SCHOOL_HOLIDAY = "school_holiday"
CLOSED = "closure"
SCHOOL_DAY = "school_day"  # an activity of the holidays only (ALSH), on a school day


@reference_data
class Activity(db.Model):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    # ISO weekdays it runs on, as digits: "1245" is Monday, Tuesday, Thursday, Friday.
    weekdays: Mapped[str] = mapped_column(String(7), default="1245")
    runs_in_school_holidays: Mapped[bool] = mapped_column(Boolean, default=False)
    # A holiday centre (accueil de loisirs): it runs during the school holidays only.
    holidays_only: Mapped[bool] = mapped_column(Boolean, default=False)
    # Booked by whole weeks during the holidays (models/holiday_centres.py): a week of a
    # holiday period is reserved or cancelled as one unit.
    booked_by_week: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int | None] = mapped_column(Integer)
    includes_meal: Mapped[bool] = mapped_column(Boolean, default=False)
    # Deadline: `deadline_days` days (working days if `deadline_working_days`) before
    # the day, at `deadline_time`, Europe/Paris time.
    deadline_days: Mapped[int] = mapped_column(Integer, default=2)
    deadline_time: Mapped[time] = mapped_column(Time, default=time(10, 0))
    deadline_working_days: Mapped[bool] = mapped_column(Boolean, default=True)
    # The kind of that deadline (models/deadlines.py KINDS); `deadline_days` is its N
    # (days, hours, weekday or day of the month, per kind).
    deadline_kind: Mapped[str] = mapped_column(String(20), default=DAYS_BEFORE)
    # Cancelling (declaring an absence) has its own rule when `cancel_deadline_kind` is
    # set; empty, it follows the reservation rule.
    cancel_deadline_kind: Mapped[str | None] = mapped_column(String(20))
    cancel_deadline_days: Mapped[int] = mapped_column(Integer, default=2)
    cancel_deadline_time: Mapped[time] = mapped_column(Time, default=time(10, 0))
    cancel_deadline_working_days: Mapped[bool] = mapped_column(Boolean, default=True)
    # Booking horizon: nothing can be reserved more than this many days ahead (empty:
    # no horizon).
    booking_horizon_days: Mapped[int | None] = mapped_column(Integer)
    # A full day offers its waiting list; a freed place goes to the first in line, by
    # itself, or by the staff's hand when `promote_by_hand`.
    waiting_list: Mapped[bool] = mapped_column(Boolean, default=False)
    promote_by_hand: Mapped[bool] = mapped_column(Boolean, default=False)
    # What a line arriving after its deadline gets, per action (models/late.py
    # POLICIES): refused, accepted with a surcharge (billing), or submitted to the staff.
    late_reserve_policy: Mapped[str] = mapped_column(String(10), default="refused",
                                                     server_default="refused")
    late_cancel_policy: Mapped[str] = mapped_column(String(10), default="refused",
                                                    server_default="refused")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @classmethod
    def ordered(cls, only_active=True):
        rows = reference_rows("activities", _activities())
        return [row for row in rows if row.active] if only_active else rows

    @classmethod
    def find(cls, activity_id):
        """The activity of that id, or None, without a statement while it is kept."""
        rows = kept_rows("activities", _activities())
        if rows is None:
            return db.session.get(cls, activity_id)
        return next((attached(row) for row in rows if row.id == activity_id), None)

    @property
    def weekday_numbers(self):
        return sorted({int(d) for d in self.weekdays or "" if d in "1234567"})

    @property
    def hours(self):
        return f"{self.start_time:%H:%M} - {self.end_time:%H:%M}"

    @property
    def reserve_rule(self):
        return DeadlineRule(self.deadline_kind or DAYS_BEFORE, self.deadline_days,
                            self.deadline_time, bool(self.deadline_working_days))

    @property
    def cancel_rule(self):
        if not self.cancel_deadline_kind:
            return self.reserve_rule
        return DeadlineRule(self.cancel_deadline_kind, self.cancel_deadline_days,
                            self.cancel_deadline_time, bool(self.cancel_deadline_working_days))

    @property
    def cancels_like_reserves(self):
        return self.cancel_rule == self.reserve_rule

    def deadline_rule(self, action=RESERVE):
        return self.cancel_rule if action == ABSENCE else self.reserve_rule

    def deadline_for(self, day, action=RESERVE, zone=None):
        """Until when `day` can be reserved (or cancelled, action=ABSENCE), as naive UTC.
        `zone` is the town's school-holiday zone (the jours-francs kind needs it)."""
        rule = self.deadline_rule(action)
        if rule.kind == CLEAR_DAYS and zone is None:
            zone = _town_zone()
        return deadline(rule, day, self.start_time, zone)

    def is_in_time(self, day, submitted_at, action=RESERVE, zone=None):
        """A request is in time if it was submitted at or before the deadline."""
        return submitted_at <= self.deadline_for(day, action, zone)

    def opens_at(self, day):
        """When `day` opens for reservations (the booking horizon), or None."""
        return opens_at(day, self.booking_horizon_days)

    def is_open(self, day, at):
        """Whether `day` can be reserved at `at` (naive UTC) under the horizon."""
        return is_open(day, self.booking_horizon_days, at)


@reference_data
class Closure(db.Model):
    """Days an activity (or every activity, when activity_id is empty) does not run,
    on top of public holidays and school holidays: strike, training day..."""
    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    first_day: Mapped[date] = mapped_column(Date, index=True)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    activity = relationship("Activity")

    def covers(self, activity_id, day):
        return (self.first_day <= day <= self.last_day
                and (self.activity_id is None or self.activity_id == activity_id))

    def release_bookings(self):
        """Free the cells this closure cancels (reserved, or waiting for a decision);
        returns them. A pending request on them will be refused for the closure."""
        query = select(Booking).where(Booking.day.between(self.first_day, self.last_day))
        if self.activity_id is not None:
            query = query.where(Booking.activity_id == self.activity_id)
        return release_bookings(query)

    @classmethod
    def overlapping(cls, first_day, last_day):
        rows = kept_rows("closures", _closures())
        if rows is None:
            return db.session.scalars(_closures().where(
                cls.first_day <= last_day, cls.last_day >= first_day)).all()
        return [attached(row) for row in rows
                if row.first_day <= last_day and row.last_day >= first_day]


# Built once (building a statement costs about what running it does): nearly every
# request runs them, or finds their rows kept (models/reference.py).
@cache
def _activities():
    return select(Activity).order_by(Activity.position, Activity.id)


@cache
def _enrollment_keys():
    # Core columns: an ORM select of columns costs a quarter more to run.
    table = Enrollment.__table__
    return select(table.c.child_id, table.c.activity_id, table.c.school_year).where(
        table.c.child_id.in_(bindparam("child_ids", expanding=True)),
        table.c.school_year.in_(bindparam("school_years", expanding=True)))


@cache
def _closures():
    return select(Closure).order_by(Closure.id)


class Enrollment(db.Model):
    """A child admitted to an activity for a school year: only then can it be booked."""
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("child_id", "activity_id", "school_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"),
                                          index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    school_year: Mapped[int] = mapped_column(Integer)

    child = relationship("Child")
    activity = relationship("Activity")

    # Which of these school years can be booked today: set by the re-enrollment campaign
    # (models/reenrollment.py), which knows when each later year's planning opens.
    bookable_years = staticmethod(lambda school_years, _today: list(school_years))

    @classmethod
    def keys_for(cls, child_ids, school_years, even_not_open=False):
        """{(child_id, activity_id, school_year)} for these children and years: what can
        be booked, so a later school year counts only once its planning has opened (the
        date of its re-enrollment campaign); even_not_open: every enrollment (staff)."""
        if not even_not_open:
            school_years = cls.bookable_years(school_years, paris_today())
        rows = db.session.execute(_enrollment_keys(), {
            "child_ids": list(child_ids), "school_years": list(school_years)})
        return {tuple(row) for row in rows}

    @classmethod
    def planned_school_years(cls, today):
        """This school year, the next (the service prepares it), and any later one that
        already has enrollments."""
        year = school_year_of(today)
        later = db.session.scalars(select(cls.school_year).distinct().where(
            cls.school_year > year + 1)).all()
        return [year, year + 1, *later]

    @classmethod
    def withdraw(cls, child_id, activity_ids, school_year, today):
        """Take the child off these activities for the school year. Its cells from
        tomorrow on are released (returned): not expected, not counted for meals, not
        billed. Today's are kept: the day is under way, its meals are ordered and the
        roll call may be taken. A pending request on them will be refused (not enrolled)."""
        if not activity_ids:
            return []
        db.session.execute(db.delete(cls).where(
            cls.child_id == child_id, cls.school_year == school_year,
            cls.activity_id.in_(activity_ids)))
        first, last = school_year_bounds(school_year)
        return release_bookings(select(Booking).where(
            Booking.child_id == child_id, Booking.activity_id.in_(activity_ids),
            Booking.day.between(max(first, today + timedelta(days=1)), last)))


class Booking(db.Model):
    """One cell of the planning: a child, an activity, a day, and its state."""
    __tablename__ = "bookings"
    __table_args__ = (UniqueConstraint("child_id", "activity_id", "day"),
                      Index("ix_bookings_activity_id_day", "activity_id", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(24), default=NONE)
    # The latest request line about this cell: the pending one, or the last decided.
    last_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("request_lines.id", ondelete="SET NULL"))
    # Order in the waiting list of its activity and day (lower first; staff reorder it).
    waiting_position: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    child = relationship("Child")
    activity = relationship("Activity")
    last_line = relationship("RequestLine", foreign_keys=[last_line_id])

    @property
    def is_pending(self):
        return self.state in PENDING


class PlanningCalendar:
    """When activities run, for a town and a range of days, loaded in one query."""

    def __init__(self, zone, first_day, last_day):
        self.zone = zone
        self.closures = Closure.overlapping(first_day, last_day)

    def why_not_running(self, activity, day):
        """None if the activity runs that day, else the reason it does not."""
        if day.isoweekday() not in activity.weekday_numbers:
            return NOT_ON_THAT_WEEKDAY
        if is_public_holiday(day):
            return PUBLIC_HOLIDAY
        if activity.holidays_only:
            if not is_school_holiday(day, self.zone):
                return SCHOOL_DAY
        elif not activity.runs_in_school_holidays and is_school_holiday(day, self.zone):
            return SCHOOL_HOLIDAY
        if any(closure.covers(activity.id, day) for closure in self.closures):
            return CLOSED
        return None

    def runs(self, activity, day):
        return self.why_not_running(activity, day) is None


def _town_zone():
    from models.town import Town  # the town row, only for a rule that needs its zone

    town = Town.current()
    return town.holiday_zone if town else None


def town_zone_for(activities):
    """The town's holiday zone when one of these activities' rules needs it (one query
    for a whole batch, instead of one per deadline), else None."""
    kinds = {kind for a in activities for kind in (a.deadline_kind, a.cancel_deadline_kind)}
    return _town_zone() if CLEAR_DAYS in kinds else None


def release_bookings(query):
    """Free the cells `query` (a select of Booking) finds reserved, waiting for a
    decision or on a waiting list, and return them with their child, family and activity
    loaded (to tell the families). Closures and withdrawn enrollments release cells this one way."""
    released = db.session.scalars(query.where(Booking.state.in_((RESERVED, WAITING, *PENDING)))
                                  .options(selectinload(Booking.child).selectinload(Child.family),
                                           selectinload(Booking.activity))
                                  .order_by(Booking.day, Booking.activity_id)).all()
    now = utcnow()
    for booking in released:
        booking.state = NONE
        booking.updated_at = now
    return released


def is_enrolled(enrollment_keys, child_id, activity_id, day):
    return (child_id, activity_id, school_year_of(day)) in enrollment_keys
