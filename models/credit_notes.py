"""Credit notes (avoirs): what the town takes off an invoice already issued, with their own
gapless yearly number series (AV-2026-0001), and the runs that issue corrections.

A credit note never edits the invoice it corrects: it is a document of its own, linked to
it, whose amount is added to the invoice's `credited` (what is left to pay goes down; a
paid invoice gives the surplus back to the family as credit)."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.billing import MONEY, BilledDays, InvoiceCounter
from models.clock import utcnow


class CreditNoteCounter(db.Model):
    """The last credit note number of a year, locked like the invoices' counter."""
    __tablename__ = "credit_note_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)

    lock = classmethod(InvoiceCounter.lock.__func__)
    next_number = InvoiceCounter.next_number


def credit_note_number(year, sequence):
    return f"AV-{year}-{sequence:04d}"


class CreditNote(db.Model):
    __tablename__ = "credit_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    # The invoice it corrects (the month's main invoice).
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    issued_on: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(MONEY)
    family_name: Mapped[str] = mapped_column(String(120))
    family_address: Mapped[str] = mapped_column(String(400), default="")
    # A credit note of the whole invoice: the invoice is cancelled.
    cancels: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why staff cancelled the invoice (cancels only); lines carry their own reason.
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("correction_runs.id",
                                                          ondelete="SET NULL"))

    invoice = relationship("Invoice")
    lines = relationship("CreditNoteLine", back_populates="credit_note",
                         cascade="all, delete-orphan", order_by="CreditNoteLine.position")

    @property
    def month(self):
        return self.invoice.month

    @classmethod
    def for_family(cls, family_id):
        return db.session.scalars(select(cls).where(cls.family_id == family_id)
                                  .order_by(cls.issued_at.desc(), cls.id.desc())).all()

    @classmethod
    def of_invoice(cls, invoice):
        """The credit notes and supplementary invoices beside a main invoice."""
        from models.billing import Invoice

        if invoice.corrects_id is not None:
            return [], []
        supplements = db.session.scalars(select(Invoice).where(
            Invoice.corrects_id == invoice.id).order_by(Invoice.id)).all()
        return cls.for_invoice(invoice.id), supplements

    @classmethod
    def for_invoice(cls, invoice_id):
        return db.session.scalars(select(cls).where(cls.invoice_id == invoice_id)
                                  .order_by(cls.id)).all()


class CreditNoteLine(BilledDays, db.Model):
    """Days taken off, at the price billed."""
    __tablename__ = "credit_note_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(
        ForeignKey("credit_notes.id", ondelete="CASCADE"), index=True)

    credit_note = relationship("CreditNote", back_populates="lines")


class CorrectionRun(db.Model):
    """Billing staff asked to issue the corrections of a month (of one family, or all)."""
    __tablename__ = "correction_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    credit_notes: Mapped[int] = mapped_column(Integer, default=0)
    invoices: Mapped[int] = mapped_column(Integer, default=0)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str] = mapped_column(String(500), default="")

    started_by = relationship("User")

    @property
    def finished(self):
        return self.status in ("done", "failed")
