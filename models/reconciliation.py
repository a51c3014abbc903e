"""Reconciliation (rapprochement) of a day's roll call with its reservations, before
invoicing: children reserved but not marked, children present without a reservation,
and the one action the service takes on each."""
from dataclasses import dataclass

from sqlalchemy import select

from extensions import db
from models.attendance import ABSENT, EXCUSED, EXPECTED_STATES, PRESENT, UNEXCUSED, Attendance
from models.audit import AuditEvent
from models.clock import paris_today, utcnow
from models.db_tools import begin_write, insert_ignoring_conflicts
from models.family import Child
from models.planning import NONE, RESERVED, Booking

# What can be done with a reserved child who was not marked...
MARK_PRESENT = "present"        # was there: billed as a reserved day
EXCUSE_ABSENCE = "excuse"       # absent, excused: not billed (unless the rules say so)
BILL_ABSENCE = "bill"           # absent without a valid reason: billed as the rules say
UNMARKED_ACTIONS = (MARK_PRESENT, EXCUSE_ABSENCE, BILL_ABSENCE)
# ... and with a child present without a reservation.
FORGOTTEN = "forgotten"         # the reservation was missing by mistake: the usual price
PENALTY = "penalty"             # billed as a presence without reservation (its pricing)
WRONG_MARK = "wrong_mark"       # a marking mistake: the child was not there
UNRESERVED_ACTIONS = (FORGOTTEN, PENALTY, WRONG_MARK)
ACTIONS = UNMARKED_ACTIONS + UNRESERVED_ACTIONS


@dataclass
class DayReconciliation:
    activity: object
    day: object
    unmarked: list      # children (reserved, no mark)
    unreserved: list    # Attendance rows (present, no reservation, not yet reviewed)
    penalties: list     # Attendance rows confirmed as billed with the penalty pricing

    @property
    def settled(self):
        return not self.unmarked and not self.unreserved


def reconcile(activity, day):
    """What the roll call of an activity on a day leaves to settle."""
    expected = {b.child_id for b in db.session.scalars(
        select(Booking).where(Booking.activity_id == activity.id, Booking.day == day,
                              Booking.state.in_(EXPECTED_STATES)))}
    marks = Attendance.for_day(activity.id, day)
    unmarked_ids = expected - set(marks)
    present = [m for m in marks.values() if m.status == PRESENT and m.child_id not in expected]
    children = {c.id: c for c in db.session.scalars(select(Child).where(
        Child.id.in_(unmarked_ids | {m.child_id for m in present})))}
    present.sort(key=lambda m: _name_key(children[m.child_id]))
    return DayReconciliation(
        activity=activity, day=day,
        unmarked=sorted((children[i] for i in unmarked_ids), key=_name_key),
        unreserved=[m for m in present if m.reviewed_at is None],
        penalties=[m for m in present if m.reviewed_at is not None])


def _name_key(child):
    return (child.last_name.casefold(), child.first_name.casefold(), child.id)


# Why an action was not taken.
NOT_YET = "not_yet"      # the day has not come
SETTLED = "settled"      # the child is no longer on that list (someone settled it)


def settle(child, activity, day, action, by):
    """Take one action on one child of a day's reconciliation. Returns None when done,
    or why not (NOT_YET, SETTLED): each action applies to the list the child is on
    now, never to a child another agent settled meanwhile."""
    if day > paris_today():
        return NOT_YET
    begin_write()
    current = reconcile(activity, day)
    if action in UNMARKED_ACTIONS:
        if child.id not in {c.id for c in current.unmarked}:
            return SETTLED
        status, reason = {MARK_PRESENT: (PRESENT, None), EXCUSE_ABSENCE: (ABSENT, EXCUSED),
                          BILL_ABSENCE: (ABSENT, UNEXCUSED)}[action]
        Attendance.mark(child.id, activity.id, day, status, by, reason=reason)
    else:
        mark = next((m for m in current.unreserved if m.child_id == child.id), None)
        if mark is None:
            return SETTLED
        if action == FORGOTTEN:
            _reserve(child.id, activity.id, day)
        elif action == PENALTY:
            mark.reviewed_at = utcnow()
            mark.reviewed_by_id = by.id
        else:
            Attendance.mark(child.id, activity.id, day, ABSENT, by, reason=EXCUSED)
    AuditEvent.record(by, "attendance.reconciled", child, family_id=child.family_id,
                      activity_id=activity.id, day=day.isoformat(), decision=action)
    db.session.commit()
    return None


def _reserve(child_id, activity_id, day):
    """The reservation the family forgot, set by the service after the day (no request:
    nothing is asked of the rules, the day is past)."""
    insert_ignoring_conflicts(Booking, [{"child_id": child_id, "activity_id": activity_id,
                                         "day": day, "state": NONE, "updated_at": utcnow()}],
                              ["child_id", "activity_id", "day"])
    booking = db.session.scalars(select(Booking).where(
        Booking.child_id == child_id, Booking.activity_id == activity_id, Booking.day == day)
        .with_for_update().execution_options(populate_existing=True)).one()
    booking.state = RESERVED
    booking.updated_at = utcnow()
