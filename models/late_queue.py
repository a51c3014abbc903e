"""The staff's queue of late lines (models/late.py STAFF): the lines a job submitted to
the service instead of refusing them, accepted or refused here one by one. Accepting
settles the cell as the job would have (a place is counted, a freed place goes to the
first in line); refusing puts the cell back as it was. Both are audited; the family's
email is queued by the caller (jobs/late.py), once per line."""
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from extensions import db
from models.audit import AuditEvent
from models.clock import utcnow
from models.late import SUBMITTED
from models.planning import ABSENCE, FINAL_STATE_FOR, RESERVED, Booking
from models.requests import ACCEPTED, LATE, REFUSED, Request, RequestLine, refusal_now
from models.waiting import lock_activity, promote

ACCEPT = "accept"
REFUSE = "refuse"


def submitted_lines(limit=200, offset=0):
    """Late lines waiting for the staff, the oldest request first."""
    return db.session.scalars(
        select(RequestLine).join(Request).where(RequestLine.outcome == SUBMITTED)
        .order_by(Request.submitted_at, RequestLine.day, RequestLine.id)
        .options(selectinload(RequestLine.request).selectinload(Request.family),
                 selectinload(RequestLine.child), selectinload(RequestLine.activity))
        .limit(limit).offset(offset)).all()


def submitted_count():
    return db.session.scalar(select(func.count()).select_from(RequestLine)
                             .where(RequestLine.outcome == SUBMITTED))


@dataclass
class StaffDecision:
    line: RequestLine | None = None
    promoted: list = field(default_factory=list)  # cells given a place an absence freed
    # Set when the staff's "accept" could not be done: why the line was refused instead
    # (the day is full, closed, the child no longer enrolled).
    refusal: str | None = None


def decide_submitted(line_id, decision, staff_user, note, zone):
    """Accept or refuse one submitted line, in the caller's transaction. Returns a
    StaffDecision, its line None when the line is no longer waiting for the staff (another
    agent decided it)."""
    line = db.session.get(RequestLine, line_id)
    if line is None:
        return StaffDecision()
    activity = lock_activity(line.activity_id)  # places are counted one at a time
    line = db.session.scalars(select(RequestLine).where(RequestLine.id == line_id)
                              .execution_options(populate_existing=True)).one()
    if line.outcome != SUBMITTED or activity is None:
        return StaffDecision()
    booking = db.session.scalars(select(Booking).where(
        Booking.child_id == line.child_id, Booking.activity_id == line.activity_id,
        Booking.day == line.day).with_for_update()
        .execution_options(populate_existing=True)).one_or_none()
    cell_waits = booking is not None and booking.last_line_id == line.id and booking.is_pending
    refusal = None
    if decision == ACCEPT:
        # What would refuse it now, the deadline aside (the staff accept it late).
        refusal = refusal_now(line.child, activity, line.day, line.action, zone, by_staff=True)
        if refusal is None and not cell_waits:
            refusal = LATE  # the cell changed meanwhile (a closure released it)
    accepted = decision == ACCEPT and refusal is None
    now = utcnow()
    line.outcome = ACCEPTED if accepted else REFUSED
    line.reason = None if accepted else (refusal or LATE)
    line.staff_decided_by_id = staff_user.id
    line.staff_note = (note or "").strip() or None
    line.decided_at = now
    promoted = []
    if cell_waits:
        booking.state = FINAL_STATE_FOR[line.action] if accepted else line.from_state
        booking.updated_at = now
        db.session.flush()
        if accepted and line.action == ABSENCE and line.from_state == RESERVED:
            promoted = promote(activity, {line.day})
    AuditEvent.record(staff_user, "late.accepted" if accepted else "late.refused", line,
                      family_id=line.request.family_id, day=line.day.isoformat(),
                      activity_id=activity.id, kind=line.action, note=line.staff_note or "",
                      refusal=refusal or "")
    return StaffDecision(line=line, promoted=promoted, refusal=refusal)
