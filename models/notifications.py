"""What a guardian chose to receive besides the emails: a secret calendar feed of the
family's planning, the evening-before reminder of a deadline, and Web Push on their
devices. Email stays the default; everything here is opt-in.

The feed's secret is a capability URL: only a SHA-256 of its token is stored (as for
sessions, models/user.py), so a database dump does not give the feeds; a new token
replaces the previous one, and a revoked one finds nothing (404).
"""
import hashlib
import secrets
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
    delete,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow

FEED_TOKEN_BYTES = 32


def _token_hash(token):
    return hashlib.sha256(("calendar-feed:" + token).encode()).hexdigest()


class CalendarFeed(db.Model):
    """One guardian's secret feed of one family's planning (one per account)."""
    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         unique=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"),
                                           index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user = relationship("User")
    family = relationship("Family")

    @classmethod
    def of(cls, user):
        return db.session.scalar(select(cls).where(cls.user_id == user.id))

    @classmethod
    def issue(cls, user):
        """A new secret for the user's family feed (the previous one stops working);
        returns the token, shown in the URL and never stored."""
        cls.revoke(user)
        token = secrets.token_urlsafe(FEED_TOKEN_BYTES)
        db.session.add(cls(user_id=user.id, family_id=user.family.id,
                           token_hash=_token_hash(token)))
        db.session.flush()
        return token

    @classmethod
    def revoke(cls, user):
        db.session.execute(delete(cls).where(cls.user_id == user.id))

    @classmethod
    def find(cls, token):
        """The feed of this token, None when unknown, revoked, or its account no longer
        belongs to that family (or was switched off)."""
        if not token or len(token) > 100:
            return None
        feed = db.session.scalar(select(cls).where(cls.token_hash == _token_hash(token)))
        if feed is None or not feed.user.is_active:
            return None
        family = feed.user.family
        if family is None or family.id != feed.family_id:
            return None
        return feed


class NotificationSetting(db.Model):
    """A guardian's choices: the deadline reminder by email (off by default)."""
    __tablename__ = "notification_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         unique=True)
    deadline_reminders: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default="0")

    @classmethod
    def of(cls, user):
        return db.session.scalar(select(cls).where(cls.user_id == user.id))

    @classmethod
    def wants_reminders(cls, user):
        row = cls.of(user)
        return bool(row and row.deadline_reminders)

    @classmethod
    def set_reminders(cls, user, wanted):
        row = cls.of(user)
        if row is None:
            row = cls(user_id=user.id)
            db.session.add(row)
        row.deadline_reminders = bool(wanted)

    @classmethod
    def reminded_user_ids(cls):
        return set(db.session.scalars(select(cls.user_id).where(
            cls.deadline_reminders.is_(True))))


class PushSubscription(db.Model):
    """A device (browser) a guardian subscribed for Web Push: the push service's
    endpoint and the keys its messages are encrypted with (RFC 8291)."""
    __tablename__ = "push_subscriptions"
    __table_args__ = (UniqueConstraint("endpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    endpoint: Mapped[str] = mapped_column(String(1000))
    p256dh: Mapped[str] = mapped_column(String(200))
    auth_secret: Mapped[str] = mapped_column(String(100))
    # What the guardian called it (the browser's name), to recognise it in the list.
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def info(self):
        """What pywebpush takes."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh,
                                                     "auth": self.auth_secret}}

    @classmethod
    def of(cls, user):
        return db.session.scalars(select(cls).where(cls.user_id == user.id)
                                  .order_by(cls.id)).all()

    @classmethod
    def save(cls, user, endpoint, p256dh, auth, label=""):
        """Subscribe this device (the same endpoint again, maybe for another account of
        the same browser, is moved to this one)."""
        row = db.session.scalar(select(cls).where(cls.endpoint == endpoint))
        if row is None:
            row = cls(endpoint=endpoint)
            db.session.add(row)
        row.user_id, row.p256dh, row.auth_secret = user.id, p256dh, auth
        row.label = (label or "")[:120]
        db.session.flush()
        return row

    @classmethod
    def user_ids_with_devices(cls, user_ids):
        if not user_ids:
            return set()
        return set(db.session.scalars(select(cls.user_id).distinct().where(
            cls.user_id.in_(user_ids))))


class PushNotice(db.Model):
    """A push message to one guardian's devices, a row first (as the email outbox), sent
    by a job; `dedupe_key` keeps the same message from being stored twice."""
    __tablename__ = "push_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(300), default="/")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(String(500), default="", server_default="")

    @classmethod
    def exists(cls, dedupe_key):
        return db.session.scalar(select(cls.id).where(cls.dedupe_key == dedupe_key)) is not None

    @classmethod
    def unsent_ids(cls, older_than, max_attempts):
        return db.session.scalars(select(cls.id).where(
            cls.sent_at.is_(None), cls.created_at < older_than,
            cls.attempts < max_attempts).order_by(cls.id).limit(500)).all()


class DeadlineReminder(db.Model):
    """The evening-before check of a day's deadlines for one guardian, done once (and the
    reminder emailed if some usual day was missing)."""
    __tablename__ = "deadline_reminders"
    __table_args__ = (UniqueConstraint("user_id", "deadline_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The day (Paris) the deadlines fall on: one email for all of that day's deadlines.
    deadline_day: Mapped[date] = mapped_column(Date)
    checked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    emailed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
