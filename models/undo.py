"""Taking a request back (« Annuler ma demande », « Revenir en arrière »).

The rule, in this one place for the cell, Mes demandes and the POST: a tap on a cell can
be taken back for 15 minutes after it was sent, or until its deadline if that comes
first. Taking it back puts the cell back as it was before the tap: a reservation taken
back frees its place (the first in a waiting list gets it), an absence taken back gets
the place back if it is still free.
"""
import math
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from extensions import db
from models.audit import AuditEvent
from models.clock import utcnow
from models.planning import (
    ABSENCE,
    FINAL_STATE_FOR,
    PENDING_STATE_FOR,
    RESERVE,
    RESERVED,
    WAITING,
    Booking,
)
from models.requests import ACCEPTED, CELL, PROCESSED, UNDONE, WAITLISTED, lock_request
from models.waiting import lock_activity, places_left, places_taken, promote

UNDO_WINDOW = timedelta(minutes=15)
UNDOABLE_ACTIONS = (RESERVE, ABSENCE)

# Why a request cannot be taken back (blueprints/common/words.py says each in words).
TOO_LATE = "too_late"          # the 15 minutes, or the deadline, have passed
ALREADY_UNDONE = "already_undone"
NOT_UNDOABLE = "not_undoable"  # a long-period request, an agent's, a refused line…
CHANGED = "changed"            # the cell changed since (another tap, a closure, the staff)
NO_PLACE = "no_place"          # an absence taken back: the place was given meanwhile
NOT_YOURS = "not_yours"        # the other guardian's tap: theirs to take back


def _line(request):
    return request.lines[0] if len(request.lines) == 1 else None


def undo_until(request, zone=None, line=None):
    """Until when `request` can be taken back, or None when it never can (naive UTC).
    `line`: its line when already at hand (a cell's last line: a tap has one)."""
    line = line or _line(request)
    if (line is None or request.kind != CELL or request.by_staff
            or request.undone_at is not None or line.action not in UNDOABLE_ACTIONS
            or line.outcome not in (None, ACCEPTED, WAITLISTED)):
        return None
    deadline = line.activity.deadline_for(line.day, line.action, zone)
    return min(request.submitted_at + UNDO_WINDOW, deadline)


def minutes_left(until, now):
    """« encore N min »: whole minutes left, rounded up (15 right after the tap)."""
    return max(1, math.ceil((until - now).total_seconds() / 60))


def can_undo(request, now=None, zone=None):
    until = undo_until(request, zone)
    return until is not None and (now or utcnow()) <= until


def cell_undo_until(booking, line, now, zone=None):
    """What a cell offers: until when its last tap can be taken back, None when it
    cannot (or the cell changed since). Only to the guardian who tapped (Cell.undo_for)."""
    if line is None or booking is None or booking.state != _state_left_by(line):
        return None
    until = undo_until(line.request, zone, line=line)
    return until if until is not None and now <= until else None


def _state_left_by(line):
    """The cell's state while the line is what last changed it."""
    if line.outcome is None:
        return PENDING_STATE_FOR[line.action]
    if line.outcome == WAITLISTED:
        return WAITING
    return FINAL_STATE_FOR[line.action]


@dataclass
class Undo:
    request: object = None
    booking: object = None
    refusal: str | None = None
    promoted: list = field(default_factory=list)  # given the place a reservation freed

    @property
    def done(self):
        return self.refusal is None


def undo_request(request_id, family_id, user, zone=None):
    """Take the request back for the family (None: no such request of this family).
    Locks the request (the job never decides it meanwhile) and its cell."""
    request = lock_request(request_id)
    if request is None or request.family_id != family_id:
        return None
    now = utcnow()
    if request.undone_at is not None:
        return Undo(request, refusal=ALREADY_UNDONE)
    until = undo_until(request, zone)
    if until is None:
        return Undo(request, refusal=NOT_UNDOABLE)
    if request.user_id != user.id:
        return Undo(request, refusal=NOT_YOURS)
    if now > until:
        return Undo(request, refusal=TOO_LATE)
    line = request.lines[0]
    booking = db.session.scalars(select(Booking).where(
        Booking.child_id == line.child_id, Booking.activity_id == line.activity_id,
        Booking.day == line.day).with_for_update()
        .execution_options(populate_existing=True)).one_or_none()
    if booking is None or booking.last_line_id != line.id or booking.state != _state_left_by(line):
        return Undo(request, booking, refusal=CHANGED)
    activity = lock_activity(line.activity_id)  # places are counted by one writer at a time
    promoted = []
    if line.outcome == ACCEPTED and line.action == ABSENCE and activity.capacity is not None:
        taken = places_taken([activity.id], line.day, line.day)
        if places_left(activity, taken, line.day) == 0:
            return Undo(request, booking, refusal=NO_PLACE)
    booking.state = line.from_state
    booking.waiting_position = None
    booking.updated_at = now
    if line.outcome is None:  # not decided yet: the job leaves it
        line.outcome, line.decided_at = UNDONE, now
        request.status, request.processed_at = PROCESSED, now
    elif line.outcome == ACCEPTED and line.action == RESERVE and line.from_state != RESERVED:
        db.session.flush()
        promoted = promote(activity, [line.day])
    request.undone_at = now
    AuditEvent.record(user, "request.undone", request, family_id=family_id,
                      day=line.day.isoformat(), activity_id=line.activity_id, kind=line.action)
    db.session.flush()
    return Undo(request, booking, promoted=promoted)
