"""Yearly statements of a family: the attestation of childcare costs (frais de garde) for
the tax credit, and the statement of payments (for the CAF or an employer).

The attestation follows the tax rule (article 200 quater B of the Code général des
impôts): care of children under 6 on 1 January of the year, i.e. under 7 all year long;
meals are not care, so activities that include a meal (the canteen) are left out. What
is certified is what the family paid for that care: for each month of the year, the
child's eligible lines (invoices and supplementary invoices, less credit notes) times the
share of the month's bill the family has paid."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from models.billing import ZERO, Invoice, Payment, money
from models.clock import utcnow
from models.credit_notes import CreditNote
from models.family import Child, Family
from models.planning import Activity

CARE_AGE_LIMIT = 6  # under 6 on 1 January of the year


def eligible_child(child, year):
    return child.birth_date is not None and child.birth_date > date(
        year - CARE_AGE_LIMIT, 1, 1)


@dataclass
class ChildCare:
    child: Child
    paid: Decimal = ZERO


@dataclass
class CareStatement:
    family: Family
    year: int
    children: list = field(default_factory=list)

    @property
    def total(self):
        return sum((c.paid for c in self.children), ZERO)


def childcare_statements(family_ids, year):
    """{family_id: CareStatement} for the families with eligible children, in a few
    queries whatever their number."""
    first, last = date(year, 1, 1), date(year, 12, 1)
    families = db.session.scalars(select(Family).where(Family.id.in_(family_ids))
                                  .options(selectinload(Family.children))).all()
    children = {c.id: c for f in families for c in f.children if eligible_child(c, year)}
    if not children:
        return {}
    care = {a.id for a in db.session.scalars(select(Activity).where(
        Activity.includes_meal.is_(False)))}
    invoices = db.session.scalars(select(Invoice).where(
        Invoice.family_id.in_(family_ids), Invoice.month.between(first, last))
        .options(selectinload(Invoice.lines))).all()
    months = defaultdict(lambda: {"net": ZERO, "paid": ZERO, "care": defaultdict(lambda: ZERO)})
    for invoice in invoices:
        month = months[(invoice.family_id, invoice.month)]
        month["net"] += invoice.net_total
        month["paid"] += invoice.amount_paid
        for line in invoice.lines:
            if line.child_id in children and line.activity_id in care:
                month["care"][line.child_id] += line.amount
    main_months = {i.id: (i.family_id, i.month) for i in invoices if i.corrects_id is None}
    if main_months:
        for note in db.session.scalars(select(CreditNote).where(
                CreditNote.invoice_id.in_(list(main_months)))
                .options(selectinload(CreditNote.lines))):
            month = months[main_months[note.invoice_id]]
            for line in note.lines:
                if line.child_id in children and line.activity_id in care:
                    month["care"][line.child_id] -= line.amount
    paid = defaultdict(lambda: ZERO)
    for (_family_id, _month), month in months.items():
        if month["net"] <= 0:
            continue
        share = min(month["paid"] / month["net"], Decimal(1))
        for child_id, amount in month["care"].items():
            paid[child_id] += amount * share
    statements = {}
    for family in families:
        kids = [ChildCare(c, money(paid[c.id])) for c in sorted(
            family.children, key=lambda c: (c.birth_date or date.min, c.id))
            if c.id in children]
        if kids:
            statements[family.id] = CareStatement(family, year, kids)
    return statements


@dataclass
class PaymentStatement:
    family: Family
    year: int
    payments: list
    invoices: list

    @property
    def total(self):
        return sum((p.amount for p in self.payments), ZERO)


def payment_statement(family, year):
    """The payments received in the year (cancelled ones left out) and the invoices of
    the year with what is left to pay."""
    payments = db.session.scalars(select(Payment).where(
        Payment.family_id == family.id, Payment.cancelled_at.is_(None),
        Payment.received_on.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(Payment.received_on, Payment.id)).all()
    invoices = db.session.scalars(select(Invoice).where(
        Invoice.family_id == family.id,
        Invoice.month.between(date(year, 1, 1), date(year, 12, 1)))
        .order_by(Invoice.month, Invoice.id)).all()
    return PaymentStatement(family, year, payments, invoices)


def statement_years(family_id):
    """The years the family has invoices or payments in, latest first."""
    years = {m.year for m in db.session.scalars(select(Invoice.month).where(
        Invoice.family_id == family_id))}
    years |= {d.year for d in db.session.scalars(select(Payment.received_on).where(
        Payment.family_id == family_id))}
    return sorted(years, reverse=True)


class StatementBatch(db.Model):
    """Staff asked for the year's attestations of every family, one PDF each in a zip
    that a job makes and keeps in the storage."""
    __tablename__ = "statement_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    count: Mapped[int] = mapped_column(Integer, default=0)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id",
                                                           ondelete="SET NULL"))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str] = mapped_column(String(500), default="")

    file = relationship("StoredFile")


def invoices_to_print(month):
    """The month's invoices (main and supplementary) of families where no guardian has a
    confirmed account: they are posted, not emailed."""
    from models.family import Guardian
    from models.user import User

    with_account = select(Guardian.family_id).join(User, User.guardian_id == Guardian.id).where(
        User.confirmed_at.is_not(None))
    return db.session.scalars(select(Invoice).where(
        Invoice.month == month, Invoice.family_id.not_in(with_account))
        .options(selectinload(Invoice.lines), selectinload(Invoice.corrects))
        .order_by(Invoice.family_name, Invoice.number)).all()
