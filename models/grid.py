"""The planning grid a family sees: for each day, one cell per child and activity the
child is enrolled in and that runs that day. A few queries whatever the number of
children, activities or days."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache, lru_cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from extensions import db
from models.billing import LateTerms
from models.calendar import days_between, public_holiday_name, school_holiday_name, school_year_of
from models.clock import to_paris, utcnow
from models.holiday_centres import WINDOW_NOT_OPEN, Windows, unit_days, unit_key, week_span
from models.late import REFUSE, STAFF, SUBMITTED, SURCHARGE, after_deadline
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
from models.requests import REFUSED, RequestLine
from models.undo import cell_undo_until, minutes_left
from models.waiting import FEW_PLACES, places_left, places_taken, waiting_ranks

# A refusal stays visible on its cell for a day, then the cell simply shows its state.
REFUSAL_SHOWN_FOR = timedelta(days=1)


@lru_cache(maxsize=4)
def _paris_day(now):
    # The cells of a page share their `now`: the day in Paris is worked out once.
    return to_paris(now).date()


@dataclass
class Cell:
    # What a cell says is derived from its fields once, when it is made (__post_init__),
    # as plain attributes: a page reads each value several times (template, groups,
    # « toute la semaine »), nearly all of them for every cell, and a cell is never
    # changed once made.
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
    # Past the deadline: what a tap now gets (models/late.py), and the surcharge's terms.
    late: str | None = None
    late_terms: object = None
    # Outside its holiday period's booking window (reservations): why, and when it
    # opens or closed (models/holiday_centres.py).
    window_reason: str | None = None
    window_moment: datetime | None = None
    # Booked by whole weeks: the running days of its week, booked together.
    week: list | None = None
    # Until when the last tap on it can be taken back (models/undo.py), or None.
    undo_until: datetime | None = None

    def __post_init__(self):
        child, activity, day, state, now = (self.child, self.activity, self.day, self.state,
                                            self.now)
        line, places, opens = self.last_line, self.places_left, self.opens_at
        # What the template writes of the child, the activity and the day, read once.
        self.child_id, self.child_name, self.colour = (child.id, child.first_name,
                                                       child.planning_colour)
        self.activity_id, self.activity_name = activity.id, activity.name
        self.iso = day.isoformat()
        self.dom_id = f"cell-{self.child_id}-{self.activity_id}-{self.iso.replace('-', '')}"
        # What a tap asks (reserve or absence), None while a request is pending.
        self.action = action = ACTION_FOR_STATE.get(state)
        self.pending = pending = state in PENDING
        # Today or later, in Paris.
        self.upcoming = upcoming = day >= _paris_day(now)
        # Leaving a waiting list has no deadline, till the day.
        self.past_deadline = past = not upcoming if action == LEAVE else now > self.deadline
        # Past its deadline, a tap is still taken: accepted with a surcharge, or
        # submitted to the staff. The cell says which before the tap.
        self.late_open = late_open = self.late in (SURCHARGE, STAFF) and past
        # A late request submitted to the staff: the cell waits for their decision.
        self.awaiting_staff = pending and line is not None and line.outcome == SUBMITTED
        self.outside_window = outside = action == RESERVE and self.window_reason is not None
        self.window_not_open = outside and self.window_reason == WINDOW_NOT_OPEN
        self.window_closed = outside and self.window_reason != WINDOW_NOT_OPEN
        self.undo_request_id = line.request_id if self.undo_until else None
        # Whole minutes left to take the tap back, at least 1.
        self.undo_minutes_left = (minutes_left(self.undo_until, now) if self.undo_until
                                  else None)
        # « plus que N places »: shown on a cell one could still reserve.
        self.few_places = (action == RESERVE and places is not None
                           and 0 < places <= FEW_PLACES)
        # No place left: a reservation goes to the waiting list, or is refused.
        self.full = full = action == RESERVE and places == 0
        self.offers_waiting_list = full and activity.waiting_list
        # A reservation beyond the booking horizon: the cell says from when it opens.
        self.not_open_yet = not_open_yet = (opens is not None and now < opens
                                            and action == RESERVE)
        # Past its deadline (and late taps refused), not open yet, or outside its holiday
        # period's booking window: the cell cannot be changed from the portal.
        self.locked = (past and not late_open) or not_open_yet or outside
        # A reserved day past its cancelling deadline, today or later, can still be
        # declared an illness (models/illness.py judges the declaration itself).
        self.offers_illness = state == RESERVED and past and upcoming
        self.recent_refusal = (
            line if line is not None and line.outcome == REFUSED
            and line.decided_at is not None and now - line.decided_at < REFUSAL_SHOWN_FOR
            else None)

    def undo_for(self, user):
        """Whether `user` may take the last tap back here: the guardian who tapped."""
        return (bool(self.undo_until) and user is not None
                and self.last_line.request.user_id == user.id)


@dataclass
class DayPlan:
    day: date
    cells: list = field(default_factory=list)
    # Why nothing runs that day when it is so: a public or school holiday, a closure.
    note: str | None = None
    # Activities of the family's children closed that day: [(activity, reason)].
    closures: list = field(default_factory=list)


def _bookings(child_ids, activity_ids, first_day, last_day):
    rows = db.session.scalars(_bookings_query(), {
        "child_ids": list(child_ids), "activity_ids": list(activity_ids),
        "first_day": first_day, "last_day": last_day})
    return {(b.child_id, b.activity_id, b.day): b for b in rows}


@cache
def _bookings_query():
    # Built once: building a select with its loader options costs about what running it
    # does, and every week page runs it.
    return (select(Booking)
            .where(Booking.child_id.in_(bindparam("child_ids", expanding=True)),
                   Booking.activity_id.in_(bindparam("activity_ids", expanding=True)),
                   Booking.day.between(bindparam("first_day"), bindparam("last_day")))
            .options(joinedload(Booking.last_line).joinedload(RequestLine.request)))


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
    calendar = PlanningCalendar(zone, *week_span(first_day, last_day))
    windows = Windows()
    years = {school_year_of(day) for day in (first_day, last_day)}
    enrolled = Enrollment.keys_for([c.id for c in children], years) if children else set()
    bookings = _bookings([c.id for c in children], [a.id for a in activities],
                         first_day, last_day) if children else {}
    taken, ranks = _places(activities, bookings.values(), first_day, last_day)
    terms = _late_terms(activities)
    shared = {}
    with_ids = [(c, c.id) for c in children]
    plan = []
    for day in days_between(first_day, last_day):
        day_plan = DayPlan(day)
        reasons = set()
        for activity in activities:
            why = calendar.why_not_running(activity, day)
            if why and why != CLOSED:  # not running: who is enrolled changes nothing
                reasons.add(why)
                continue
            takers = [c for c, child_id in with_ids
                      if is_enrolled(enrolled, child_id, activity.id, day)]
            if why:
                reasons.add(why)
                if takers:
                    day_plan.closures.append((activity, _closure_reason(calendar, activity, day)))
                continue
            for child in takers:
                booking = bookings.get((child.id, activity.id, day))
                day_plan.cells.append(_cell(child, activity, day, booking, now, calendar,
                                            windows, taken, ranks, terms, shared))
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


def _late_terms(activities):
    """When an activity accepts late reservations with a surcharge, a function giving the
    surcharge's terms, read on its first call (one query): only a cell past its deadline
    with a surcharge says them, and most pages have none. Else None."""
    if any(a.late_reserve_policy == SURCHARGE for a in activities):
        return cache(LateTerms.current)
    return None


@dataclass
class _ActivityDay:
    """What the cells of one activity on one day share, whoever the child: worked out
    once for all the family's children (a week of four children: 13 times, not 52)."""
    week: list | None
    deadline_day: date
    window_reason: str | None
    window_moment: datetime | None
    opens_at: datetime | None
    places_left: int | None
    # Per action (reserve, absence): its deadline, and what a tap past it gets.
    deadlines: dict = field(default_factory=dict)


def _activity_day(activity, day, now, calendar, windows, taken):
    zone = calendar.zone
    week = (unit_days(activity, day, calendar)
            if activity.booked_by_week and unit_key(activity, day, zone) != day else None)
    window_reason, window_moment = windows.refusal(activity, day, zone, now)
    return _ActivityDay(week=week, deadline_day=week[0] if week else day,
                        window_reason=window_reason, window_moment=window_moment,
                        opens_at=activity.opens_at(day),
                        places_left=(places_left(activity, taken, day)
                                     if taken is not None else None))


def _deadline(shared, activity, action, now, zone):
    """The deadline of `action` on the shared day, and what a late tap gets (None
    before the deadline)."""
    found = shared.deadlines.get(action)
    if found is None:
        deadline = activity.deadline_for(shared.deadline_day, action, zone)
        late = (after_deadline(activity, shared.deadline_day, action, now)
                if now > deadline else None)
        found = shared.deadlines[action] = (deadline, late)
    return found


def _cell(child, activity, day, booking, now, calendar, windows, taken=None, ranks=None,
          terms=None, shared=None):
    """A cell with the deadline of what a tap on it asks (or asked, while pending): for
    an activity booked by weeks, its week's (the first running day's). `shared` keeps
    what the cells of an activity's day have in common, per (activity id, day), when
    several children are laid out; `terms` is what _late_terms gives."""
    key = (activity.id, day)
    same_day = shared.get(key) if shared is not None else None
    if same_day is None:
        same_day = _activity_day(activity, day, now, calendar, windows, taken)
        if shared is not None:
            shared[key] = same_day
    state = booking.state if booking else NONE
    action = ABSENCE if state in (RESERVED, PENDING_ABSENCE) else RESERVE
    deadline, late = _deadline(same_day, activity, action, now, calendar.zone)
    if ACTION_FOR_STATE.get(state) not in (RESERVE, ABSENCE):
        late = None
    last_line = booking.last_line if booking else None
    late = late if late != REFUSE else None
    return Cell(child=child, activity=activity, day=day, state=state,
                deadline=deadline, now=now, late=late,
                late_terms=terms() if terms and late == SURCHARGE else None,
                last_line=last_line, opens_at=same_day.opens_at,
                places_left=same_day.places_left,
                waiting_rank=(ranks or {}).get(booking.id) if booking else None,
                window_reason=same_day.window_reason, window_moment=same_day.window_moment,
                week=same_day.week,
                undo_until=cell_undo_until(booking, last_line, now, calendar.zone))


def _one_booking(child, activity, day):
    return db.session.scalars(
        select(Booking).where(Booking.child_id == child.id, Booking.activity_id == activity.id,
                              Booking.day == day)
        .options(joinedload(Booking.last_line).joinedload(RequestLine.request))).one_or_none()


def single_cell(child, activity, day, now=None, zone=None):
    """One cell, as it is now (after a tap, or when a pending cell asks again)."""
    booking = _one_booking(child, activity, day)
    taken, ranks = _places([activity], [booking] if booking else [], day, day)
    calendar = PlanningCalendar(zone, *week_span(day, day))
    return _cell(child, activity, day, booking, now or utcnow(), calendar, Windows(),
                 taken, ranks, _late_terms([activity]))


def week_cells(child, activity, day, now=None, zone=None):
    """The cells booked together with `day` (a whole week, for an activity booked by
    weeks), the tapped one first: a tap's answer settles them all."""
    now = now or utcnow()
    calendar = PlanningCalendar(zone, *week_span(day, day))
    days = unit_days(activity, day, calendar) if activity.booked_by_week else [day]
    days = [day] + [d for d in days if d != day]
    bookings = {b.day: b for b in db.session.scalars(
        select(Booking).where(Booking.child_id == child.id, Booking.activity_id == activity.id,
                              Booking.day.in_(days))
        .options(joinedload(Booking.last_line).joinedload(RequestLine.request)))}
    taken, ranks = _places([activity], list(bookings.values()), min(days), max(days))
    windows, terms = Windows(), _late_terms([activity])
    return [_cell(child, activity, d, bookings.get(d), now, calendar, windows, taken, ranks,
                  terms)
            for d in days]


@dataclass
class _ZoneOnly:
    """What _cell reads of its calendar for an activity not booked by weeks: the zone
    (the closures only matter to the days of a whole week)."""
    zone: str | None


def cell_after_tap(child, activity, booking, now=None, zone=None):
    """The cell a tap has just set pending, from what the tap wrote (the locked booking,
    its new line and request, models/requests.ask_for_cell): nothing is read again. A
    pending cell shows no places left, waiting rank, booking window or late terms (each
    says what a tap would do, and none can be made while it is pending), so none is
    loaded (nor are the kept closures and windows, whose stamp a read after the commit
    would check again: two statements); the cell is the one single_cell reads
    (tests/test_speed.py compares them to the byte). An activity booked by weeks is
    answered by week_cells."""
    if not booking.is_pending or activity.booked_by_week:
        raise ValueError("cell_after_tap answers a tap that set a single day pending")
    return _cell(child, activity, booking.day, booking, now or utcnow(), _ZoneOnly(zone),
                 Windows(rows=[]))
