"""Nous contacter: a family writes to the service, the staff answer in the same thread.

A thread belongs to the family (every guardian sees it); `awaiting_reply` is what the
staff inbox sorts on: set when the family writes, cleared when the service answers.
"""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from models.clock import utcnow


class ContactThread(db.Model):
    __tablename__ = "contact_threads"
    __table_args__ = (Index("ix_contact_threads_awaiting_reply_last_message_at",
                            "awaiting_reply", "last_message_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"),
                                           index=True)
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    awaiting_reply: Mapped[bool] = mapped_column(Boolean, default=True)
    # The service wrote first (a message to one family or to many): the family's list
    # says "Message du service" rather than "Réponse reçue".
    started_by_staff: Mapped[bool] = mapped_column(Boolean, default=False)

    family = relationship("Family")
    child = relationship("Child")
    messages = relationship("ContactMessage", back_populates="thread",
                            order_by="(ContactMessage.sent_at, ContactMessage.id)",
                            cascade="all, delete-orphan")

    @classmethod
    def start(cls, family, author, subject, text, child=None):
        thread = cls(family=family, child=child, subject=subject.strip())
        db.session.add(thread)
        thread.add_message(author, text)
        return thread

    @classmethod
    def start_from_staff(cls, family, author, subject, text):
        """A thread the service opens; the family can answer it like any other."""
        thread = cls.start(family, author, subject, text)
        thread.started_by_staff = True
        return thread

    def add_message(self, author, text):
        now = utcnow()
        message = ContactMessage(thread=self, author=author, from_staff=author.is_staff,
                                 body=text.strip(), sent_at=now)
        self.last_message_at = now
        self.awaiting_reply = not author.is_staff
        db.session.add(message)
        return message

    def last_family_author(self):
        """Who of the family wrote last: the person waiting for the answer."""
        for message in reversed(self.messages):
            if not message.from_staff and message.author is not None:
                return message.author
        return None

    @classmethod
    def for_family(cls, family_id, limit):
        return db.session.scalars(
            select(cls).where(cls.family_id == family_id).options(selectinload(cls.child))
            .order_by(cls.last_message_at.desc(), cls.id.desc()).limit(limit)).all()

    @classmethod
    def inbox(cls, awaiting_only, limit, offset=0):
        query = select(cls).options(selectinload(cls.family), selectinload(cls.child))
        if awaiting_only:
            query = query.where(cls.awaiting_reply.is_(True)).order_by(cls.last_message_at,
                                                                       cls.id)
        else:
            query = query.order_by(cls.last_message_at.desc(), cls.id.desc())
        return db.session.scalars(query.limit(limit).offset(offset)).all()

    @classmethod
    def count_awaiting(cls):
        return db.session.scalar(select(func.count(cls.id)).where(cls.awaiting_reply.is_(True)))

    @classmethod
    def with_messages(cls, thread_id):
        return db.session.get(cls, thread_id, options=[
            selectinload(cls.messages).selectinload(ContactMessage.author),
            selectinload(cls.family), selectinload(cls.child)])


class ContactMessage(db.Model):
    __tablename__ = "contact_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("contact_threads.id", ondelete="CASCADE"),
                                           index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    thread = relationship("ContactThread", back_populates="messages")
    author = relationship("User")

    @classmethod
    def replies_since(cls, family_id, since):
        """How many answers of the service to this family since a moment: a SELECT, that
        the home page runs with its other counters."""
        return (select(func.count(cls.id)).join(ContactThread)
                .where(ContactThread.family_id == family_id, cls.from_staff.is_(True),
                       cls.sent_at > since))
