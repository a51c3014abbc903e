"""The evening-before reminder of a deadline: the days a child usually comes that are
not booked yet for the period whose deadline is tomorrow.

- A child's usual days: for each activity, the weekdays it was booked on in most of the
  last weeks that activity ran that weekday (USUAL_WEEKS of them, looked for within
  LOOK_BACK_WEEKS; at least MIN_WEEKS known). A day later declared absent still counts:
  the child usually comes.
- The coming period of a deadline: the days the activity runs whose reservation deadline,
  as the activity itself says (Activity.deadline_for, models/deadlines.py), falls
  tomorrow in Paris. Whatever the kind (a day, a week, a month, the holidays), the period
  is what that one rule says, never re-derived here.
- Missing: such a day on a usual weekday, the child enrolled, and nothing asked for it
  (no booking, or one left empty).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models.calendar import school_year_of
from models.clock import to_paris
from models.family import Family, Guardian
from models.planning import NONE, RESERVE, Activity, Booking, Enrollment, PlanningCalendar
from models.user import User

USUAL_WEEKS = 4
MIN_WEEKS = 2
LOOK_BACK_WEEKS = 10
# How far ahead a day whose deadline is tomorrow can be (a month-before rule for the
# month after next, a holiday centre's clear days): past that, not looked at.
LOOK_AHEAD_DAYS = 70


@dataclass
class MissingDays:
    child: object
    activity: object
    deadline: object  # naive UTC
    days: list = field(default_factory=list)


def coming_period(activity, calendar, today, zone):
    """{day: deadline} of the days `activity` runs whose reservation deadline falls
    tomorrow (Paris)."""
    tomorrow = today + timedelta(days=1)
    found = {}
    for offset in range(1, LOOK_AHEAD_DAYS + 1):
        day = today + timedelta(days=offset)
        if not calendar.runs(activity, day):
            continue
        limit = activity.deadline_for(day, RESERVE, zone)
        if to_paris(limit).date() == tomorrow:
            found[day] = limit
    return found


def usual_weekdays(history, activity, calendar, today):
    """The ISO weekdays `history` ({day: state}, one child and activity) shows booked
    in most of the last weeks the activity ran that weekday."""
    usual = set()
    for weekday in activity.weekday_numbers:
        # The same weekday in the weeks before today (today itself not yet).
        back = (today.isoweekday() - weekday) % 7 or 7
        day = today - timedelta(days=back)
        seen = booked = 0
        for _ in range(LOOK_BACK_WEEKS):
            if seen == USUAL_WEEKS:
                break
            if calendar.runs(activity, day):
                seen += 1
                booked += history.get(day, NONE) != NONE
            day -= timedelta(weeks=1)
        if seen >= MIN_WEEKS and booked * 2 > seen:
            usual.add(weekday)
    return usual


def missing_days(families, today, zone):
    """{family id: [MissingDays]} for the period whose deadline is tomorrow."""
    children = [child for family in families for child in family.children]
    if not children:
        return {}
    child_ids = [child.id for child in children]
    activities = Activity.ordered()
    first = today - timedelta(weeks=LOOK_BACK_WEEKS)
    last = today + timedelta(days=LOOK_AHEAD_DAYS)
    calendar = PlanningCalendar(zone, first, last)
    periods = {a.id: coming_period(a, calendar, today, zone) for a in activities}
    periods = {key: days for key, days in periods.items() if days}
    if not periods:
        return {}
    years = {school_year_of(today), school_year_of(last)}
    enrolled = set(db.session.execute(select(
        Enrollment.child_id, Enrollment.activity_id, Enrollment.school_year).where(
        Enrollment.child_id.in_(child_ids), Enrollment.activity_id.in_(list(periods)),
        Enrollment.school_year.in_(years | {school_year_of(first)}))).all())
    history = defaultdict(dict)
    rows = db.session.execute(
        select(Booking.child_id, Booking.activity_id, Booking.day, Booking.state).where(
            Booking.child_id.in_(child_ids), Booking.activity_id.in_(list(periods)),
            Booking.day.between(first, last)))
    for child_id, activity_id, day, state in rows:
        history[(child_id, activity_id)][day] = state
    found = defaultdict(list)
    for child in children:
        for activity in activities:
            days = periods.get(activity.id)
            if not days:
                continue
            known = history.get((child.id, activity.id), {})
            usual = usual_weekdays(known, activity, calendar, today)
            missing = [day for day in sorted(days)
                       if day.isoweekday() in usual and known.get(day, NONE) == NONE
                       and (child.id, activity.id, school_year_of(day)) in enrolled]
            if missing:
                found[child.family_id].append(MissingDays(
                    child, activity, min(days[d] for d in missing), missing))
    return dict(found)


def families_of(user_ids):
    """The families of these guardians' accounts, their children loaded."""
    family_ids = select(Guardian.family_id).join(User, User.guardian_id == Guardian.id).where(
        User.id.in_(user_ids))
    return db.session.scalars(
        select(Family).where(Family.id.in_(family_ids)).order_by(Family.id)
        .options(selectinload(Family.children))).all()
