"""Roll call (pointage): who was actually there. What billing counts."""
import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from models.calendar import FIRST_DAY
from models.child_file import authorization_answers, health_record_of
from models.clock import paris_today, utcnow
from models.db_tools import begin_write, dialect_name
from models.family import Child
from models.planning import ABSENT as CANCELLED
from models.planning import PENDING_ABSENCE, RESERVED, Booking

PRESENT = "present"
ABSENT = "absent"
STATUSES = (PRESENT, ABSENT)
# Why a child expected at an activity was not there.
ILL = "ill"
EXCUSED = "excused"
UNEXCUSED = "unexcused"
ABSENCE_REASONS = (ILL, EXCUSED, UNEXCUSED)
# The cells that say a child is expected: reserved, or reserved with an absence asked
# but not decided yet.
EXPECTED_STATES = (RESERVED, PENDING_ABSENCE)


class Attendance(db.Model):
    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("child_id", "activity_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10))
    absence_reason: Mapped[str | None] = mapped_column(String(12))
    # A medical certificate was handed in for this absence (billing does not count it).
    certificate: Mapped[bool] = mapped_column(Boolean, default=False)
    # Present without a reservation: added on the day by the agent.
    unreserved: Mapped[bool] = mapped_column(Boolean, default=False)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Present without a reservation, and the service confirmed it is billed so (see
    # models/reconciliation.py): off the list of what is left to reconcile.
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    child = relationship("Child")
    activity = relationship("Activity")
    marked_by = relationship("User", foreign_keys=[marked_by_id])

    @classmethod
    def mark(cls, child_id, activity_id, day, status, by, reason=None, unreserved=None):
        """Record one mark with a single upsert: agents marking the same list at once
        never overwrite each other's other rows, and the last mark of a row wins."""
        values = {"child_id": child_id, "activity_id": activity_id, "day": day,
                  "status": status, "marked_by_id": by.id, "marked_at": utcnow(),
                  "absence_reason": (reason or UNEXCUSED) if status == ABSENT else None}
        changes = {k: values[k] for k in ("status", "absence_reason", "marked_by_id",
                                          "marked_at")}
        if unreserved is not None:
            values["unreserved"] = changes["unreserved"] = unreserved
        if dialect_name() == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = insert(cls.__table__).values(**values).on_conflict_do_update(
            index_elements=["child_id", "activity_id", "day"], set_=changes)
        db.session.execute(statement)
        db.session.expire_all()  # the upsert bypassed the objects already loaded

    @classmethod
    def for_day(cls, activity_id, day):
        return {a.child_id: a for a in db.session.scalars(
            select(cls).where(cls.activity_id == activity_id, cls.day == day))}


# The state a roll-call row shows, sent back with a tap: "none", "present", "absent:ill"…
UNMARKED = "none"
SHOWN_STATES = (UNMARKED, PRESENT, *(f"{ABSENT}:{reason}" for reason in ABSENCE_REASONS))
# Why a tap was refused.
FUTURE = "future"
OUT_OF_RANGE = "out_of_range"


def shown_state(attendance):
    """What a row shows of a mark, in the words a tap sends back."""
    if attendance is None:
        return UNMARKED
    if attendance.status == ABSENT:
        return f"{ABSENT}:{attendance.absence_reason or UNEXCUSED}"
    return attendance.status


@dataclass
class Tap:
    """What became of an agent's tap on a roll-call row."""
    attendance: Attendance | None = None
    changed: bool = False       # another agent marked it since it was shown: nothing done
    refusal: str | None = None  # FUTURE, OUT_OF_RANGE: nothing done


def tap(child_id, activity_id, day, status, by, shown, reason=None, unreserved=None):
    """An agent's tap on a roll-call row, judged on the state the row showed.

    A day to come cannot be marked (nobody is there yet). Absent without a reason keeps
    the reason an absence already has (tapping « Absent » again on an illness must not
    make it unexcused, which is billed); only a reason button changes it. When the mark
    changed since the row was shown (a second agent), nothing is written and the caller
    shows the mark as it now is.
    """
    if day > paris_today():
        return Tap(refusal=FUTURE)
    if day < FIRST_DAY:
        return Tap(refusal=OUT_OF_RANGE)
    _lock_child_marks(child_id)
    current = _current_mark(child_id, activity_id, day)
    if shown_state(current) != shown:
        db.session.commit()
        return Tap(attendance=current, changed=True)
    if status == ABSENT and reason is None and current is not None and current.status == ABSENT:
        reason = current.absence_reason
    Attendance.mark(child_id, activity_id, day, status, by, reason=reason, unreserved=unreserved)
    db.session.commit()
    return Tap(attendance=_current_mark(child_id, activity_id, day))


def _lock_child_marks(child_id):
    """Serialize the taps on one child: SQLite's write lock, PostgreSQL's row lock on
    the child (the mark row may not exist yet, so it cannot be the one locked)."""
    begin_write()
    db.session.scalar(select(Child.id).where(Child.id == child_id).with_for_update())


def _current_mark(child_id, activity_id, day):
    return db.session.scalar(
        select(Attendance).where(Attendance.child_id == child_id,
                                 Attendance.activity_id == activity_id, Attendance.day == day)
        .execution_options(populate_existing=True))


def roll_call_version(activity_id, day):
    """A short fingerprint of a roll call's marks and reservations: the polling list
    asks with the one it shows and gets nothing back while it is unchanged."""
    marks = db.session.execute(
        select(func.count(Attendance.id), func.max(Attendance.marked_at))
        .where(Attendance.activity_id == activity_id, Attendance.day == day)).one()
    cells = db.session.execute(
        select(func.count(Booking.id), func.max(Booking.updated_at))
        .where(Booking.activity_id == activity_id, Booking.day == day)).one()
    stamp = "|".join(str(part) for part in (*marks, *cells))
    return hashlib.sha256(stamp.encode()).hexdigest()[:16]


@dataclass
class RollCallRow:
    child: Child
    booking: Booking | None
    attendance: Attendance | None
    # Declared ill by the family (models/illness.py): its cell released, marked ill.
    declared_ill: bool = False

    @property
    def expected(self):
        return self.booking is not None and self.booking.state in EXPECTED_STATES

    @property
    def status(self):
        return self.attendance.status if self.attendance else None

    @property
    def shown(self):
        return shown_state(self.attendance)

    # What the agent must see at a glance, from the family file.
    @property
    def health(self):
        return health_record_of(self.child)

    @property
    def may_leave_alone(self):
        return authorization_answers(self.child).get("leave_alone", False)

    @property
    def pick_up(self):
        return [p for p in self.child.authorized_persons if p.may_pick_up]


def roll_call(activity, day):
    """The children expected at an activity on a day, and those added on the spot,
    with their marks; sorted by school, class and name."""
    bookings = {b.child_id: b for b in db.session.scalars(
        select(Booking).where(Booking.activity_id == activity.id, Booking.day == day,
                              Booking.state.in_(EXPECTED_STATES)))}
    marks = Attendance.for_day(activity.id, day)
    ill = _declared_ill(activity, day, [child_id for child_id, a in marks.items()
                                        if a.status == ABSENT and a.absence_reason == ILL
                                        and child_id not in bookings])
    child_ids = set(bookings) | ill | {child_id for child_id, a in marks.items()
                                       if a.unreserved}
    children = db.session.scalars(
        select(Child).where(Child.id.in_(child_ids)).options(*child_loading_options())).all()
    rows = [RollCallRow(child, bookings.get(child.id), marks.get(child.id), child.id in ill)
            for child in children]
    return sorted(rows, key=lambda r: (r.child.school, r.child.class_name, r.child.last_name,
                                       r.child.first_name))


def _declared_ill(activity, day, child_ids):
    """Of these children marked ill, those whose cell was released: an illness declared
    by the family (models/illness.py releases the cell and marks it so)."""
    if not child_ids:
        return set()
    return set(db.session.scalars(select(Booking.child_id).where(
        Booking.activity_id == activity.id, Booking.day == day,
        Booking.child_id.in_(child_ids), Booking.state == CANCELLED)))


def child_loading_options():
    """What a roll call row shows about a child, loaded for all rows at once."""
    return [selectinload(Child.family), selectinload(Child.health_record),
            selectinload(Child.authorizations), selectinload(Child.authorized_persons)]
