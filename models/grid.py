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
    ABSENCE,
    ACTION_FOR_STATE,
    CLOSED,
    LEAVE,
    NONE,
    PENDING,
    PENDING_ABSENCE,
    PUBLIC_HOLIDAY,
    RESERVE,
    RESERVED,
    SCHOOL_HOLIDAY,
    WAITING,
    Activity,
    Booking,
    Enrollment,
    PlanningCalendar,
    is_enrolled,
)
from models.requests import REFUSED
from models.waiting import FEW_PLACES, places_left, places_taken, waiting_ranks

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
    # When the day opens for reservations (the activity's booking horizon), or None.
    opens_at: datetime | None = None
    # Free places that day (activities with a capacity), and the rank in the waiting list.
    places_left: int | None = None
    waiting_rank: int | None = None

    @property
    def few_places(self):
        """« plus que N places »: shown on a cell one could still reserve."""
        return (self.action == RESERVE and self.places_left is not None
                and 0 < self.places_left <= FEW_PLACES)

    @property
    def full(self):
        """No place left: a reservation goes to the waiting list, or is refused."""
        return self.action == RESERVE and self.places_left == 0

    @property
    def offers_waiting_list(self):
        return self.full and self.activity.waiting_list

    @property
    def dom_id(self):
        return f"cell-{self.child.id}-{self.activity.id}-{self.day:%Y%m%d}"

    @property
    def past_deadline(self):
        if self.action == LEAVE:  # leaving a waiting list has no deadline, till the day
            return not self.upcoming
        return self.now > self.deadline

    @property
    def not_open_yet(self):
        """A reservation beyond the booking horizon: the cell says from when it opens."""
        return (self.opens_at is not None and self.now < self.opens_at
                and self.action == RESERVE)

    @property
    def locked(self):
        """Past its deadline, or not open yet: the cell cannot be changed from the portal."""
        return self.past_deadline or self.not_open_yet

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
    taken, ranks = _places(activities, bookings.values(), first_day, last_day)
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
                day_plan.cells.append(_cell(child, activity, day, booking, now, zone,
                                            taken, ranks))
        if not day_plan.cells:
            for why in (PUBLIC_HOLIDAY, SCHOOL_HOLIDAY):
                if why in reasons:
                    day_plan.note = _day_note(calendar, day, why)
                    break
        plan.append(day_plan)
    return plan


def _places(activities, bookings, first_day, last_day):
    """Places taken per (activity, day) and ranks of the family's waiting cells: a query
    each, only when an activity has a capacity and a cell is on a waiting list."""
    taken = places_taken([a.id for a in activities if a.capacity is not None],
                         first_day, last_day)
    ranks = waiting_ranks({(b.activity_id, b.day) for b in bookings if b.state == WAITING})
    return taken, ranks


def _cell(child, activity, day, booking, now, zone, taken=None, ranks=None):
    """A cell with the deadline of what a tap on it asks (or asked, while pending)."""
    state = booking.state if booking else NONE
    action = ABSENCE if state in (RESERVED, PENDING_ABSENCE) else RESERVE
    return Cell(child=child, activity=activity, day=day, state=state,
                deadline=activity.deadline_for(day, action, zone), now=now,
                last_line=booking.last_line if booking else None,
                opens_at=activity.opens_at(day),
                places_left=places_left(activity, taken, day) if taken is not None else None,
                waiting_rank=(ranks or {}).get(booking.id) if booking else None)


def single_cell(child, activity, day, now=None, zone=None):
    """One cell, as it is now (after a tap, or when a pending cell asks again)."""
    booking = db.session.scalars(
        select(Booking).where(Booking.child_id == child.id, Booking.activity_id == activity.id,
                              Booking.day == day).options(joinedload(Booking.last_line))
    ).one_or_none()
    taken, ranks = _places([activity], [booking] if booking else [], day, day)
    return _cell(child, activity, day, booking, now or utcnow(), zone, taken, ranks)


def cell_after_tap(child, activity, day, booking, line, now=None, zone=None):
    """The cell a tap has just set pending, from the booking it locked and the line it
    saved: no query. A pending cell offers no action, so its places and waiting rank
    would say nothing (single_cell() reads them)."""
    cell = _cell(child, activity, day, booking, now or utcnow(), zone)
    cell.last_line = line
    return cell
