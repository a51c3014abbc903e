"""Audit log: who did what to which record, when. Never the sensitive values themselves."""
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow
from models.db_tools import begin_write


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    family_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Field names and context only, e.g. {"fields": ["allergies"]}: no values.
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor = relationship("User")

    @classmethod
    def record(cls, actor, action, target=None, family_id=None, **details):
        event = cls(
            actor_id=actor.id if actor is not None else None,
            action=action,
            target_type=type(target).__name__ if target is not None else "",
            target_id=getattr(target, "id", None),
            family_id=family_id,
            details=details,
        )
        db.session.add(event)
        return event

    @classmethod
    def record_shown(cls, actor, action, targets, **details):
        """Log, from a page that only reads (a GET), that it showed `targets` (health
        data, a family's file): [(target, family_id)]. Committed at once, in a
        transaction of its own that takes the write lock first (begin_write): on SQLite,
        upgrading the page's read transaction to write fails at once ("database is
        locked") when another connection has written since the page began reading."""
        if not targets:
            return
        begin_write()
        for target, family_id in targets:
            cls.record(actor, action, target, family_id=family_id, **details)
        db.session.commit()

    @classmethod
    def purge(cls, before):
        """Delete the rows older than the retention period; returns how many."""
        result = db.session.execute(db.delete(cls).where(cls.at < before))
        return result.rowcount
