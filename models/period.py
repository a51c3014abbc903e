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
from models.holiday_centres import Windows, unit_days, unit_key, week_span
from models.late import REFUSE as LATE_REFUSE
from models.late import STAFF, SURCHARGE, late_rule
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
from models.waiting import places_taken

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
    # Late but let through per the activity's late policy (models/late.py): accepted
    # with a surcharge (or, for an absence, the day still billed), or sent to the staff.
    surcharged: list = field(default_factory=list)
    submitted: list = field(default_factory=list)
    # Full days (activities with a capacity): on the waiting list, or refused.
    waitlisted: list = field(default_factory=list)
    full: list = field(default_factory=list)
    # Refused: outside the booking window of their holiday period, [(day, reason, moment)].
    outside_window: list = field(default_factory=list)
    skipped: dict = field(default_factory=lambda: defaultdict(list))  # reason -> days

    @property
    def skipped_count(self):
        return sum(len(days) for days in self.skipped.values())

    def first(self, days):
        return days[:FIRST_DATES_SHOWN]

    @property
    def outside_window_days(self):
        return [day for day, _reason, _moment in self.outside_window]

    @property
    def window_notes(self):
        """The distinct (reason, moment) of the days outside their booking window."""
        return sorted({(reason, moment) for _day, reason, moment in self.outside_window},
                      key=lambda note: note[1])


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
    """Expand the period, child by child and activity by activity, in a few queries. An
    activity booked by whole weeks (models/holiday_centres.py) is asked a whole week of
    the holidays at a time: a chosen day brings the running days of its week."""
    now = now or utcnow()
    span = (week_span(ask.first_day, ask.last_day)
            if any(a.booked_by_week for a in ask.activities) else (ask.first_day, ask.last_day))
    calendar = PlanningCalendar(zone, *span)
    windows = Windows() if ask.action == RESERVE else None
    years = {school_year_of(span[0]), school_year_of(span[1])}
    child_ids = [c.id for c in ask.children]
    enrolled = Enrollment.keys_for(child_ids, years)
    states = {(b.child_id, b.activity_id, b.day): b.state for b in db.session.scalars(
        select(Booking).where(Booking.child_id.in_(child_ids),
                              Booking.activity_id.in_([a.id for a in ask.activities]),
                              Booking.day.between(*span)))}
    days = [d for d in days_between(ask.first_day, ask.last_day)
            if d.isoweekday() in ask.weekdays]
    taken = places_taken([a.id for a in ask.activities if a.capacity is not None],
                         ask.first_day, ask.last_day) if ask.action == RESERVE else {}
    pairs = {(child_id, activity_id) for child_id, activity_id, _year in enrolled}
    groups = []
    weeks_of = {activity.id: _weeks(activity, days, calendar) for activity in ask.activities}
    for child in ask.children:
        for activity in ask.activities:
            weeks = weeks_of[activity.id]
            if (child.id, activity.id) not in pairs:
                continue  # never enrolled over the period: see never_enrolled()
            group = GroupPlan(child, activity)
            for day in weeks.get(None, days):
                reason = calendar.why_not_running(activity, day)
                if reason is None and not is_enrolled(enrolled, child.id, activity.id, day):
                    reason = NOT_ENROLLED
                state = states.get((child.id, activity.id, day), NONE)
                reason = reason or _skip_reason(ask.action, state)
                if reason:
                    group.skipped[reason].append(day)
                    continue
                group.asked.append((day, state))
                outside, moment = (windows.refusal(activity, day, zone, now)
                                   if windows is not None else (None, None))
                if outside:
                    group.outside_window.append((day, outside, moment))
                else:
                    _foresee(group, activity, day, ask.action, now, zone, taken,
                             weeks.get(day, day))
            if activity.booked_by_week:
                _whole_weeks(group, activity, zone)
            groups.append(group)
    return groups


def _foresee(group, activity, day, action, now, zone, taken, deadline_day):
    """What the job will do with this day, in the order it judges (models/requests.py
    `_judge`): late and refused, not open yet, full, then late but let through.
    `deadline_day`: the day whose deadline applies (the first of a whole week)."""
    late = late_rule(activity, deadline_day, action, now, zone)
    if late == LATE_REFUSE:
        group.late.append(day)
        return
    if action == RESERVE and not activity.is_open(day, now):
        group.too_early.append(day)
        return
    if action == RESERVE and activity.capacity is not None:
        if taken[(activity.id, day)] >= activity.capacity:
            (group.waitlisted if activity.waiting_list else group.full).append(day)
            return
        if late != STAFF:  # the staff's decision counts the place later
            taken[(activity.id, day)] += 1
    if late == SURCHARGE:
        group.surcharged.append(day)
    elif late == STAFF:
        group.submitted.append(day)


def _weeks(activity, days, calendar):
    """For an activity booked by weeks: {None: the days to consider (the chosen days and
    the running days of their holiday weeks), day: the first day of its week (whose
    deadline applies)}; {} for any other activity."""
    if not activity.booked_by_week:
        return {}
    firsts, wanted = {}, set(days)
    for day in days:
        if day in firsts or unit_key(activity, day, calendar.zone) == day:
            continue
        week = unit_days(activity, day, calendar)
        for other in week:
            firsts[other] = week[0]
        wanted.update(week)
    return {None: sorted(wanted), **firsts}


def _whole_weeks(group, activity, zone):
    """A week is refused as one: a day of it refused (outside the window, late, not open
    yet) takes the asked days of its week along, for the same reason."""
    refused = {}
    for day, reason, moment in group.outside_window:
        refused.setdefault(unit_key(activity, day, zone), ("window", reason, moment))
    for kind in ("late", "too_early"):
        for day in getattr(group, kind):
            refused.setdefault(unit_key(activity, day, zone), (kind, None, None))
    if not refused:
        return
    taken = set(group.late) | set(group.too_early) | set(group.outside_window_days)
    for day, _state in group.asked:
        key = unit_key(activity, day, zone)
        if day in taken or key not in refused:
            continue
        kind, reason, moment = refused[key]
        if kind == "window":
            group.outside_window.append((day, reason, moment))
        else:
            getattr(group, kind).append(day)
    group.outside_window.sort()
    group.late.sort()
    group.too_early.sort()


def plan_fingerprint(ask, groups):
    """A digest of what the plan would do: its action, every day asked with the state it
    is asked from, and the days that would be refused as late."""
    parts = [ask.action]
    for group in groups:
        key = f"{group.child.id}-{group.activity.id}"
        parts += [f"{key}-{day.isoformat()}-{state}" for day, state in group.asked]
        parts += [f"{key}-{day.isoformat()}-late" for day in group.late]
        parts += [f"{key}-{day.isoformat()}-early" for day in group.too_early]
        for name in ("surcharged", "submitted", "waitlisted", "full"):
            parts += [f"{key}-{day.isoformat()}-{name}" for day in getattr(group, name)]
        parts += [f"{key}-{day.isoformat()}-{reason}" for day, reason, _m in group.outside_window]
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
               Booking.day.between(min(w[2] for w in wanted), max(w[2] for w in wanted)))
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

