"""Roll call (pointage): who was actually there. What billing counts."""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from models.child_file import authorization_answers, health_record_of
from models.clock import utcnow
from models.db_tools import dialect_name
from models.family import Child
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

    child = relationship("Child")
    activity = relationship("Activity")
    marked_by = relationship("User")

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


@dataclass
class RollCallRow:
    child: Child
    booking: Booking | None
    attendance: Attendance | None

    @property
    def expected(self):
        return self.booking is not None and self.booking.state in EXPECTED_STATES

    @property
    def status(self):
        return self.attendance.status if self.attendance else None

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
    child_ids = set(bookings) | {child_id for child_id, a in marks.items() if a.unreserved}
    children = db.session.scalars(
        select(Child).where(Child.id.in_(child_ids)).options(*child_loading_options())).all()
    rows = [RollCallRow(child, bookings.get(child.id), marks.get(child.id)) for child in children]
    return sorted(rows, key=lambda r: (r.child.school, r.child.class_name, r.child.last_name,
                                       r.child.first_name))


def child_loading_options():
    """What a roll call row shows about a child, loaded for all rows at once."""
    return [selectinload(Child.family), selectinload(Child.health_record),
            selectinload(Child.authorizations), selectinload(Child.authorized_persons)]
