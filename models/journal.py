"""The régie's books: the payment journal (per day and per method, with totals) and the
month's ledger of invoices and credit notes for the town's accounting. Sums are made in
Decimal here, never by the database (SQLite would add floats)."""
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models.billing import METHODS, ZERO, Invoice, Payment
from models.credit_notes import CreditNote


@dataclass
class JournalDay:
    day: object
    totals: dict = field(default_factory=lambda: defaultdict(lambda: ZERO))
    counts: dict = field(default_factory=lambda: defaultdict(int))
    payments: list = field(default_factory=list)

    @property
    def total(self):
        return sum(self.totals.values(), ZERO)


@dataclass
class Journal:
    first: object
    last: object
    days: list
    totals: dict
    counts: dict
    # Cancelled payments received in the period: listed, never counted.
    cancelled: list

    @property
    def total(self):
        return sum(self.totals.values(), ZERO)

    @property
    def methods(self):
        """Every method, in the order of METHODS, then any other one found."""
        return [*METHODS, *sorted(set(self.totals) - set(METHODS))]


def payment_journal(first, last):
    """The payments received from `first` to `last`, day by day and per method."""
    payments = db.session.scalars(
        select(Payment).where(Payment.received_on.between(first, last))
        .options(selectinload(Payment.invoice))
        .order_by(Payment.received_on, Payment.id)).all()
    days, totals, counts, cancelled = {}, defaultdict(lambda: ZERO), defaultdict(int), []
    for payment in payments:
        if payment.cancelled_at is not None:
            cancelled.append(payment)
            continue
        day = days.setdefault(payment.received_on, JournalDay(payment.received_on))
        day.totals[payment.method] += payment.amount
        day.counts[payment.method] += 1
        day.payments.append(payment)
        totals[payment.method] += payment.amount
        counts[payment.method] += 1
    return Journal(first, last, list(days.values()), totals, counts, cancelled)


@dataclass
class LedgerRow:
    kind: str            # "invoice", "supplementary" or "credit_note"
    number: str
    family_name: str
    issued_on: object
    amount: Decimal      # a credit note's amount is negative
    due_on: object
    paid: Decimal
    balance: Decimal
    corrects: str = ""   # the invoice a supplementary invoice or a credit note corrects


def month_ledger(month):
    """Every invoice and credit note of an invoiced month, by number."""
    invoices = db.session.scalars(select(Invoice).where(Invoice.month == month)
                                  .options(selectinload(Invoice.corrects))
                                  .order_by(Invoice.number)).all()
    rows = [LedgerRow("supplementary" if i.corrects_id else "invoice", i.number, i.family_name,
                      i.issued_on, i.total, i.due_on, i.amount_paid, i.balance,
                      i.corrects.number if i.corrects else "") for i in invoices]
    notes = db.session.scalars(select(CreditNote).join(Invoice).where(Invoice.month == month)
                               .options(selectinload(CreditNote.invoice))
                               .order_by(CreditNote.number)).all()
    rows += [LedgerRow("credit_note", n.number, n.family_name, n.issued_on, -n.total, None,
                       ZERO, ZERO, n.invoice.number) for n in notes]
    return rows
