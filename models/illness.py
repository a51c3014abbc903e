"""Illness declared by the parent (absence pour maladie).

A parent declares a child ill for a range of days, past the cancelling deadline: the day
itself until a time the town sets, and the days after. The absence is accepted at once:
the reserved cells are released (a waiting list may promote), and the cells whose
deadline had passed are marked « absent, malade » on the roll call. A medical certificate
is sent through the documents area (a Document of kind "medical") at once or within N days;
staff accept or refuse it with the usual review.

Billing (models/billing.py `draft_lines`) asks `illness_kinds` what those days are:
certificate accepted: the first N days of the illness (« jours de carence ») are billed,
the following ones follow the rule of certified illness; no certificate accepted: the days
are unexcused absences. The settings live in BillingSettings.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Date, DateTime, ForeignKey, Integer, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from models.attendance import ABSENT, ILL, Attendance
from models.clock import paris_today, to_paris, utcnow
from models.db_tools import begin_write
from models.documents import ACCEPTED, RECEIVED, REJECTED
from models.planning import ABSENCE, RESERVED, Activity, Booking, town_zone_for
from models.planning import ABSENT as CANCELLED
from models.waiting import promote

# The longest range one declaration covers.
MAX_DAYS = 31

# Where a declaration stands (derived from its certificate and the date).
WAITING = "waiting"        # no certificate yet, still in time
SENT = "sent"              # a certificate was sent, staff have not decided
CERTIFIED = "certified"    # the certificate was accepted
LATE = "late"              # no accepted certificate in time: the days are unexcused
STATES = (WAITING, SENT, CERTIFIED, LATE)

# Why a declaration is refused (the form says it in French).
PAST_DAY = "past_day"
TOO_LATE_TODAY = "too_late_today"
ENDS_BEFORE = "ends_before"
TOO_LONG = "too_long"
NOTHING_RESERVED = "nothing_reserved"


class IllnessRefused(ValueError):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class IllnessDeclaration(db.Model):
    __tablename__ = "illness_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"),
                                           index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"),
                                          index=True)
    first_day: Mapped[date] = mapped_column(Date, index=True)
    last_day: Mapped[date] = mapped_column(Date)
    declared_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                  ondelete="SET NULL"))
    # The last day a medical certificate can be sent (included).
    certificate_due_on: Mapped[date] = mapped_column(Date, index=True)
    # The latest certificate sent for it (a Document of kind "medical").
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id",
                                                               ondelete="SET NULL"))
    # How many cells it released, and how many of them past their deadline (the ones
    # billed under the illness rule).
    cells_released: Mapped[int] = mapped_column(Integer, default=0)
    cells_late: Mapped[int] = mapped_column(Integer, default=0)

    child = relationship("Child")
    family = relationship("Family")
    declared_by = relationship("User")
    document = relationship("Document")

    def state_on(self, today):
        document = self.document
        if document is not None and document.status == ACCEPTED:
            return CERTIFIED
        if document is not None and document.status == RECEIVED:
            return SENT
        return WAITING if today <= self.certificate_due_on else LATE

    def days_left(self, today):
        """Days left to send the certificate, today included (0 once it is too late)."""
        return max((self.certificate_due_on - today).days + 1, 0)

    @property
    def certificate_refused(self):
        return self.document is not None and self.document.status == REJECTED

    def covers(self, day):
        return self.first_day <= day <= self.last_day

    @classmethod
    def of_document(cls, document_id):
        """The illness a document is the certificate of, or None."""
        return db.session.scalar(select(cls).where(cls.document_id == document_id))

    @classmethod
    def for_family(cls, family_id, limit=20):
        return db.session.scalars(
            select(cls).where(cls.family_id == family_id)
            .options(selectinload(cls.child), selectinload(cls.document))
            .order_by(cls.first_day.desc(), cls.id.desc()).limit(limit)).all()

    @classmethod
    def awaiting_certificate(cls, today):
        """The declarations still waiting for a certificate (none sent, or the one sent
        refused) and in time, the closest deadline first: the staff's list."""
        from models.documents import Document

        return db.session.scalars(
            select(cls).outerjoin(Document, Document.id == cls.document_id)
            .where(cls.certificate_due_on >= today, cls.cells_late > 0,
                   (cls.document_id.is_(None)) | (Document.status == REJECTED))
            .options(selectinload(cls.child), selectinload(cls.family),
                     selectinload(cls.document))
            .order_by(cls.certificate_due_on, cls.id)).all()

    @classmethod
    def count_awaiting(cls, today=None):
        from models.documents import Document

        today = today or paris_today()
        return db.session.scalar(
            select(func.count(cls.id)).outerjoin(Document, Document.id == cls.document_id)
            .where(cls.certificate_due_on >= today, cls.cells_late > 0,
                   (cls.document_id.is_(None)) | (Document.status == REJECTED))) or 0


def certificate_due_on(declared_on, rules):
    """The last day a certificate can be sent for an illness declared on `declared_on`.
    `rules`: the BillingSettings (models/billing.py), where the town sets them."""
    return declared_on + timedelta(days=rules.illness_certificate_days or 0)


def can_declare_today(now, rules):
    """Whether today can still be declared at `now` (naive UTC): until the set time."""
    return to_paris(now).time() <= rules.illness_declaration_until


def check_range(first_day, last_day, now, rules):
    """Raise IllnessRefused when these days cannot be declared at `now` (naive UTC)."""
    today = to_paris(now).date()
    if first_day < today:
        raise IllnessRefused(PAST_DAY)
    if last_day < first_day:
        raise IllnessRefused(ENDS_BEFORE)
    if (last_day - first_day).days >= MAX_DAYS:
        raise IllnessRefused(TOO_LONG)
    if first_day == today and not can_declare_today(now, rules):
        raise IllnessRefused(TOO_LATE_TODAY)


@dataclass
class Declared:
    declaration: IllnessDeclaration
    released: list      # the cells released (Booking)
    late: list          # those of them past their deadline: billed under the rule
    promoted: list      # cells of other families given the freed places


def declare(child, first_day, last_day, by, rules, now=None):
    """Declare `child` ill from `first_day` to `last_day`, at `now` (naive UTC). Takes the
    write lock, releases the child's reserved cells of those days, marks the late ones
    « absent, malade » and promotes waiting lists. The caller commits (and tells the
    families promoted). IllnessRefused when the days cannot be declared."""
    now = now or utcnow()
    check_range(first_day, last_day, now, rules)
    begin_write()
    cells = db.session.scalars(
        select(Booking).where(Booking.child_id == child.id, Booking.state == RESERVED,
                              Booking.day.between(first_day, last_day))
        .options(selectinload(Booking.activity))
        .order_by(Booking.day, Booking.activity_id)
        .execution_options(populate_existing=True)).all()
    if not cells:
        raise IllnessRefused(NOTHING_RESERVED)
    zone = town_zone_for({c.activity for c in cells})
    late = [c for c in cells if not c.activity.is_in_time(c.day, now, ABSENCE, zone)]
    declaration = IllnessDeclaration(
        family_id=child.family_id, child_id=child.id, first_day=first_day,
        last_day=last_day, declared_at=now, declared_by_id=by.id if by else None,
        certificate_due_on=certificate_due_on(to_paris(now).date(), rules),
        cells_released=len(cells), cells_late=len(late))
    db.session.add(declaration)
    # The activities' rows locked (PostgreSQL; SQLite's write lock is held already):
    # places are counted and given by one transaction at a time.
    activities = {a.id: a for a in db.session.scalars(
        select(Activity).where(Activity.id.in_({c.activity_id for c in cells}))
        .order_by(Activity.id).with_for_update())}
    freed = {}
    for cell in cells:
        cell.state = CANCELLED
        cell.updated_at = now
        freed.setdefault(cell.activity_id, []).append(cell.day)
    db.session.flush()
    for cell in late:
        Attendance.mark(child.id, cell.activity_id, cell.day, ABSENT, by, reason=ILL)
    promoted = []
    for activity_id, days in sorted(freed.items()):
        promoted += promote(activities[activity_id], days)
    return Declared(declaration, cells, late, promoted)


def attach_certificate(declaration, document):
    """A certificate sent for a declaration (in time: the caller checks)."""
    declaration.document = document
    declaration.document_id = document.id


def is_in_time_for_certificate(declaration, today):
    return today <= declaration.certificate_due_on


def set_certified(declaration, certified):
    """The roll-call marks of the declaration's late days carry the certificate or not
    (billing and the corrections read them)."""
    for mark in marks_of([declaration]).get(declaration.id, []):
        mark.certificate = certified


def certificate_reviewed(document):
    """Staff decided on a document: if it is an illness's certificate, the illness is
    certified (accepted) or waits for another one (refused). Returns the declaration."""
    declaration = IllnessDeclaration.of_document(document.id)
    if declaration is not None:
        set_certified(declaration, document.status == ACCEPTED)
    return declaration


def marks_of(declarations):
    """{declaration id: [its « absent, malade » marks]}."""
    if not declarations:
        return {}
    child_ids = {d.child_id for d in declarations}
    first = min(d.first_day for d in declarations)
    last = max(d.last_day for d in declarations)
    marks = db.session.scalars(select(Attendance).where(
        Attendance.child_id.in_(child_ids), Attendance.day.between(first, last),
        Attendance.status == ABSENT, Attendance.absence_reason == ILL)
        .order_by(Attendance.day, Attendance.activity_id)).all()
    found = {}
    for declaration in declarations:
        found[declaration.id] = [m for m in marks if m.child_id == declaration.child_id
                                 and declaration.covers(m.day)]
    return found


def carence_days(days, count):
    """The days billed as « jours de carence »: the first `count` days of the illness on
    which the child was expected."""
    return set(sorted(set(days))[:max(count or 0, 0)])
