"""Requests (demandes): what a parent asked, one line per child x activity x day.

A request is saved with its lines and its planning cells set pending in one
transaction; a job then decides every line with `Request.decide`, the single place where
the rules of the internal regulations accept or refuse a line.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    String,
    UniqueConstraint,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from models.attendance import ABSENT, ILL, Attendance
from models.audit import AuditEvent
from models.calendar import school_year_of
from models.clock import utcnow
from models.db_tools import as_loaded, begin_write, dialect_name
from models.email_batches import batch_for
from models.family import Child, Family
from models.holiday_centres import (
    WINDOW_CLOSED,
    WINDOW_NOT_OPEN,
    Windows,
    unit_days,
    unit_key,
    week_span,
)
from models.late import REFUSE as LATE_REFUSED
from models.late import STAFF, SUBMITTED, late_rule
from models.late import SURCHARGE as LATE_SURCHARGE
from models.planning import (
    ABSENCE,
    ACTION_FOR_STATE,
    CLOSED,
    FINAL_STATE_FOR,
    LEAVE,
    NONE,
    NOT_ON_THAT_WEEKDAY,
    PENDING_STATE_FOR,
    PUBLIC_HOLIDAY,
    RESERVE,
    RESERVED,
    SCHOOL_DAY,
    SCHOOL_HOLIDAY,
    WAITING,
    Activity,
    Booking,
    Enrollment,
    PlanningCalendar,
    _town_zone,
    is_enrolled,
)
from models.waiting import next_positions, places_taken, promote, waiting_ranks

RECEIVED = "received"
PROCESSED = "processed"
ACCEPTED = "accepted"
REFUSED = "refused"
WAITLISTED = "waiting"  # a reservation on a full day, put on its waiting list
UNDONE = "undone"  # taken back by the family before it was decided (models/undo.py)
# Refusal reasons besides those of PlanningCalendar.why_not_running.
LATE = "late"
NOT_ENROLLED = "not_enrolled"
FULL = "full"
TOO_EARLY = "too_early"  # beyond the booking horizon: the day is not open yet
# Outside the booking window of its holiday period (models/holiday_centres.py).
OUTSIDE_WINDOW = (WINDOW_NOT_OPEN, WINDOW_CLOSED)
# A day of a whole-week unit that does not run is left out of the unit; any other
# refusal of one of its days refuses the whole week.
NOT_RUNNING = (NOT_ON_THAT_WEEKDAY, PUBLIC_HOLIDAY, SCHOOL_HOLIDAY, SCHOOL_DAY, CLOSED)

CELL = "cell"      # a tap on one planning cell
PERIOD = "period"  # the long-period form

# Days a request can be about. The calendar's rules (deadlines counted back in working
# days, public and school holidays) are meaningful around now only, and a day such as
# 0001-01-01 would overflow their date arithmetic.
class Request(db.Model):
    __tablename__ = "requests"
    __table_args__ = (UniqueConstraint("family_id", "client_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"),
                                           index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10), default=CELL)
    action: Mapped[str] = mapped_column(String(10))
    # The deadline is judged on this time, never on when the job runs.
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default=RECEIVED, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Sent with the long-period form: the same form sent twice makes one request.
    client_token: Mapped[str | None] = mapped_column(String(64))
    # An agent acting for the family in an emergency: the deadline does not apply, and
    # why is mandatory.
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    staff_reason: Mapped[str | None] = mapped_column(String(500))
    # The taps sharing their emails (models/email_batches.py); None before grouping.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("email_batches.id",
                                                            ondelete="SET NULL"), index=True)
    # Taken back by the family (models/undo.py).
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)

    family = relationship("Family")
    batch = relationship("EmailBatch", back_populates="requests")
    user = relationship("User", foreign_keys=[user_id])
    staff_user = relationship("User", foreign_keys=[staff_user_id])
    lines = relationship("RequestLine", back_populates="request", cascade="all, delete-orphan",
                         order_by="(RequestLine.child_id, RequestLine.activity_id, "
                                  "RequestLine.day)")

    @property
    def is_processed(self):
        return self.status == PROCESSED

    @property
    def by_staff(self):
        return self.staff_user_id is not None

    def recipients(self):
        """Who gets the two emails: the guardian who asked, or, when an agent acted for
        the family, every guardian with a confirmed account."""
        if self.user is not None:
            return [self.user]
        return [g.user for g in self.family.guardians if g.user and g.user.is_confirmed]

    @classmethod
    def for_family(cls, family_id, limit, offset=0):
        return db.session.scalars(
            select(cls).where(cls.family_id == family_id)
            .options(selectinload(cls.lines).selectinload(RequestLine.child),
                     selectinload(cls.lines).selectinload(RequestLine.activity))
            .order_by(cls.submitted_at.desc(), cls.id.desc()).limit(limit).offset(offset)
        ).all()

    @classmethod
    def waiting_ids(cls, submitted_before):
        return db.session.scalars(select(cls.id).where(
            cls.status == RECEIVED, cls.submitted_at < submitted_before).order_by(cls.id)).all()

    def decide(self, zone):
        """Accept or refuse every undecided line and settle its planning cell."""
        lines = [line for line in self.lines if line.outcome is None]
        # Cells given a freed place from a waiting list: the job tells their families.
        self.promoted = _decide_lines(self, lines, zone) if lines else []
        self.status = PROCESSED
        self.processed_at = utcnow()

    def rank_waiting_lines(self):
        """Give each line put on a waiting list its rank in line now, for the decision
        email to say it (« en liste d'attente, rang 2 »). Two queries, for those lines."""
        waiting = [line for line in self.lines if line.outcome == WAITLISTED]
        if not waiting:
            return
        days = [line.day for line in waiting]
        cells = {(b.child_id, b.activity_id, b.day): b.id for b in db.session.execute(
            select(Booking.id, Booking.child_id, Booking.activity_id, Booking.day).where(
                Booking.child_id.in_({line.child_id for line in waiting}),
                Booking.activity_id.in_({line.activity_id for line in waiting}),
                Booking.day.between(min(days), max(days)), Booking.state == WAITING))}
        ranks = waiting_ranks({(line.activity_id, line.day) for line in waiting})
        for line in waiting:
            line.rank = ranks.get(cells.get((line.child_id, line.activity_id, line.day)))

    def line_groups(self):
        """Lines grouped by child and activity, in the order a person reads them."""
        groups = {}
        for line in self.lines:
            groups.setdefault((line.child, line.activity), []).append(line)
        return [LineGroup(child, activity, sorted(lines, key=lambda line: line.day))
                for (child, activity), lines in groups.items()]


# Up to this many days, a group lists each day; beyond, it says how many (a school year
# is about 140 days per activity: nobody reads that list in an email).
DAYS_LISTED = 5


@dataclass
class LineGroup:
    child: object
    activity: object
    lines: list

    @property
    def accepted(self):
        return [line for line in self.lines if line.outcome == ACCEPTED]

    @property
    def refused(self):
        return [line for line in self.lines if line.outcome == REFUSED]

    @property
    def waiting(self):
        return [line for line in self.lines if line.outcome == WAITLISTED]

    @property
    def undecided(self):
        return [line for line in self.lines if line.outcome is None]

    @property
    def submitted(self):
        """Late lines waiting for the staff's decision."""
        return [line for line in self.lines if line.outcome == SUBMITTED]

    @property
    def late_accepted(self):
        """Accepted after the deadline (with a surcharge, or by the staff)."""
        return [line for line in self.lines if line.outcome == ACCEPTED and line.late_rule]

    @property
    def listed(self):
        """Few enough lines to list them one by one."""
        return len(self.lines) <= DAYS_LISTED

    @property
    def first_day(self):
        return self.lines[0].day

    @property
    def last_day(self):
        return self.lines[-1].day


class RequestLine(db.Model):
    __tablename__ = "request_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"),
                                            index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(10))
    from_state: Mapped[str] = mapped_column(String(24), default=NONE)
    outcome: Mapped[str | None] = mapped_column(String(10), index=True)
    reason: Mapped[str | None] = mapped_column(String(20))
    # For a late line: the deadline that was missed, to say it in the refusal; for a line
    # asked before its day opened (booking horizon): when it opens.
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The late rule that applied (models/late.py): accepted with a surcharge, or
    # submitted to the staff (then their decision, by whom, with their note).
    late_rule: Mapped[str | None] = mapped_column(String(10))
    staff_decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    staff_note: Mapped[str | None] = mapped_column(String(500))

    request = relationship("Request", back_populates="lines")
    child = relationship("Child")
    activity = relationship("Activity")
    # A waiting line's rank, when Request.rank_waiting_lines said it (not stored).
    rank = None

    @property
    def accepted(self):
        return self.outcome == ACCEPTED

    @property
    def refused(self):
        return self.outcome == REFUSED

    @property
    def submitted(self):
        return self.outcome == SUBMITTED

    @classmethod
    def search(cls, limit, offset, first_day=None, last_day=None, activity_id=None,
               child_name="", family_name="", outcome=""):
        """Request lines for the staff list, newest request first; `outcome` is accepted,
        refused or "pending" (not decided yet)."""
        query = (select(cls).join(Request).join(Child, Child.id == cls.child_id)
                 .join(Family, Family.id == Request.family_id)
                 .order_by(Request.submitted_at.desc(), cls.day)
                 .options(selectinload(cls.request).selectinload(Request.family),
                          selectinload(cls.request).selectinload(Request.staff_user),
                          selectinload(cls.child), selectinload(cls.activity)))
        if first_day:
            query = query.where(cls.day >= first_day)
        if last_day:
            query = query.where(cls.day <= last_day)
        if activity_id:
            query = query.where(cls.activity_id == activity_id)
        if child_name:
            pattern = f"%{child_name}%"
            query = query.where(Child.first_name.ilike(pattern) | Child.last_name.ilike(pattern))
        if family_name:
            query = query.where(Family.name.ilike(f"%{family_name}%"))
        if outcome in (ACCEPTED, REFUSED):
            query = query.where(cls.outcome == outcome)
        elif outcome == "pending":
            query = query.where(cls.outcome.is_(None))
        return db.session.scalars(query.limit(limit).offset(offset)).all()


def _locked_cell(child, activity, day):
    """The planning cell, created if needed and locked until the transaction ends, in one
    statement: an upsert returning the row, new or not (its DO UPDATE locks the row on
    PostgreSQL as SELECT ... FOR UPDATE would; SQLite's write lock is already held)."""
    begin_write()
    return as_loaded(Booking, db.session.execute(_cell_upsert(), {
        "child_id": child.id, "activity_id": activity.id, "day": day, "updated_at": utcnow(),
    }).one()._mapping)


_CELL_UPSERTS = {}


def _cell_upsert():
    """The upsert of _locked_cell, built once per dialect (every tap sends it)."""
    name = dialect_name()
    if name not in _CELL_UPSERTS:
        insert_for = postgresql.insert if name == "postgresql" else sqlite.insert
        table = Booking.__table__
        statement = insert_for(table).values(
            child_id=bindparam("child_id"), activity_id=bindparam("activity_id"),
            day=bindparam("day"), state=NONE, updated_at=bindparam("updated_at"))
        _CELL_UPSERTS[name] = statement.on_conflict_do_update(
            index_elements=["child_id", "activity_id", "day"],
            set_={"child_id": statement.excluded.child_id}).returning(*table.c)
    return _CELL_UPSERTS[name]


# A tap's request, its lines and its pending cells, as Core statements (models/db_tools
# .as_loaded): the ids each needs returned by the one before.
_REQUEST_INSERT = insert(Request.__table__).returning(*Request.__table__.c)
_LINES_INSERT = insert(RequestLine.__table__).returning(*RequestLine.__table__.c,
                                                       sort_by_parameter_order=True)
_CELLS_PENDING = (update(Booking.__table__)
                  .where(Booking.__table__.c.id == bindparam("booking_id"))
                  .values(state=bindparam("pending_state"), last_line_id=bindparam("line_id"),
                          updated_at=bindparam("now")))


def _open_request(bookings, family, action, submitted_at=None, **request_fields):
    """Save a request with a line per locked cell (one, or a whole week) and set the
    cells pending: its batch (models/email_batches.py), the request, its lines and the
    cells, a statement each. No unit of work: the objects are built from what the
    statements returned, as a flush would leave them, for the tap's answer
    (models/grid.cell_after_tap) and its jobs."""
    if isinstance(bookings, Booking):
        bookings = [bookings]
    bookings = sorted(bookings, key=lambda b: b.day)
    now = utcnow()
    fields = dict(family_id=family.id, action=action, submitted_at=submitted_at or now,
                  **request_fields)
    batch, opened = batch_for(family.id, fields.get("user_id"), fields.get("staff_user_id"),
                              now)
    request = as_loaded(Request, db.session.execute(
        _REQUEST_INSERT, dict(fields, batch_id=batch.id)).one()._mapping)
    lines = [as_loaded(RequestLine, row._mapping) for row in db.session.execute(_LINES_INSERT, [
        {"request_id": request.id, "child_id": b.child_id, "activity_id": b.activity_id,
         "day": b.day, "action": action, "from_state": b.state} for b in bookings])]
    pending = PENDING_STATE_FOR[action]
    db.session.execute(_CELLS_PENDING, [
        {"booking_id": b.id, "pending_state": pending, "line_id": line.id, "now": now}
        for b, line in zip(bookings, lines, strict=True)])
    for booking, line in zip(bookings, lines, strict=True):
        for name, value in (("state", pending), ("last_line_id", line.id),
                            ("updated_at", now), ("last_line", line)):
            set_committed_value(booking, name, value)
        set_committed_value(line, "request", request)
    set_committed_value(request, "lines", lines)
    set_committed_value(request, "batch", batch)
    request.opened_batch = opened  # not a column: tells the tap to queue its closing job
    return request


def ask_for_cell(family, child, activity, day, user, action, shown_state, zone=None,
                 asked_at=None):
    """A tap on a planning cell: the action its button said (reserve a free or absent
    day, declare an absence on a reserved one), asked on the state the cell showed.
    Saves the request, its line and the pending cell together. For an activity booked by
    whole weeks (models/holiday_centres.py), the request has a line for every running
    day of the week whose cell the same action applies to.

    Returns (booking, request); request is None when the cell is no longer in the state
    the person saw (another guardian or tab, a second tap, an agent): nothing is asked,
    never the opposite of what the button said.

    asked_at: when the tap reached the server (blueprints/common/arrival.py), now by
    default.
    """
    # The deadline is judged on when the tap arrived, not on when another writer let go
    # of the lock: a tap at 9:59:59.9 waiting behind others is not late.
    asked_at = asked_at or utcnow()
    others = []
    if activity.booked_by_week:
        zone = zone if zone is not None else _town_zone()
        if unit_key(activity, day, zone) != day:
            calendar = PlanningCalendar(zone, day - timedelta(days=6), day + timedelta(days=6))
            others = [d for d in unit_days(activity, day, calendar) if d != day]
    booking = _locked_cell(child, activity, day)
    if booking.state != shown_state or ACTION_FOR_STATE.get(booking.state) != action:
        db.session.commit()
        return booking, None
    week = [booking] + [cell for cell in (_locked_cell(child, activity, d) for d in others)
                        if ACTION_FOR_STATE.get(cell.state) == action]
    return booking, _open_request(week, family, action, submitted_at=asked_at,
                                  user_id=user.id, kind=CELL)


@dataclass
class StaffAsk:
    """What became of an agent's emergency action: the request saved, or why not."""
    request: Request | None = None
    refusal: str | None = None  # the job would refuse it (not running, not enrolled, full)
    state: str | None = None    # the cell's state, which the action does not apply to


def ask_as_staff(family, child, activity, day, action, staff_user, reason, zone):
    """An agent acting for a family in an emergency (illness, a late reservation): the
    deadline does not apply; the family gets the usual emails. Nothing is saved when the
    job would refuse it anyway, or when the cell is not in a state this action applies
    to (the action chosen is the one done, or none)."""
    refusal = refusal_now(child, activity, day, action, zone, by_staff=True)
    if refusal is not None:
        return StaffAsk(refusal=refusal)
    booking = _locked_cell(child, activity, day)
    if ACTION_FOR_STATE.get(booking.state) != action:
        db.session.commit()
        return StaffAsk(state=booking.state)
    request = _open_request(booking, family, action, kind=CELL, staff_user_id=staff_user.id,
                            staff_reason=reason)
    if action == ABSENCE:  # the family called in: the child is ill, the roll call says so
        Attendance.mark(child.id, activity.id, day, ABSENT, staff_user, reason=ILL)
    AuditEvent.record(staff_user, "request.emergency", request, family_id=family.id,
                      kind=action, day=day.isoformat(), activity_id=activity.id)
    return StaffAsk(request=request)


def refusal_now(child, activity, day, action, zone, by_staff=False):
    """Why the job would refuse this line if it decided it now, or None: the rules of
    `_refusal`, for a form that says so before saving anything."""
    calendar = PlanningCalendar(zone, day, day)
    enrolled = Enrollment.keys_for([child.id], {school_year_of(day)})
    taken = _places_taken([activity] if activity.capacity is not None else [], day, day)
    line = RequestLine(child_id=child.id, activity_id=activity.id, day=day, action=action)
    return _refusal(line, activity, calendar, enrolled, taken, utcnow(),
                    deadline_applies=not by_staff, windows=None if by_staff else Windows())


def _decide_lines(request, lines, zone):
    """Decide lines in bulk: a few queries whatever their number (a school year of a
    long-period request is about 1,700 lines)."""
    days = [line.day for line in lines]
    activity_ids = sorted({line.activity_id for line in lines})
    child_ids = sorted({line.child_id for line in lines})
    # Locking the activities serialises capacity counting between workers.
    activities = {a.id: a for a in db.session.scalars(
        select(Activity).where(Activity.id.in_(activity_ids)).order_by(Activity.id)
        .with_for_update())}
    # Whole weeks reach their Monday and Sunday: their closures are loaded too.
    calendar = PlanningCalendar(zone, *week_span(min(days), max(days)))
    enrolled = Enrollment.keys_for(child_ids, {school_year_of(day) for day in days})
    bookings = {(b.child_id, b.activity_id, b.day): b for b in db.session.scalars(
        select(Booking).where(Booking.child_id.in_(child_ids),
                              Booking.activity_id.in_(activity_ids),
                              Booking.day.between(min(days), max(days))))}
    taken = _places_taken([a for a in activities.values() if a.capacity is not None],
                          min(days), max(days))
    positions = next_positions([a.id for a in activities.values() if a.waiting_list],
                               min(days), max(days))
    windows = Windows() if not request.by_staff else None
    now = utcnow()
    line_updates, booking_updates, freed = [], [], defaultdict(set)
    for unit in _units(lines, activities, calendar):
        activity = activities[unit[0].activity_id]
        week = unit_days(activity, unit[0].day, calendar) if activity.booked_by_week else []
        first_day = week[0] if week else None
        judged = [_judge(line, activity, calendar, enrolled, taken, request.submitted_at,
                         deadline_applies=not request.by_staff, windows=windows,
                         deadline_day=first_day)
                  for line in unit]
        # A whole week is accepted or refused as one: the first refusal of one of its
        # running days is every day's.
        shared = next((r for r, _late in judged if r and r not in NOT_RUNNING), None)
        for line, (reason, late) in zip(unit, judged, strict=True):
            reason = reason or shared
            late = late if reason is None else None  # the late rule of a line it let through
            outcome = REFUSED if reason else ACCEPTED
            state = line.from_state if reason else FINAL_STATE_FOR[line.action]
            position = None
            if reason == FULL and activity.waiting_list and not activity.booked_by_week:
                outcome, state = WAITLISTED, WAITING
                position = positions[(activity.id, line.day)]
                positions[(activity.id, line.day)] += 1
            elif late == STAFF:  # the staff decide (models/late_queue.py); the cell waits
                outcome, state = SUBMITTED, None
            elif reason is None and line.action == RESERVE:
                taken[(activity.id, line.day)] += 1
            elif reason is None and line.action == ABSENCE and line.from_state == RESERVED:
                freed[activity.id].add(line.day)
            line_updates.append({
                "id": line.id, "outcome": outcome, "reason": reason, "late_rule": late,
                "deadline_at": _moment_missed(activity, line, reason, calendar, windows,
                                              request.submitted_at, first_day, late),
                "decided_at": now})
            booking = bookings.get((line.child_id, line.activity_id, line.day))
            # A cell changed since (a closure released it) is left as it now is.
            if (state is not None and booking is not None and booking.last_line_id == line.id
                    and booking.is_pending):
                booking_updates.append({"id": booking.id, "state": state,
                                        "waiting_position": position, "updated_at": now})
    db.session.execute(update(RequestLine), line_updates)
    if booking_updates:
        db.session.execute(update(Booking), booking_updates)
    # Places freed by accepted absences go to the first in line (the activities are
    # locked above: no other worker counts or gives them meanwhile).
    promoted = [booking for activity_id, freed_days in sorted(freed.items())
                for booking in promote(activities[activity_id], freed_days)]
    promoted_ids = [b.id for b in promoted]
    db.session.expire_all()
    return _with_families(promoted_ids)


def _with_families(booking_ids):
    if not booking_ids:
        return []
    return db.session.scalars(select(Booking).where(Booking.id.in_(booking_ids)).options(
        selectinload(Booking.child).selectinload(Child.family),
        selectinload(Booking.activity)).order_by(Booking.day)).all()


def _units(lines, activities, calendar):
    """The lines in the units they are decided in: a whole week of a holiday period for
    an activity booked by weeks (one child, one activity), else one line each."""
    units = {}
    for line in sorted(lines, key=lambda line: (line.child_id, line.activity_id, line.day)):
        key = unit_key(activities[line.activity_id], line.day, calendar.zone)
        units.setdefault((line.child_id, line.activity_id, key), []).append(line)
    return list(units.values())


def _refusal(line, activity, calendar, enrolled, taken, submitted_at, deadline_applies=True,
             windows=None, deadline_day=None):
    """Why a line is refused, or None when it is accepted."""
    return _judge(line, activity, calendar, enrolled, taken, submitted_at, deadline_applies,
                  windows, deadline_day)[0]


def _judge(line, activity, calendar, enrolled, taken, submitted_at, deadline_applies=True,
           windows=None, deadline_day=None):
    """(why the line is refused or None, the late rule that applies to it or None): a
    late line is refused, accepted with a surcharge or submitted to the staff per the
    activity's policy (models/late.py). `windows`: the booking windows of the holiday
    periods (models/holiday_centres.py); `deadline_day`: the day whose deadline applies
    (the first day of a whole week), else the line's own."""
    if line.action == LEAVE:  # leaving a waiting list: always possible
        return None, None
    not_running = calendar.why_not_running(activity, line.day)
    if not_running:
        return not_running, None
    if not is_enrolled(enrolled, line.child_id, activity.id, line.day):
        return NOT_ENROLLED, None
    if deadline_applies and line.action == RESERVE and windows is not None:
        outside, _moment = windows.refusal(activity, line.day, calendar.zone, submitted_at)
        if outside:
            return outside, None
    late = (late_rule(activity, deadline_day or line.day, line.action, submitted_at,
                      calendar.zone)
            if deadline_applies else None)
    if late == LATE_REFUSED:
        return LATE, late
    if (deadline_applies and line.action == RESERVE
            and not activity.is_open(line.day, submitted_at)):
        return TOO_EARLY, late
    if (line.action == RESERVE and activity.capacity is not None
            and taken[(activity.id, line.day)] >= activity.capacity):
        return FULL, late
    return None, late


def _moment_missed(activity, line, reason, calendar, windows=None, submitted_at=None,
                   deadline_day=None, late=None):
    """What a refusal says: the deadline a late line missed (refused, or accepted or
    submitted per the late policy), when a day asked too early opens, or when its
    holiday period's booking window opens or closed."""
    if reason == LATE or (reason is None and late in (LATE_SURCHARGE, STAFF)):
        return activity.deadline_for(deadline_day or line.day, line.action, calendar.zone)
    if reason == TOO_EARLY:
        return activity.opens_at(line.day)
    if reason in OUTSIDE_WINDOW and windows is not None:
        window = windows.for_day(activity, line.day, calendar.zone)
        return window.moment_for(reason) if window else None
    return None


def _places_taken(activities, first_day, last_day):
    return places_taken([a.id for a in activities], first_day, last_day)


def lock_request(request_id):
    """The request, locked for deciding it (two workers never decide it together)."""
    begin_write()
    return db.session.scalars(select(Request).where(Request.id == request_id)
                              .with_for_update().execution_options(populate_existing=True)
                              ).one_or_none()

