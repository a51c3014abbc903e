"""Audit log: who did what to which record, when. Never the sensitive values themselves."""
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, or_, select
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
    def record_view(cls, actor, action, family_ids, **details):
        """Log ONE entry for a page (or a printed list) that showed the data of many
        families at once, e.g. a roll call's allergies: the families concerned go in a
        side table, so the log filtered by family still finds the read. Committed at
        once like record_shown (a GET that writes)."""
        family_ids = sorted({f for f in family_ids if f is not None})
        if not family_ids:
            return None
        begin_write()
        event = cls.record(actor, action, family_id=family_ids[0] if len(family_ids) == 1
                           else None, families=len(family_ids), **details)
        db.session.flush()
        db.session.add_all(AuditEventFamily(event_id=event.id, family_id=family_id)
                           for family_id in family_ids)
        db.session.commit()
        return event

    @classmethod
    def about_family(cls, family_id):
        """A condition: the entries about this family, alone or among others."""
        return or_(cls.family_id == family_id, cls.id.in_(
            select(AuditEventFamily.event_id).where(AuditEventFamily.family_id == family_id)))

    @classmethod
    def purge(cls, before):
        """Delete the rows older than the retention period; returns how many."""
        old = select(cls.id).where(cls.at < before)
        db.session.execute(db.delete(AuditEventFamily).where(AuditEventFamily.event_id.in_(old)))
        result = db.session.execute(db.delete(cls).where(cls.at < before))
        return result.rowcount


def record_health_view(actor, children, where):
    """A page or list showed these children's health data (allergies, diets, PAI): one
    entry for the whole view, saying how many children, never what it says."""
    children = list(children)
    return AuditEvent.record_view(actor, "health.viewed", [c.family_id for c in children],
                                  where=where, children=len(children))


class AuditEventFamily(db.Model):
    """The families one audit entry is about, when it is about several."""
    __tablename__ = "audit_event_families"

    event_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id", ondelete="CASCADE"),
                                          primary_key=True)
    family_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
