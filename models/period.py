"""Long-period requests ("Faire une demande sur une longue période"): many days at once.

`plan_period` expands what the parent asks into the days that will be asked, the days
skipped and why, and the days that will be refused as late (or not open yet); the
preview shows it and `save_period_request` saves it as ONE request whose lines the usual
job decides. The preview carries the plan's fingerprint: a submission whose plan changed
since (another guardian, the form changed before the preview followed) saves nothing.
"""
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert, select, update

from extensions import db
from models.calendar import days_between, school_year_of
from models.clock import utcnow
from models.db_tools import begin_write, insert_ignoring_conflicts
from models.email_batches import join_batch
from models.planning import (
    ABSENT,
    NONE,
    PENDING,
    PENDING_STATE_FOR,
    RESERVE,
    RESERVED,
    WAITING,
    Booking,
    Enrollment,
    PlanningCalendar,
    is_enrolled,
)
from models.requests import NOT_ENROLLED, PERIOD, Request, RequestLine

# Why a day of the period is not asked, besides PlanningCalendar.why_not_running.
ALREADY = "already"          # already in the state asked
IN_PROGRESS = "in_progress"  # another request on that day is not decided yet
NOT_RESERVED = "not_reserved"  # an absence on a day that was not reserved
ON_WAITING_LIST = "on_waiting_list"  # a reservation already on the day's waiting list

FIRST_DATES_SHOWN = 3
MAX_DAYS = 366  # a school year at most


@dataclass
class PeriodAsk:
    action: str
    children: list
    activities: list
    first_day: date
    last_day: date
    weekdays: set  # ISO numbers, 1 = Monday


@dataclass
class GroupPlan:
    """What happens to one child x activity of the period."""
    child: object
    activity: object
    asked: list = field(default_factory=list)       # [(day, from_state)]
    late: list = field(default_factory=list)        # days asked that will be refused
    too_early: list = field(default_factory=list)   # refused too: not open yet (horizon)
    skipped: dict = field(default_factory=lambda: defaultdict(list))  # reason -> days

    @property
    def skipped_count(self):
        return sum(len(days) for days in self.skipped.values())

    def first(self, days):
        return days[:FIRST_DATES_SHOWN]


def _skip_reason(action, state):
    """Why a day in this state is not asked again, or None to ask it."""
    if state in PENDING:
        return IN_PROGRESS
    if state == WAITING:
        return ON_WAITING_LIST if action == RESERVE else NOT_RESERVED
    if action == RESERVE:
        return ALREADY if state == RESERVED else None
    if state == ABSENT:
        return ALREADY
    return NOT_RESERVED if state == NONE else None


def plan_period(ask, zone, now=None):
    """Expand the period, child by child and activity by activity, in a few queries."""
    now = now or utcnow()
    calendar = PlanningCalendar(zone, ask.first_day, ask.last_day)
    years = {school_year_of(ask.first_day), school_year_of(ask.last_day)}
    child_ids = [c.id for c in ask.children]
    enrolled = Enrollment.keys_for(child_ids, years)
    states = {(b.child_id, b.activity_id, b.day): b.state for b in db.session.scalars(
        select(Booking).where(Booking.child_id.in_(child_ids),
                              Booking.activity_id.in_([a.id for a in ask.activities]),
                              Booking.day.between(ask.first_day, ask.last_day)))}
    days = [d for d in days_between(ask.first_day, ask.last_day)
            if d.isoweekday() in ask.weekdays]
    pairs = {(child_id, activity_id) for child_id, activity_id, _year in enrolled}
    groups = []
    for child in ask.children:
        for activity in ask.activities:
            if (child.id, activity.id) not in pairs:
                continue  # never enrolled over the period: see never_enrolled()
            group = GroupPlan(child, activity)
            for day in days:
                reason = calendar.why_not_running(activity, day)
                if reason is None and not is_enrolled(enrolled, child.id, activity.id, day):
                    reason = NOT_ENROLLED
                state = states.get((child.id, activity.id, day), NONE)
                reason = reason or _skip_reason(ask.action, state)
                if reason:
                    group.skipped[reason].append(day)
                    continue
                group.asked.append((day, state))
                if not activity.is_in_time(day, now, ask.action, zone):
                    group.late.append(day)
                elif ask.action == RESERVE and not activity.is_open(day, now):
                    group.too_early.append(day)
            groups.append(group)
    return groups


def plan_fingerprint(ask, groups):
    """A digest of what the plan would do: its action, every day asked with the state it
    is asked from, and the days that would be refused as late."""
    parts = [ask.action]
    for group in groups:
        key = f"{group.child.id}-{group.activity.id}"
        parts += [f"{key}-{day.isoformat()}-{state}" for day, state in group.asked]
        parts += [f"{key}-{day.isoformat()}-late" for day in group.late]
        parts += [f"{key}-{day.isoformat()}-early" for day in group.too_early]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def never_enrolled(ask):
    """(child, activity) pairs of the ask with no enrollment at all over the period."""
    years = {school_year_of(ask.first_day), school_year_of(ask.last_day)}
    enrolled = Enrollment.keys_for([c.id for c in ask.children], years)
    pairs = {(child_id, activity_id) for child_id, activity_id, _year in enrolled}
    return [(child, activity) for child in ask.children for activity in ask.activities
            if (child.id, activity.id) not in pairs]


def existing_request(family, client_token):
    return db.session.scalar(select(Request).where(Request.family_id == family.id,
                                                   Request.client_token == client_token))


def save_period_request(family, user, ask, zone, client_token, shown=None):
    """Save the whole period as one request with bulk statements (a school year for
    three children and four activities is about 1,700 lines). Returns (request, created):
    a form sent twice with the same token gives back the first request.

    `shown` is the fingerprint of the preview the person saw (None without one, as
    without JavaScript): when the plan is no longer that one, nothing is saved and the
    request is None.
    """
    begin_write()
    request = existing_request(family, client_token)
    if request is not None:
        return request, False
    # Planned again inside the write transaction: what is saved is what is true now.
    groups = plan_period(ask, zone)
    if shown is not None and plan_fingerprint(ask, groups) != shown:
        return None, False
    now = utcnow()
    request = Request(family_id=family.id, user_id=user.id, kind=PERIOD, action=ask.action,
                      submitted_at=now, client_token=client_token)
    db.session.add(request)
    db.session.flush()
    join_batch(request, now)
    wanted = [(g.child.id, g.activity.id, day, state) for g in groups for day, state in g.asked]
    if not wanted:
        return request, True
    insert_ignoring_conflicts(Booking, [
        {"child_id": c, "activity_id": a, "day": d, "state": NONE, "updated_at": now}
        for c, a, d, _state in wanted], ["child_id", "activity_id", "day"])
    bookings = {(b.child_id, b.activity_id, b.day): b.id for b in db.session.execute(
        select(Booking.id, Booking.child_id, Booking.activity_id, Booking.day)
        .where(Booking.child_id.in_({w[0] for w in wanted}),
               Booking.activity_id.in_({w[1] for w in wanted}),
               Booking.day.between(ask.first_day, ask.last_day))
        .with_for_update())}
    db.session.execute(insert(RequestLine), [
        {"request_id": request.id, "child_id": c, "activity_id": a, "day": d,
         "action": ask.action, "from_state": state} for c, a, d, state in wanted])
    line_ids = {(c, a, d): line_id for line_id, c, a, d in db.session.execute(
        select(RequestLine.id, RequestLine.child_id, RequestLine.activity_id, RequestLine.day)
        .where(RequestLine.request_id == request.id))}
    pending = PENDING_STATE_FOR[ask.action]
    db.session.execute(update(Booking), [
        {"id": bookings[(c, a, d)], "state": pending, "last_line_id": line_ids[(c, a, d)],
         "updated_at": now} for c, a, d, _state in wanted])
    return request, True

