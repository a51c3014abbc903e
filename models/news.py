"""Actualités: messages from the service shown on the parents' home page.

A news item is written as a draft, then published; it is shown to families from
`publish_on` until `publish_until` (both days included, Europe/Paris dates).
"""
from datetime import date, datetime
from functools import cache

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow

DRAFT = "draft"
SCHEDULED = "scheduled"
ONLINE = "online"
EXPIRED = "expired"


class News(db.Model):
    __tablename__ = "news"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # Markdown, rendered and sanitised when shown.
    body: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    publish_on: Mapped[date] = mapped_column(Date, index=True)
    publish_until: Mapped[date | None] = mapped_column(Date)
    attachment_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_files.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    attachment = relationship("StoredFile")
    author = relationship("User")

    @classmethod
    def _visible_on(cls, day):
        return select(cls).where(
            cls.published.is_(True), cls.publish_on <= day,
            or_(cls.publish_until.is_(None), cls.publish_until >= day))

    @classmethod
    @cache  # built once, with parameters: SQLAlchemy compiles it once (every home page)
    def _visible_page(cls):
        return (cls._visible_on(bindparam("day", type_=Date))
                .order_by(cls.publish_on.desc(), cls.id.desc())
                .limit(bindparam("limit", type_=Integer))
                .offset(bindparam("offset", type_=Integer)))

    @classmethod
    def visible(cls, day, limit, offset=0):
        """What families see on `day`, newest first."""
        return db.session.scalars(cls._visible_page(),
                                  {"day": day, "limit": limit, "offset": offset}).all()

    @classmethod
    def visible_count(cls, day):
        return db.session.scalar(select(func.count()).select_from(
            cls._visible_on(day).subquery()))

    @classmethod
    def get_visible(cls, news_id, day):
        return db.session.scalar(cls._visible_on(day).where(cls.id == news_id))

    @classmethod
    def latest(cls, limit, offset=0):
        """Every item, for the staff, most recent publication date first."""
        return db.session.scalars(select(cls).order_by(cls.publish_on.desc(), cls.id.desc())
                                  .limit(limit).offset(offset)).all()

    def status_on(self, day):
        if not self.published:
            return DRAFT
        if self.publish_on > day:
            return SCHEDULED
        if self.publish_until is not None and self.publish_until < day:
            return EXPIRED
        return ONLINE

    def touch(self):
        self.updated_at = utcnow()
