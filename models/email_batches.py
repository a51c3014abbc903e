"""Grouped emails: the taps of one guardian close together share one receipt and one
decision email.

A request joins its author's open batch (same family, same guardian or agent) while the
batch is open, and pushes its closing time to `window` after this tap; otherwise it
opens a new one. Each request is still decided at once, line by line (the cell settles
within seconds): only the emails wait. Once the batch has closed, its receipt is queued,
and its decision email as soon as every request in it is decided; each goes once (the
batch says when it was queued, the outbox's dedupe key makes sure).

A delayed job sends a batch when it closes (RQ's scheduler); the sweep sends any batch
left behind (Redis lost, a worker restarted), so no batch is ever forgotten.
"""
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, has_app_context
from sqlalchemy import DateTime, ForeignKey, String, bindparam, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.clock import utcnow
from models.db_tools import as_loaded

REQUESTS, CHANGES = "requests", "changes"
# Taps this close to the last one share their emails (EMAIL_GROUP_SECONDS).
DEFAULT_WINDOW = timedelta(minutes=2)


def window():
    if not has_app_context():
        return DEFAULT_WINDOW
    return timedelta(seconds=current_app.config.get("EMAIL_GROUP_SECONDS",
                                                    DEFAULT_WINDOW.total_seconds()))


class EmailBatch(db.Model):
    __tablename__ = "email_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    # REQUESTS (taps: receipt and decision) or CHANGES (family-file decisions of one
    # agent in a row: one email to the parent who asked).
    kind: Mapped[str] = mapped_column(String(10), default="requests", server_default="requests")
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"),
                                           index=True)
    # Who tapped: the guardian, or the agent acting for the family; for CHANGES, the
    # parent who asked and the agent who decided.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # `window` after the last tap: requests join until then, the emails go after.
    closes_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    receipt_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_at: Mapped[datetime | None] = mapped_column(DateTime)

    requests = relationship("Request", back_populates="batch",
                            order_by="(Request.submitted_at, Request.id)")
    changes = relationship("ChangeRequest", back_populates="batch",
                           order_by="(ChangeRequest.decided_at, ChangeRequest.id)")

    @property
    def done(self):
        return self.receipt_at is not None and self.decision_at is not None

    def is_closed(self, now):
        return now >= self.closes_at

    @classmethod
    def lock(cls, batch_id):
        return db.session.scalars(select(cls).where(cls.id == batch_id).with_for_update()
                                  .execution_options(populate_existing=True)).one_or_none()

    @classmethod
    def due_ids(cls, closed_before, kind=REQUESTS):
        """Batches closed before `closed_before` whose emails are not all queued."""
        return db.session.scalars(select(cls.id).where(
            cls.kind == kind, cls.closes_at < closed_before,
            (cls.receipt_at.is_(None)) | (cls.decision_at.is_(None))).order_by(cls.id)).all()


def _open_batch(kind, family_id, user_id, staff_user_id, now):
    """The open batch of this kind and author, its closing pushed to `window` from now,
    or a new one; returns (batch, opened). One statement when the batch is open (an
    UPDATE of the newest open one, returning it, locks it as SELECT ... FOR UPDATE did),
    two when it is opened; none is left for a flush."""
    span = window()
    row = None
    if span > timedelta(0):
        row = db.session.execute(_batch_push(user_id is None, staff_user_id is None), {
            "of_kind": kind, "of_family": family_id, "of_user": user_id,
            "of_staff_user": staff_user_id, "now": now, "closing": now + span}).one_or_none()
    opened = row is None
    if opened:
        row = db.session.execute(_BATCH_INSERT, {
            "kind": kind, "family_id": family_id, "user_id": user_id,
            "staff_user_id": staff_user_id, "opened_at": now, "closes_at": now + span}).one()
    return as_loaded(EmailBatch, row._mapping), opened


_BATCH_INSERT = insert(EmailBatch.__table__).returning(*EmailBatch.__table__.c)


@cache
def _batch_push(no_user, no_staff_user):
    """The UPDATE of _open_batch, built once for each way the author is given (a
    statement every tap sends)."""
    table = EmailBatch.__table__
    author = (table.c.kind == bindparam("of_kind"), table.c.family_id == bindparam("of_family"),
              table.c.user_id.is_(None) if no_user else table.c.user_id == bindparam("of_user"),
              table.c.staff_user_id.is_(None) if no_staff_user
              else table.c.staff_user_id == bindparam("of_staff_user"),
              table.c.closes_at > bindparam("now"), table.c.receipt_at.is_(None))
    newest = (select(table.c.id).where(*author).order_by(table.c.id.desc()).limit(1)
              .scalar_subquery())
    # The conditions again: a writer that waited for the row judges it as it now is.
    return (update(table).where(table.c.id == newest, *author)
            .values(closes_at=bindparam("closing")).returning(*table.c))


def join_change_batch(change, now=None):
    """A family-file change just decided joins the deciding agent's open batch for the
    parent who asked (one email for the fields decided in a row); returns (batch,
    opened), or (None, False) when nobody is to be told."""
    if change.requested_by_id is None:
        return None, False
    batch, opened = _open_batch(CHANGES, change.family_id, change.requested_by_id,
                                change.decided_by_id, now or utcnow())
    change.batch = batch
    db.session.flush()
    return batch, opened


def join_batch(request, now=None):
    """Put a request just saved in its author's open batch, or a new one; returns
    (batch, opened): `opened` when the batch is new (its closing job is to be queued).
    Called inside the write transaction that saves the request."""
    batch, opened = _open_batch(REQUESTS, request.family_id, request.user_id,
                                request.staff_user_id, now or utcnow())
    request.batch = batch
    request.opened_batch = opened  # not a column: tells the tap to queue its closing job
    db.session.flush()
    return batch, opened


def batch_for(family_id, user_id, staff_user_id, now):
    """(batch, opened) for a tap's request about to be inserted (models/requests.py), as
    join_batch would give: the request goes in with its batch_id."""
    return _open_batch(REQUESTS, family_id, user_id, staff_user_id, now)
