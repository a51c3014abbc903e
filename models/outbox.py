"""Outgoing emails are rows first (an outbox), then sent by a job.

A row is claimed before sending and marked sent after, so a job delivered twice by RQ,
or re-enqueued by the sweep, never sends the same message twice.

An email holding a one-time link (password reset, confirmation…) is stored encrypted
(keyed by SECRET_KEY) and loses its body once sent: a database dump never gives the
links. Other bodies are purged some days after sending (models/retention.py).
"""
import base64
import hashlib
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import DateTime, Integer, String, Text, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.clock import utcnow

# A claim older than this belongs to a worker that died mid-send.
CLAIM_TIMEOUT = timedelta(minutes=5)
# Emails whose body holds a link that logs in or changes an account.
LINK_KINDS = {"confirm_account", "reset_password", "confirm_new_email", "staff_invite",
              "account_exists"}
ENCRYPTED = "fernet:"


def _fernet():
    key = hashlib.sha256(("outbox:" + current_app.config["SECRET_KEY"]).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(kind, text):
    if kind not in LINK_KINDS or not text:
        return text
    return ENCRYPTED + _fernet().encrypt(text.encode()).decode()


def unseal(text):
    if not text.startswith(ENCRYPTED):
        return text
    try:
        return _fernet().decrypt(text[len(ENCRYPTED):].encode()).decode()
    except InvalidToken:  # SECRET_KEY changed: the link would not work anyway
        return ""


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

    @property
    def text(self):
        return unseal(self.body_text)

    @property
    def html(self):
        return unseal(self.body_html)

    def mark_sent(self):
        self.sent_at = utcnow()
        self.last_error = ""
        if self.kind in LINK_KINDS:  # the link was for the recipient only
            self.body_text = self.body_html = ""
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


def purge_bodies(sent_before, unsent_links_before):
    """Empty the bodies of emails sent before `sent_before`; delete the one-time-link
    emails never sent since `unsent_links_before` (their link has expired). Returns the
    two counts."""
    emptied = db.session.execute(
        update(OutboundEmail).where(OutboundEmail.sent_at < sent_before,
                                    (OutboundEmail.body_text != "")
                                    | (OutboundEmail.body_html != ""))
        .values(body_text="", body_html="")).rowcount
    expired = db.session.execute(
        delete(OutboundEmail).where(OutboundEmail.sent_at.is_(None),
                                    OutboundEmail.kind.in_(LINK_KINDS),
                                    OutboundEmail.created_at < unsent_links_before)).rowcount
    return emptied, expired
