"""Messages the staff write first: to one family, or to every family of a target (a
school, a class, an activity, the families with a booking on a day, all of them).

A broadcast is a row; a job (jobs/broadcasts.py) gives each family of its target a
staff-started thread of Nous contacter, emails the guardians who have an account (the
outbox sends each email once) and marks for the letter batch the families without one.
A family gets one recipient row per broadcast (unique): a job run twice skips it.
"""
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from models.attendance import EXPECTED_STATES
from models.calendar import school_year_of
from models.clock import paris_today, utcnow
from models.db_tools import FamiliesProgress
from models.family import Child, Family, Guardian
from models.planning import Booking, Enrollment
from models.user import User

FAMILY, SCHOOL, CLASS, ACTIVITY, DAY, ALL = "family", "school", "class", "activity", "day", "all"
TARGETS = (FAMILY, SCHOOL, CLASS, ACTIVITY, DAY, ALL)
# "École des Tilleuls|CE2": a class is named within its school.
CLASS_SEPARATOR = "|"


class Broadcast(FamiliesProgress, db.Model):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(String(10))
    # The school, "school|class", or "" (family, activity, day, all).
    target_value: Mapped[str] = mapped_column(String(200), default="")
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="SET NULL"))
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL"))
    day: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    families_total: Mapped[int] = mapped_column(Integer, default=0)
    families_done: Mapped[int] = mapped_column(Integer, default=0)
    emails_queued: Mapped[int] = mapped_column(Integer, default=0)
    letters: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    created_by = relationship("User")
    family = relationship("Family")
    activity = relationship("Activity")

    @property
    def school_and_class(self):
        school, _sep, class_name = self.target_value.partition(CLASS_SEPARATOR)
        return school, class_name

    def family_ids(self):
        """The families this message goes to, by id, in a stable order."""
        return target_family_ids(self.target, self.target_value, family_id=self.family_id,
                                 activity_id=self.activity_id, day=self.day)

    @classmethod
    def recent(cls, limit=20):
        return db.session.scalars(select(cls).options(selectinload(cls.activity),
                                                      selectinload(cls.family))
                                  .order_by(cls.created_at.desc(), cls.id.desc())
                                  .limit(limit)).all()

    def letter_families(self):
        """The families of this message that get it on paper, by name, with their
        guardians (the address block names them)."""
        return db.session.scalars(
            select(Family).join(BroadcastRecipient, BroadcastRecipient.family_id == Family.id)
            .where(BroadcastRecipient.broadcast_id == self.id,
                   BroadcastRecipient.by_letter.is_(True))
            .options(selectinload(Family.guardians))
            .order_by(Family.name, Family.id)).all()


class BroadcastRecipient(db.Model):
    __tablename__ = "broadcast_recipients"
    __table_args__ = (UniqueConstraint("broadcast_id", "family_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"),
                                              index=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_threads.id", ondelete="SET NULL"))
    by_letter: Mapped[bool] = mapped_column(Boolean, default=False)


def target_family_ids(target, value="", family_id=None, activity_id=None, day=None,
                      today=None):
    """Who a message to `target` reaches. School and class: the children's file as it is
    now; activity: the children enrolled for the school year of `today`; day: the
    families with a booking kept that day (of one activity, or any)."""
    children = select(Child.family_id)
    if target == FAMILY:
        return [family_id] if family_id and db.session.get(Family, family_id) else []
    if target == ALL:
        query = select(Family.id)
    elif target == SCHOOL:
        query = children.where(Child.school == value)
    elif target == CLASS:
        school, _sep, class_name = value.partition(CLASS_SEPARATOR)
        query = children.where(Child.school == school, Child.class_name == class_name)
    elif target == ACTIVITY:
        year = school_year_of(today or paris_today())
        query = children.join(Enrollment, Enrollment.child_id == Child.id).where(
            Enrollment.activity_id == activity_id, Enrollment.school_year == year)
    elif target == DAY:
        query = children.join(Booking, Booking.child_id == Child.id).where(
            Booking.day == day, Booking.state.in_(EXPECTED_STATES))
        if activity_id:
            query = query.where(Booking.activity_id == activity_id)
    else:
        raise ValueError(target)
    return sorted(set(db.session.scalars(query)))


def schools_and_classes():
    """The schools and the classes ("school|class") named in the children's files."""
    pairs = db.session.execute(select(Child.school, Child.class_name).distinct()
                               .where(Child.school != "")).all()
    schools = sorted({school for school, _c in pairs})
    classes = sorted((school, class_name) for school, class_name in pairs if class_name)
    return schools, classes


def accounts_of(family):
    """The guardians' confirmed accounts: who receives the message by email."""
    users = db.session.scalars(select(User).join(Guardian, User.guardian_id == Guardian.id)
                               .where(Guardian.family_id == family.id)
                               .order_by(User.id)).all()
    return [user for user in users if user.is_confirmed]
