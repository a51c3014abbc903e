"""The planning grid a family sees: for each day, one cell per child and activity the
child is enrolled in and that runs that day. A few queries whatever the number of
children, activities or days."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from extensions import db
from models.calendar import days_between, public_holiday_name, school_holiday_name, school_year_of
from models.clock import to_paris, utcnow
from models.planning import (
    ACTION_FOR_STATE,
    CLOSED,
    NONE,
    PENDING,
    PUBLIC_HOLIDAY,
    SCHOOL_HOLIDAY,
    Activity,
    Booking,
    Enrollment,
    PlanningCalendar,
    is_enrolled,
)
from models.requests import REFUSED

# A refusal stays visible on its cell for a day, then the cell simply shows its state.
REFUSAL_SHOWN_FOR = timedelta(days=1)


@dataclass
class Cell:
    child: object
    activity: Activity
    day: date
    state: str
    deadline: datetime
    now: datetime
    last_line: object = None

    @property
    def dom_id(self):
        return f"cell-{self.child.id}-{self.activity.id}-{self.day:%Y%m%d}"

    @property
    def locked(self):
        """Past its deadline: the cell can no longer be changed from the portal."""
        return self.now > self.deadline

    @property
    def upcoming(self):
        """Today or later, in Paris."""
        return self.day >= to_paris(self.now).date()

    @property
    def action(self):
        """What a tap asks (reserve or absence), None while a request is pending."""
        return ACTION_FOR_STATE.get(self.state)

    @property
    def pending(self):
        return self.state in PENDING

    @property
    def recent_refusal(self):
        line = self.last_line
        if line is None or line.outcome != REFUSED or line.decided_at is None:
            return None
        return line if self.now - line.decided_at < REFUSAL_SHOWN_FOR else None


@dataclass
class DayPlan:
    day: date
    cells: list = field(default_factory=list)
    # Why nothing runs that day when it is so: a public or school holiday, a closure.
    note: str | None = None
    # Activities of the family's children closed that day: [(activity, reason)].
    closures: list = field(default_factory=list)


def _bookings(child_ids, activity_ids, first_day, last_day):
    rows = db.session.scalars(
        select(Booking).where(Booking.child_id.in_(child_ids),
                              Booking.activity_id.in_(activity_ids),
                              Booking.day.between(first_day, last_day))
        .options(joinedload(Booking.last_line)))
    return {(b.child_id, b.activity_id, b.day): b for b in rows}


def _closure_reason(calendar, activity, day):
    return next((c.reason for c in calendar.closures if c.covers(activity.id, day)), None)


def _day_note(calendar, day, why):
    if why == PUBLIC_HOLIDAY:
        return public_holiday_name(day)
    if why == SCHOOL_HOLIDAY:
        return school_holiday_name(day, calendar.zone)
    return None


def family_planning(children, first_day, last_day, zone, now=None):
    """The days from first_day to last_day with their cells."""
    now = now or utcnow()
    children = list(children)
    activities = Activity.ordered()
    calendar = PlanningCalendar(zone, first_day, last_day)
    years = {school_year_of(day) for day in (first_day, last_day)}
    enrolled = Enrollment.keys_for([c.id for c in children], years) if children else set()
    bookings = _bookings([c.id for c in children], [a.id for a in activities],
                         first_day, last_day) if children else {}
    plan = []
    for day in days_between(first_day, last_day):
        day_plan = DayPlan(day)
        reasons = set()
        for activity in activities:
            why = calendar.why_not_running(activity, day)
            takers = [c for c in children
                      if is_enrolled(enrolled, c.id, activity.id, day)]
            if why:
                reasons.add(why)
                if why == CLOSED and takers:
                    day_plan.closures.append((activity, _closure_reason(calendar, activity, day)))
                continue
            for child in takers:
                booking = bookings.get((child.id, activity.id, day))
                day_plan.cells.append(Cell(
                    child=child, activity=activity, day=day,
                    state=booking.state if booking else NONE,
                    deadline=activity.deadline_for(day), now=now,
                    last_line=booking.last_line if booking else None))
        if not day_plan.cells:
            for why in (PUBLIC_HOLIDAY, SCHOOL_HOLIDAY):
                if why in reasons:
                    day_plan.note = _day_note(calendar, day, why)
                    break
        plan.append(day_plan)
    return plan


def single_cell(child, activity, day, now=None):
    """One cell, as it is now (after a tap, or when a pending cell asks again)."""
    booking = db.session.scalars(
        select(Booking).where(Booking.child_id == child.id, Booking.activity_id == activity.id,
                              Booking.day == day).options(joinedload(Booking.last_line))
    ).one_or_none()
    return Cell(child=child, activity=activity, day=day,
                state=booking.state if booking else NONE, deadline=activity.deadline_for(day),
                now=now or utcnow(), last_line=booking.last_line if booking else None)


def cell_of(booking, child, activity, last_line, now=None):
    """The cell of a booking just written, with the line written on it (the tap's
    answer): built from what is loaded, no query needed."""
    return Cell(child=child, activity=activity, day=booking.day, state=booking.state,
                deadline=activity.deadline_for(booking.day), now=now or utcnow(),
                last_line=last_line)
