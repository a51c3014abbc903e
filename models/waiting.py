"""Places left and waiting lists of activities with a capacity.

A reservation on a full day of an activity with a waiting list is put on it (booking
state WAITING, a position in line); when a place frees (an absence, a raised capacity)
the first in line gets it, by itself or by the staff's hand (`promote_by_hand`). The
activity's row is locked while places are counted and given (`lock_activity`): two
workers never give one place to two families.
"""
from collections import Counter, defaultdict
from functools import cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import selectinload

from extensions import db
from models.clock import utcnow
from models.db_tools import begin_write
from models.family import Child
from models.planning import PENDING_ABSENCE, RESERVED, WAITING, Activity, Booking

# A cell shows the places left from this many down (« plus que 3 places »).
FEW_PLACES = 3


def places_taken(activity_ids, first_day, last_day):
    """Places taken per (activity id, day): reserved cells, and reserved ones whose
    absence is not decided yet. One query."""
    taken = Counter()
    if not activity_ids:
        return taken
    rows = db.session.execute(_places_query(), {
        "activity_ids": list(activity_ids), "first_day": first_day, "last_day": last_day})
    for activity_id, day, count in rows:
        taken[(activity_id, day)] = count
    return taken


@cache
def _places_query():
    # Built once, in Core columns (an ORM select of columns costs a quarter more to
    # run): every tap and week page runs it.
    table = Booking.__table__
    return (select(table.c.activity_id, table.c.day, func.count())
            .where(table.c.activity_id.in_(bindparam("activity_ids", expanding=True)),
                   table.c.day.between(bindparam("first_day"), bindparam("last_day")),
                   table.c.state.in_((RESERVED, PENDING_ABSENCE)))
            .group_by(table.c.activity_id, table.c.day))


def places_left(activity, taken, day):
    """Free places of `activity` on `day` given `taken` (places_taken), None without a
    capacity."""
    if activity.capacity is None:
        return None
    return max(activity.capacity - taken[(activity.id, day)], 0)


def _in_line(query):
    return query.where(Booking.state == WAITING).order_by(
        Booking.waiting_position, Booking.id)


def waiting_ranks(pairs):
    """{booking id: rank in line (1 = next)} for every waiting cell of these (activity
    id, day) pairs. One query."""
    pairs = set(pairs)
    if not pairs:
        return {}
    days = [day for _a, day in pairs]
    rows = db.session.execute(_in_line(
        select(Booking.id, Booking.activity_id, Booking.day)
        .where(Booking.activity_id.in_({a for a, _d in pairs}),
               Booking.day.between(min(days), max(days)))))
    ranks, counts = {}, Counter()
    for booking_id, activity_id, day in rows:
        counts[(activity_id, day)] += 1
        ranks[booking_id] = counts[(activity_id, day)]
    return ranks


def next_positions(activity_ids, first_day, last_day):
    """The position the next cell put in line gets, per (activity id, day)."""
    positions = defaultdict(lambda: 1)
    if not activity_ids:
        return positions
    rows = db.session.execute(
        select(Booking.activity_id, Booking.day, func.max(Booking.waiting_position))
        .where(Booking.activity_id.in_(list(activity_ids)),
               Booking.day.between(first_day, last_day), Booking.state == WAITING)
        .group_by(Booking.activity_id, Booking.day))
    for activity_id, day, highest in rows:
        positions[(activity_id, day)] = (highest or 0) + 1
    return positions


def lock_activity(activity_id):
    """The activity, its row locked until the transaction ends (BEGIN IMMEDIATE on
    SQLite): places are counted and given by one worker at a time."""
    begin_write()
    return db.session.scalars(select(Activity).where(Activity.id == activity_id)
                              .with_for_update().execution_options(populate_existing=True)
                              ).one_or_none()


def promote(activity, days, by_hand=False):
    """Give the free places of `activity` on `days` to the first in line; returns the
    bookings promoted (their child and family loaded, to tell them). The caller holds the
    activity's lock (lock_activity, or the job's). Nothing for an activity promoted by
    hand, unless it is the staff's hand."""
    days = sorted(set(days))
    if (not days or activity.capacity is None or not activity.waiting_list
            or (activity.promote_by_hand and not by_hand)):
        return []
    taken = places_taken([activity.id], days[0], days[-1])
    promoted = []
    now = utcnow()
    for day in days:
        free = activity.capacity - taken[(activity.id, day)]
        if free <= 0:
            continue
        for booking in db.session.scalars(_in_line(select(Booking).where(
                Booking.activity_id == activity.id, Booking.day == day)).limit(free)
                .with_for_update()):
            booking.state = RESERVED
            booking.waiting_position = None
            booking.updated_at = now
            promoted.append(booking)
    db.session.flush()
    return promoted


def promote_one(booking_id):
    """The staff give a freed place to this cell of the line (activity promoted by
    hand). Returns the booking promoted, or None (no free place, no longer waiting)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        return None
    activity = lock_activity(booking.activity_id)
    booking = db.session.scalars(select(Booking).where(Booking.id == booking_id)
                                 .execution_options(populate_existing=True)).one()
    if booking.state != WAITING:
        return None
    if places_left(activity, places_taken([activity.id], booking.day, booking.day),
                   booking.day) == 0:
        return None
    booking.state = RESERVED
    booking.waiting_position = None
    booking.updated_at = utcnow()
    return booking


def waiting_list(activity_id, day):
    """The waiting cells of an activity and day, first in line first."""
    return db.session.scalars(_in_line(select(Booking).where(
        Booking.activity_id == activity_id, Booking.day == day))
        .options(selectinload(Booking.child).selectinload(Child.family))).all()


def all_waiting(first_day):
    """Every waiting cell from `first_day` on, by day, activity and rank, with its child,
    family and activity loaded: the staff's list, in one query per relation."""
    return db.session.scalars(
        select(Booking).where(Booking.state == WAITING, Booking.day >= first_day)
        .order_by(Booking.day, Booking.activity_id, Booking.waiting_position, Booking.id)
        .options(selectinload(Booking.child).selectinload(Child.family),
                 selectinload(Booking.activity))).all()


def move(booking_id, step):
    """Move a waiting cell up (step -1) or down (+1) its line: positions are rewritten
    1..n in the new order."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.state != WAITING:
        return None
    lock_activity(booking.activity_id)
    line = list(db.session.scalars(_in_line(select(Booking).where(
        Booking.activity_id == booking.activity_id, Booking.day == booking.day))))
    index = next(i for i, b in enumerate(line) if b.id == booking_id)
    target = min(max(index + step, 0), len(line) - 1)
    line.insert(target, line.pop(index))
    for position, waiting in enumerate(line, start=1):
        waiting.waiting_position = position
    return booking
