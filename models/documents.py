"""Pièces justificatives: files a family sends (attestation CAF, PAI, certificat
médical…), reviewed by the staff, who accept or reject them with a reason."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from models.clock import utcnow

KINDS = ("caf", "registration", "pai", "medical", "other")
RECEIVED = "received"
ACCEPTED = "accepted"
REJECTED = "rejected"
STATUSES = (RECEIVED, ACCEPTED, REJECTED)


class Document(db.Model):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"),
                                           index=True)
    # Empty when the document is about the whole family.
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id", ondelete="RESTRICT"))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default=RECEIVED, index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    rejection_reason: Mapped[str] = mapped_column(String(500), default="")

    family = relationship("Family")
    child = relationship("Child")
    file = relationship("StoredFile")
    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])

    @property
    def is_received(self):
        return self.status == RECEIVED

    @classmethod
    def for_family(cls, family_id, limit):
        return db.session.scalars(
            select(cls).where(cls.family_id == family_id)
            .options(selectinload(cls.child), selectinload(cls.file))
            .order_by(cls.uploaded_at.desc(), cls.id.desc()).limit(limit)).all()

    @classmethod
    def queue(cls, status, limit, offset=0):
        """For the staff: documents waiting first-come first-served; decided ones latest first."""
        query = select(cls).options(selectinload(cls.family), selectinload(cls.child),
                                    selectinload(cls.file))
        if status == RECEIVED:
            query = query.where(cls.status == RECEIVED).order_by(cls.uploaded_at, cls.id)
        else:
            query = query.where(cls.status == status).order_by(cls.reviewed_at.desc(),
                                                                cls.id.desc())
        return db.session.scalars(query.limit(limit).offset(offset)).all()

    @classmethod
    def count_waiting(cls):
        return db.session.scalar(select(func.count(cls.id)).where(cls.status == RECEIVED))

    @classmethod
    def reviewed_since(cls, family_id, since):
        """How many reviewed since a moment: a SELECT, that the home page runs with its
        other counters."""
        return select(func.count(cls.id)).where(cls.family_id == family_id,
                                                cls.reviewed_at > since)

    def review(self, reviewer, accepted, reason=""):
        """Accept or reject a received document. False if someone decided it already
        (two agents on the same document: only the first decision counts)."""
        now = utcnow()
        values = {"status": ACCEPTED if accepted else REJECTED, "reviewed_at": now,
                  "reviewed_by_id": reviewer.id,
                  "rejection_reason": "" if accepted else reason.strip()[:500]}
        result = db.session.execute(
            update(Document).where(Document.id == self.id, Document.status == RECEIVED)
            .values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            return False
        for name, value in values.items():
            setattr(self, name, value)
        return True
