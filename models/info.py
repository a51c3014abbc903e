"""What the town publishes for families besides news: the internal rules (a PDF, each
upload a new version; families always get the latest) and pages the staff write in
Markdown, such as Infos diverses."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from models.clock import utcnow

MISC = "misc"  # Infos diverses


class RulesVersion(db.Model):
    __tablename__ = "rules_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id", ondelete="RESTRICT"))
    note: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    file = relationship("StoredFile")
    uploaded_by = relationship("User")

    @classmethod
    def current(cls):
        return db.session.scalar(select(cls).options(selectinload(cls.file))
                                 .order_by(cls.uploaded_at.desc(), cls.id.desc()).limit(1))

    @classmethod
    def history(cls, limit):
        return db.session.scalars(
            select(cls).options(selectinload(cls.file), selectinload(cls.uploaded_by))
            .order_by(cls.uploaded_at.desc(), cls.id.desc()).limit(limit)).all()


class TownPage(db.Model):
    """A page of text the staff edit (Markdown, sanitised when shown)."""
    __tablename__ = "town_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by = relationship("User")

    @classmethod
    def get(cls, key):
        return db.session.scalar(select(cls).where(cls.key == key))

    @classmethod
    def get_or_new(cls, key):
        return cls.get(key) or cls(key=key, body="")

    def edit(self, body, editor):
        self.body = body
        self.updated_at = utcnow()
        self.updated_by_id = editor.id if editor is not None else None
        db.session.add(self)
