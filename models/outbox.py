"""Outgoing emails are rows first (an outbox), then sent by a job.

A row is claimed before sending and marked sent after, so a job delivered twice by RQ,
or re-enqueued by the sweep, never sends the same message twice.
"""
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.clock import utcnow

# A claim older than this belongs to a worker that died mid-send.
CLAIM_TIMEOUT = timedelta(minutes=5)


class OutboundEmail(db.Model):
    __tablename__ = "outbound_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    # e.g. "request-12-receipt": the same email is never queued twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")

    @classmethod
    def exists(cls, dedupe_key):
        return db.session.scalar(select(cls.id).where(cls.dedupe_key == dedupe_key)) is not None

    def claim(self):
        """Atomically take this email for sending; False if sent or being sent elsewhere."""
        now = utcnow()
        result = db.session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id == self.id, OutboundEmail.sent_at.is_(None))
            .where((OutboundEmail.claimed_at.is_(None))
                   | (OutboundEmail.claimed_at < now - CLAIM_TIMEOUT))
            .values(claimed_at=now, attempts=OutboundEmail.attempts + 1)
        )
        db.session.commit()
        return result.rowcount == 1

    def mark_sent(self):
        self.sent_at = utcnow()
        self.last_error = ""
        db.session.commit()

    def release(self, error):
        """Sending failed: free the claim so a retry can take it, and say why."""
        self.claimed_at = None
        self.last_error = str(error)[:500]
        db.session.commit()

    @classmethod
    def unsent_ids(cls, older_than):
        return db.session.scalars(
            select(cls.id).where(cls.sent_at.is_(None), cls.created_at < older_than)
            .where((cls.claimed_at.is_(None)) | (cls.claimed_at < utcnow() - CLAIM_TIMEOUT))
            .order_by(cls.id)
        ).all()
