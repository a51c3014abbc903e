"""Unpaid invoices: the first and second reminder (days after the due date, set by the
town in the billing rules), and the transfer of what is still unpaid to the Trésor
public (the town's accountant collects it from then on).

A follow-up row per invoice records what was done; each reminder is taken once, under
the write lock, before its emails are queued in the same transaction (the outbox sends
them after the commit), so a sweep that runs twice sends nothing twice."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from models.billing import ZERO, BillingSettings, Invoice
from models.clock import utcnow
from models.db_tools import insert_ignoring_conflicts
from models.family import Family, Guardian

FIRST, SECOND = 1, 2


class InvoiceFollowUp(db.Model):
    __tablename__ = "invoice_follow_ups"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"),
                                            primary_key=True, autoincrement=False)
    first_reminder_at: Mapped[datetime | None] = mapped_column(DateTime)
    second_reminder_at: Mapped[datetime | None] = mapped_column(DateTime)
    treasury_at: Mapped[datetime | None] = mapped_column(DateTime)
    treasury_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                  ondelete="SET NULL"))

    invoice = relationship("Invoice")


def _follow_ups(invoice_ids):
    """The follow-up rows of these invoices, created if needed."""
    insert_ignoring_conflicts(InvoiceFollowUp, [{"invoice_id": i} for i in invoice_ids],
                              ["invoice_id"])
    return {f.invoice_id: f for f in db.session.scalars(
        select(InvoiceFollowUp).where(InvoiceFollowUp.invoice_id.in_(invoice_ids))
        .execution_options(populate_existing=True))}


def take_due_reminders(today):
    """The reminders due today, each marked as done: [(invoice, level)]. The caller holds
    the write lock and queues the emails in the same transaction."""
    settings = BillingSettings.current()
    steps = ((FIRST, settings.first_reminder_days, InvoiceFollowUp.first_reminder_at),
             (SECOND, settings.second_reminder_days, InvoiceFollowUp.second_reminder_at))
    taken = []
    now = utcnow()
    # The second reminder follows the first by the days the town put between them, even
    # when both dates have passed (the portal was set up late, the sweep was stopped).
    gap = timedelta(days=max(settings.second_reminder_days - settings.first_reminder_days, 1))
    for level, days, column in steps:
        query = (select(Invoice).outerjoin(InvoiceFollowUp,
                                           InvoiceFollowUp.invoice_id == Invoice.id)
                 .where(Invoice.is_open, Invoice.due_on <= today - timedelta(days=days),
                        column.is_(None), InvoiceFollowUp.treasury_at.is_(None))
                 .options(selectinload(Invoice.family).selectinload(Family.guardians)
                          .selectinload(Guardian.user))
                 .order_by(Invoice.id))
        if level == SECOND:
            query = query.where(InvoiceFollowUp.first_reminder_at <= now - gap)
        invoices = db.session.scalars(query).all()
        if not invoices:
            continue
        rows = _follow_ups([i.id for i in invoices])
        for invoice in invoices:
            row = rows[invoice.id]
            if level == FIRST:
                row.first_reminder_at = now
            else:
                row.second_reminder_at = now
            taken.append((invoice, level))
    db.session.flush()
    return taken


def mark_treasury(invoice, by):
    """The invoice is handed to the Trésor public: no more reminders from the portal."""
    row = _follow_ups([invoice.id])[invoice.id]
    if row.treasury_at is None:
        row.treasury_at = utcnow()
        row.treasury_by_id = by.id
        return True
    return False


@dataclass
class OverdueFamily:
    family_id: int
    name: str
    invoices: list = field(default_factory=list)   # [(invoice, follow-up or None)]

    @property
    def amount(self):
        return sum((i.balance for i, _f in self.invoices), ZERO)

    def age(self, today):
        """Days since the oldest due date."""
        return max((today - i.due_on).days for i, _f in self.invoices)


def overdue_families(today, include_treasury=True):
    """Families with invoices past their due date and left to pay, the oldest debt
    first."""
    query = (select(Invoice, InvoiceFollowUp)
             .outerjoin(InvoiceFollowUp, InvoiceFollowUp.invoice_id == Invoice.id)
             .where(Invoice.is_open, Invoice.due_on < today)
             .order_by(Invoice.due_on, Invoice.id))
    if not include_treasury:
        query = query.where(or_(InvoiceFollowUp.treasury_at.is_(None),
                                InvoiceFollowUp.invoice_id.is_(None)))
    families = defaultdict(lambda: None)
    for invoice, follow_up in db.session.execute(query):
        family = families[invoice.family_id]
        if family is None:
            family = families[invoice.family_id] = OverdueFamily(invoice.family_id,
                                                                 invoice.family_name)
        family.invoices.append((invoice, follow_up))
    return sorted(families.values(), key=lambda f: (-f.age(today), f.name))
