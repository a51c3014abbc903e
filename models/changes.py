"""Changes to the family file (modifications en attente).

A parent never changes the file directly: each field they change becomes a pending
ChangeRequest that staff approve (the value is then applied) or reject. Staff edit
the file directly; every change, by anyone, goes to the audit log without its values.

Values are stored as JSON: text, booleans, lists (diets), dates as ISO strings.
"""
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    exists,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from models.audit import AuditEvent
from models.child_file import (
    BUILTIN_AUTHORIZATIONS,
    TOWN_AUTHORIZATION_PREFIX,
    AuthorizedPerson,
    authorization_answers,
    health_record_of,
    set_authorization,
)
from models.clock import utcnow
from models.family import Child, Family
from models.photos import delete_photo

PENDING, APPROVED, REJECTED, WITHDRAWN = "pending", "approved", "rejected", "withdrawn"
UPDATE, CREATE, DELETE = "update", "create", "delete"

TEXT, DATE, BOOL, LIST = "text", "date", "bool", "list"

# What each part of the file holds, and the JSON form of its values.
FIELD_KINDS = {
    "family": {"address_line": TEXT, "postal_code": TEXT, "city": TEXT,
               "bank_holder": TEXT, "iban": TEXT, "bic": TEXT},
    "guardian": {"civility": TEXT, "first_name": TEXT, "last_name": TEXT, "birth_date": DATE,
                 "email": TEXT, "mobile_phone": TEXT, "home_phone": TEXT, "work_phone": TEXT,
                 "profession": TEXT, "employer_phone": TEXT},
    "child": {"first_name": TEXT, "last_name": TEXT, "birth_date": DATE, "sex": TEXT,
              "school": TEXT, "class_name": TEXT},
    "health": {"allergies": TEXT, "diets": LIST, "pai": BOOL, "disability": BOOL,
               "doctor_name": TEXT, "doctor_phone": TEXT, "vaccinations_up_to_date": BOOL,
               "remarks": TEXT},
    "contact": {"full_name": TEXT, "relation": TEXT, "phone": TEXT, "may_pick_up": BOOL,
                "emergency_contact": BOOL},
    "photo": {"photo": TEXT},
    "authorization": {},  # one BOOL per kind, see kind_of()
}

# The parts of the file a form edits at once: (target type, fields).
SECTIONS = {
    "address": ("family", ("address_line", "postal_code", "city")),
    "bank": ("family", ("bank_holder", "iban", "bic")),
    "guardian": ("guardian", tuple(FIELD_KINDS["guardian"])),
    "general": ("child", tuple(FIELD_KINDS["child"])),
    "health": ("health", tuple(FIELD_KINDS["health"])),
    "authorizations": ("authorization", ()),  # the kinds the town asks for today
    "contact": ("contact", tuple(FIELD_KINDS["contact"])),
}

# Parts of a child's file: their changes carry the child's id.
CHILD_PARTS = ("child", "health", "authorization", "photo", "contact")

# Decisions stay on the parent's pages for this long unless dismissed.
DECISIONS_SHOWN_FOR = timedelta(days=30)
QUEUE_LIMIT = 300


def kind_of(target_type, field):
    if target_type == "authorization":
        return BOOL
    return FIELD_KINDS[target_type][field]


def is_known_field(target_type, field):
    if target_type == "authorization":
        return field.startswith(TOWN_AUTHORIZATION_PREFIX) or field in BUILTIN_AUTHORIZATIONS
    return field in FIELD_KINDS.get(target_type, {})


def _to_json(kind, value):
    if kind == DATE:
        return value.isoformat() if value else None
    if kind == LIST:
        return sorted(value or [])
    if kind == TEXT:
        return value or ""
    return value


def from_json(kind, value):
    if kind == DATE:
        return date.fromisoformat(value) if value else None
    return value


def read_value(target_type, target, field):
    """The validated value of a field, in its JSON form."""
    if target_type == "authorization":
        return authorization_answers(target).get(field)
    if target_type == "photo":
        return target.photo_name
    holder = health_record_of(target) if target_type == "health" else target
    return _to_json(kind_of(target_type, field), getattr(holder, field))


def write_value(target_type, target, field, value):
    if target_type == "authorization":
        set_authorization(target, field, bool(value))
    elif target_type == "photo":
        previous = target.photo_name
        target.photo_name = value
        if previous and previous != value:
            delete_photo(previous)
    else:
        holder = health_record_of(target, create=True) if target_type == "health" else target
        setattr(holder, field, from_json(kind_of(target_type, field), value))


def _child_of(target_type, target):
    if target_type in ("child", "health", "authorization", "photo"):
        return target
    if target_type == "contact":
        return target.child
    return None


def _audit_target(target_type, target):
    return _child_of(target_type, target) or target


class ChangeRequest(db.Model):
    __tablename__ = "change_requests"
    __table_args__ = (
        # One pending change per field: a second change replaces the first.
        Index("uq_change_requests_pending_field", "target_type", "target_id", "action", "field",
              unique=True, sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
        Index("ix_change_requests_status_requested_at", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"),
                                           index=True)
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"),
                                                 index=True)
    target_type: Mapped[str] = mapped_column(String(20))
    # None for a creation (a new contact) until it is approved.
    target_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10), default=UPDATE)
    field: Mapped[str] = mapped_column(String(40), default="")
    # Cleared once the change is decided or withdrawn (data minimisation).
    old_value: Mapped[object] = mapped_column(JSON, nullable=True)
    new_value: Mapped[object] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    comment: Mapped[str] = mapped_column(Text, default="")
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The decisions told in one email (models/email_batches.py); None before grouping.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("email_batches.id",
                                                            ondelete="SET NULL"), index=True)

    family = relationship("Family")
    child = relationship("Child")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    batch = relationship("EmailBatch", back_populates="changes")

    @property
    def is_pending(self):
        return self.status == PENDING

    # -- what it is about -------------------------------------------------------------

    def target(self):
        """The record the change is about, found through the loaded family graph."""
        if self.target_type == "family":
            return self.family
        if self.target_type == "guardian":
            return next((g for g in self.family.guardians if g.id == self.target_id), None)
        if self.target_type == "contact":
            if self.child is None:
                return None
            return next((p for p in self.child.authorized_persons if p.id == self.target_id),
                        None)
        return self.child

    def current_value(self):
        target = self.target()
        if target is None or self.action != UPDATE:
            return None
        return read_value(self.target_type, target, self.field)

    # -- a parent asks ----------------------------------------------------------------

    @classmethod
    def _pending(cls, target_type, target_id, action=UPDATE):
        return db.session.scalars(select(cls).where(
            cls.target_type == target_type, cls.target_id == target_id,
            cls.action == action, cls.status == PENDING)).all()

    @classmethod
    def propose(cls, actor, family, target_type, target, values):
        """One pending change per field whose value differs from the validated one.

        A field that already has a pending change gets its new value instead; a field
        set back to its validated value withdraws its pending change. Returns the
        changes created, replaced or withdrawn.
        """
        pending = {c.field: c for c in cls._pending(target_type, target.id)}
        touched = []
        for field, value in values.items():
            current = read_value(target_type, target, field)
            existing = pending.get(field)
            if value == current:
                if existing is not None:
                    existing._close(WITHDRAWN)
                    touched.append(existing)
                continue
            if existing is not None:
                if existing.new_value != value:
                    existing._replace(actor, current, value)
                    touched.append(existing)
                continue
            change = cls(family_id=family.id, child_id=getattr(
                _child_of(target_type, target), "id", None), target_type=target_type,
                target_id=target.id, action=UPDATE, field=field, old_value=current,
                new_value=value, status=PENDING, requested_by_id=actor.id,
                requested_at=utcnow())
            db.session.add(change)
            touched.append(change)
        for action, changes in (("change.requested", [c for c in touched if c.is_pending]),
                                ("change.withdrawn", [c for c in touched if not c.is_pending])):
            if changes:
                AuditEvent.record(actor, action, _audit_target(target_type, target),
                                  family_id=family.id, part=target_type,
                                  fields=sorted(c.field for c in changes))
        return touched

    @classmethod
    def propose_contact(cls, actor, child, values):
        change = cls(family_id=child.family_id, child_id=child.id, target_type="contact",
                     action=CREATE, field="", new_value=values, status=PENDING,
                     requested_by_id=actor.id, requested_at=utcnow())
        db.session.add(change)
        AuditEvent.record(actor, "change.requested", child, family_id=child.family_id,
                          part="contact", operation=CREATE)
        return change

    @classmethod
    def propose_removal(cls, actor, person):
        existing = cls._pending("contact", person.id, action=DELETE)
        if existing:
            return existing[0]
        child = person.child
        change = cls(family_id=child.family_id, child_id=child.id, target_type="contact",
                     target_id=person.id, action=DELETE, field="", status=PENDING,
                     requested_by_id=actor.id, requested_at=utcnow())
        db.session.add(change)
        AuditEvent.record(actor, "change.requested", child, family_id=child.family_id,
                          part="contact", operation=DELETE)
        return change

    def _replace(self, actor, current, value):
        if self.target_type == "photo":
            delete_photo(self.new_value)
        self.old_value = current
        self.new_value = value
        self.requested_by_id = actor.id
        self.requested_at = utcnow()

    def _close(self, status):
        """No longer pending: forget the values (and a photo nobody will use)."""
        if self.target_type == "photo" and status != APPROVED:
            delete_photo(self.new_value)
        self.status = status
        self.old_value = None
        self.new_value = None
        self.decided_at = utcnow()
        if status == WITHDRAWN:  # nothing for the family to be told about
            self.acknowledged_at = self.decided_at

    def withdraw(self, actor):
        self._close(WITHDRAWN)
        AuditEvent.record(actor, "change.withdrawn", self.child or self.family,
                          family_id=self.family_id, part=self.target_type,
                          fields=[self.field] if self.field else [], operation=self.action)

    # -- staff decide -----------------------------------------------------------------

    def _claim(self, status):
        """Atomically move a pending change to status; False if someone decided first."""
        result = db.session.execute(
            update(ChangeRequest).where(ChangeRequest.id == self.id,
                                        ChangeRequest.status == PENDING)
            .values(status=status).execution_options(synchronize_session=False))
        return result.rowcount == 1

    def decide(self, staff, approve, comment=""):
        """Approve (apply the value) or reject; False when it was no longer pending."""
        status = APPROVED if approve else REJECTED
        if not self._claim(status):
            db.session.refresh(self)
            return False
        if approve:
            self._apply()
        self._close(status)
        self.decided_by_id = staff.id
        self.comment = (comment or "").strip()
        AuditEvent.record(staff, f"change.{status}", self.child or self.family,
                          family_id=self.family_id, part=self.target_type,
                          fields=[self.field] if self.field else [], operation=self.action,
                          change_id=self.id)
        return True

    def _apply(self):
        target = self.target()
        if self.action == CREATE:
            person = AuthorizedPerson(**self.new_value)
            self.child.authorized_persons.append(person)
            db.session.flush()
            self.target_id = person.id
        elif self.action == DELETE:
            if target is not None:
                remove_contact(target)
        elif target is not None:
            write_value(self.target_type, target, self.field, self.new_value)

    # -- what pages show ----------------------------------------------------------------

    @classmethod
    def pending_for_family(cls, family_id):
        return db.session.scalars(select(cls).where(
            cls.family_id == family_id, cls.status == PENDING).order_by(cls.requested_at)
        ).all()

    # The counts below are SELECTs, not numbers: the home page runs them all in one
    # statement (as scalar subqueries), a page that needs one runs it alone.

    @classmethod
    def pending_number(cls, family_id):
        return select(func.count(cls.id)).where(cls.family_id == family_id,
                                                cls.status == PENDING)

    @classmethod
    def pending_count(cls, family_id):
        return db.session.scalar(cls.pending_number(family_id))

    @classmethod
    def decided_since(cls, family_id, since):
        """How many decided since a moment (a home counter)."""
        return select(func.count(cls.id)).where(
            cls.family_id == family_id, cls.status.in_((APPROVED, REJECTED)),
            cls.decided_at > since)

    @staticmethod
    def decisions_shown_after():
        return utcnow() - DECISIONS_SHOWN_FOR

    @classmethod
    def _recent_decisions(cls, family_id, shown_after):
        return (cls.family_id == family_id, cls.status.in_((APPROVED, REJECTED)),
                cls.acknowledged_at.is_(None), cls.decided_at > shown_after)

    @classmethod
    def has_recent_decisions(cls, family_id, shown_after):
        """Whether recent_decisions has any (shown_after: decisions_shown_after()), as an
        EXISTS for the home page's one statement."""
        return exists().where(*cls._recent_decisions(family_id, shown_after))

    @classmethod
    def recent_decisions(cls, family_id, limit=10):
        """Decisions the family has not dismissed yet, newest first."""
        return db.session.scalars(select(cls).where(
            *cls._recent_decisions(family_id, cls.decisions_shown_after()))
                                  .options(*cls.display_options())
                                  .order_by(cls.decided_at.desc(), cls.id.desc())
                                  .limit(limit)).all()

    @classmethod
    def acknowledge_decisions(cls, family_id):
        db.session.execute(update(cls).where(
            cls.family_id == family_id, cls.status.in_((APPROVED, REJECTED)),
            cls.acknowledged_at.is_(None)).values(acknowledged_at=utcnow())
            .execution_options(synchronize_session=False))

    @classmethod
    @cache  # built once: loader options cost more to build than the statement itself
    def display_options(cls):
        """Loader options for showing changes as old -> new without a query per row."""
        return (
            selectinload(cls.family).selectinload(Family.guardians),
            selectinload(cls.child).selectinload(Child.health_record),
            selectinload(cls.child).selectinload(Child.authorizations),
            selectinload(cls.child).selectinload(Child.authorized_persons),
            selectinload(cls.requested_by),
        )

    @classmethod
    def queue(cls, family_id=None):
        """Pending changes, oldest first, with what it takes to show old -> new."""
        statement = select(cls).where(cls.status == PENDING).options(
            *cls.display_options()).order_by(cls.requested_at, cls.id).limit(QUEUE_LIMIT)
        if family_id is not None:
            statement = statement.where(cls.family_id == family_id)
        return db.session.scalars(statement).all()

    @classmethod
    def purge_closed(cls, before):
        """Forget decided and withdrawn changes older than the retention period."""
        db.session.execute(db.delete(cls).where(cls.status != PENDING, cls.decided_at < before))



def remove_contact(person):
    """Delete an authorized person and drop the changes still pending about them."""
    for change in ChangeRequest._pending("contact", person.id, action=UPDATE):
        change._close(WITHDRAWN)
    person.child.authorized_persons.remove(person)


def save_edit(actor, family, target_type, target, values):
    """The rule of the family file: a parent's edit waits for staff, a staff edit applies.

    Returns the fields whose value changed (staff) or the pending changes touched (parent).
    """
    if not actor.is_staff:
        return ChangeRequest.propose(actor, family, target_type, target, values)
    changed = [f for f, v in values.items() if read_value(target_type, target, f) != v]
    for field in changed:
        write_value(target_type, target, field, values[field])
    if changed:
        AuditEvent.record(actor, "file.updated", _audit_target(target_type, target),
                          family_id=family.id, part=target_type, fields=sorted(changed))
    return changed


def add_contact(actor, child, values):
    """A new authorized person: proposed by a parent, created at once by staff."""
    if not actor.is_staff:
        return ChangeRequest.propose_contact(actor, child, values)
    person = AuthorizedPerson(**values)
    child.authorized_persons.append(person)
    db.session.flush()
    AuditEvent.record(actor, "file.updated", child, family_id=child.family_id, part="contact",
                      operation=CREATE)
    return person


def delete_contact(actor, person):
    """Removing an authorized person: proposed by a parent, done at once by staff."""
    if not actor.is_staff:
        return ChangeRequest.propose_removal(actor, person)
    child = person.child
    remove_contact(person)
    AuditEvent.record(actor, "file.updated", child, family_id=child.family_id, part="contact",
                      operation=DELETE)
    return None
