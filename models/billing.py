"""Billing (facturation): prices by family quotient, the town's billing rules, monthly
invoices built from the planning and the roll call, payments and their allocation.

Money is `Decimal` everywhere, stored in `Numeric(12, 2)` columns; amounts are rounded
to the cent once, half up, when a unit price is derived (the surcharge), never summed
as floats.

What a day costs (one child, one activity, one day) is decided by `day_kind` and the
settings of `BillingSettings`, in one place: the invoicing job and the tests use it.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from dateutil.relativedelta import relativedelta
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from models.attendance import ABSENT, EXCUSED, ILL, PRESENT, UNEXCUSED, Attendance
from models.clock import utcnow
from models.db_tools import FamiliesProgress, dialect_name, insert_ignoring_conflicts
from models.documents import ACCEPTED as DOCUMENT_ACCEPTED
from models.family import Child, Family, Guardian
from models.illness import IllnessDeclaration, carence_days, marks_of
from models.late import STAFF, SURCHARGE
from models.planning import (
    ABSENCE,
    PENDING_ABSENCE,
    RESERVE,
    RESERVED,
    Activity,
    Booking,
    town_zone_for,
)
from models.planning import ABSENT as CANCELLED
from models.reference import reference_data, reference_rows
from models.requests import Request, RequestLine

MONEY = Numeric(12, 2)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# SQLite compares money as floats: 20.77 - 9.40 is not exactly 11.37 there. An invoice
# is open in SQL when more than half a cent is left (exact on PostgreSQL as well).
HALF_CENT = Decimal("0.005")


def money(value):
    """A Decimal rounded to the cent, half up (12.345 -> 12.35)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def month_bounds(first):
    """First and last day of the month starting on `first`."""
    return first, first + relativedelta(months=1) - timedelta(days=1)


# -- Family quotient brackets and tariffs --------------------------------------------------

class QfBracket(db.Model):
    """A family quotient bracket (tranche de QF): from `min_quotient` euros (included)
    up to the next bracket's minimum (excluded)."""
    __tablename__ = "qf_brackets"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(60))
    min_quotient: Mapped[int] = mapped_column(Integer, unique=True)

    @classmethod
    def ordered(cls):
        return db.session.scalars(select(cls).order_by(cls.min_quotient)).all()


def bracket_for(quotient, brackets, default):
    """The bracket of a family quotient (`brackets` sorted by minimum); `default` when
    the quotient is unknown. A quotient below every minimum falls in the first one."""
    if not brackets:
        return None
    if quotient is None:
        return default or brackets[-1]
    chosen = brackets[0]
    for bracket in brackets:
        if quotient >= bracket.min_quotient:
            chosen = bracket
    return chosen


class Tariff(db.Model):
    """The price of one unit (one day) of an activity for a QF bracket."""
    __tablename__ = "tariffs"
    __table_args__ = (UniqueConstraint("activity_id", "bracket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    bracket_id: Mapped[int] = mapped_column(ForeignKey("qf_brackets.id", ondelete="CASCADE"))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)

    @classmethod
    def grid(cls):
        """{(activity_id, bracket_id): unit price}."""
        return {(t.activity_id, t.bracket_id): t.unit_price
                for t in db.session.scalars(select(cls))}

    @classmethod
    def set_price(cls, activity_id, bracket_id, price):
        """Set (or, with None, remove) one price; True when it changed."""
        row = db.session.scalar(select(cls).where(cls.activity_id == activity_id,
                                                  cls.bracket_id == bracket_id))
        if price is None:
            if row is not None:
                db.session.delete(row)
                return True
            return False
        if row is None:
            db.session.add(cls(activity_id=activity_id, bracket_id=bracket_id,
                               unit_price=money(price)))
            return True
        if row.unit_price != money(price):
            row.unit_price = money(price)
            return True
        return False


# -- The town's billing rules ------------------------------------------------------------

# What a day of a child at an activity is, for billing.
RESERVED_DAY = "reserved"             # reserved and present (or reserved, not marked)
UNRESERVED_DAY = "unreserved"         # present without a reservation: surcharge
ABSENT_UNEXCUSED = "absent_unexcused"
ABSENT_ILL = "absent_ill"             # ill, no medical certificate handed in
ABSENT_ILL_CERTIFIED = "absent_ill_certified"
ABSENT_EXCUSED = "absent_excused"
# Late requests accepted per the activity's policy (models/late.py): a reservation
# accepted with a surcharge, billed at the surcharged price; a cancellation accepted
# late, billed as if reserved (without a roll-call mark saying otherwise).
LATE_RESERVED_DAY = "late_reserved"
LATE_CANCELLED_DAY = "late_cancelled"
# An illness declared by the parent, its certificate accepted: its first days (« jours de
# carence », models/illness.py) are billed at the usual price.
ABSENT_ILL_CARENCE = "absent_ill_carence"
DAY_KINDS = (RESERVED_DAY, LATE_RESERVED_DAY, ABSENT_UNEXCUSED, ABSENT_ILL,
             ABSENT_ILL_CARENCE, ABSENT_ILL_CERTIFIED, ABSENT_EXCUSED, LATE_CANCELLED_DAY,
             UNRESERVED_DAY)
DEFAULT_LATE_SURCHARGE = Decimal("50.00")

# Illness declared by the parent (models/illness.py): today can be declared until this
# time; the certificate is due within so many days; so many first days are billed.
DEFAULT_ILLNESS_UNTIL = time(9, 0)
DEFAULT_CERTIFICATE_DAYS = 3
DEFAULT_CARENCE_DAYS = 1

DEFAULT_SURCHARGE = Decimal("20.00")
DEFAULT_DUE_DAYS = 30
# Reminders of an unpaid invoice, in days after its due date.
DEFAULT_FIRST_REMINDER_DAYS = 10
DEFAULT_SECOND_REMINDER_DAYS = 30

# How a presence without a reservation is priced: the unit price plus the surcharge
# percentage, a fixed price whatever the bracket, or the activity's usual price.
UNRESERVED_SURCHARGE = "surcharge"
UNRESERVED_FIXED = "fixed"
UNRESERVED_FULL = "full"
UNRESERVED_PRICINGS = (UNRESERVED_SURCHARGE, UNRESERVED_FIXED, UNRESERVED_FULL)


def unreserved_unit_price(pricing, base_price, surcharge_percent, fixed_price):
    if pricing == UNRESERVED_FIXED and fixed_price is not None:
        return money(fixed_price)
    if pricing == UNRESERVED_FULL:
        return money(base_price)
    return money(base_price * (1 + Decimal(surcharge_percent) / 100))


@reference_data
class BillingSettings(db.Model):
    """The town's billing rules and payment details (one row)."""
    __tablename__ = "billing_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Each rule: is this kind of day billed?
    bill_reserved_present: Mapped[bool] = mapped_column(Boolean, default=True)
    # A reserved day without any roll-call mark: billed as present, unless turned off.
    bill_unmarked_reserved: Mapped[bool] = mapped_column(Boolean, default=True)
    bill_absent_unexcused: Mapped[bool] = mapped_column(Boolean, default=True)
    bill_absent_ill: Mapped[bool] = mapped_column(Boolean, default=True)
    bill_absent_ill_certified: Mapped[bool] = mapped_column(Boolean, default=False)
    bill_absent_excused: Mapped[bool] = mapped_column(Boolean, default=False)
    bill_unreserved: Mapped[bool] = mapped_column(Boolean, default=True)
    # Present without a reservation: the unit price plus this percentage.
    unreserved_surcharge_percent: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), default=DEFAULT_SURCHARGE)
    # ... or priced otherwise (UNRESERVED_PRICINGS): a fixed price, or the usual price.
    unreserved_pricing: Mapped[str] = mapped_column(String(10), default=UNRESERVED_SURCHARGE)
    unreserved_fixed_price: Mapped[Decimal | None] = mapped_column(MONEY)
    # A late reservation accepted with a surcharge (models/late.py SURCHARGE), priced
    # the same way (UNRESERVED_PRICINGS): the unit price plus this percentage, or a
    # fixed price whatever the bracket.
    late_pricing: Mapped[str] = mapped_column(String(10), default=UNRESERVED_SURCHARGE,
                                              server_default=UNRESERVED_SURCHARGE)
    late_surcharge_percent: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), default=DEFAULT_LATE_SURCHARGE, server_default="50.00")
    late_fixed_price: Mapped[Decimal | None] = mapped_column(MONEY)
    # The bracket of a family whose quotient is unknown (the highest one when unset).
    default_bracket_id: Mapped[int | None] = mapped_column(
        ForeignKey("qf_brackets.id", ondelete="SET NULL"))
    due_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_DUE_DAYS)
    first_reminder_days: Mapped[int] = mapped_column(Integer,
                                                     default=DEFAULT_FIRST_REMINDER_DAYS)
    second_reminder_days: Mapped[int] = mapped_column(Integer,
                                                      default=DEFAULT_SECOND_REMINDER_DAYS)
    payment_instructions: Mapped[str] = mapped_column(Text, default="")
    # The town as SEPA creditor, for the direct-debit file.
    creditor_name: Mapped[str] = mapped_column(String(70), default="")
    creditor_iban: Mapped[str] = mapped_column(String(34), default="")
    creditor_bic: Mapped[str] = mapped_column(String(11), default="")
    creditor_identifier: Mapped[str] = mapped_column(String(35), default="")
    # Illness declared by the parent (models/illness.py).
    illness_declaration_until: Mapped[time] = mapped_column(Time, default=DEFAULT_ILLNESS_UNTIL)
    illness_certificate_days: Mapped[int] = mapped_column(Integer,
                                                          default=DEFAULT_CERTIFICATE_DAYS)
    illness_carence_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_CARENCE_DAYS)

    default_bracket = relationship("QfBracket")

    @classmethod
    def current(cls):
        """The settings row, or the defaults (not saved) while admins have set nothing."""
        rows = reference_rows("billing settings", _settings())
        row = rows[0] if rows else None
        if row is None:
            row = cls(bill_reserved_present=True, bill_unmarked_reserved=True,
                      bill_absent_unexcused=True, bill_absent_ill=True,
                      bill_absent_ill_certified=False, bill_absent_excused=False,
                      bill_unreserved=True, unreserved_surcharge_percent=DEFAULT_SURCHARGE,
                      unreserved_pricing=UNRESERVED_SURCHARGE, unreserved_fixed_price=None,
                      late_pricing=UNRESERVED_SURCHARGE,
                      late_surcharge_percent=DEFAULT_LATE_SURCHARGE, late_fixed_price=None,
                      due_days=DEFAULT_DUE_DAYS,
                      first_reminder_days=DEFAULT_FIRST_REMINDER_DAYS,
                      second_reminder_days=DEFAULT_SECOND_REMINDER_DAYS,
                      payment_instructions="", creditor_name="",
                      creditor_iban="", creditor_bic="", creditor_identifier="",
                      illness_declaration_until=DEFAULT_ILLNESS_UNTIL,
                      illness_certificate_days=DEFAULT_CERTIFICATE_DAYS,
                      illness_carence_days=DEFAULT_CARENCE_DAYS)
        return row

    def bills(self, kind):
        return {
            RESERVED_DAY: self.bill_reserved_present,
            LATE_RESERVED_DAY: self.bill_reserved_present,
            LATE_CANCELLED_DAY: self.bill_reserved_present,
            ABSENT_UNEXCUSED: self.bill_absent_unexcused,
            ABSENT_ILL: self.bill_absent_ill,
            ABSENT_ILL_CERTIFIED: self.bill_absent_ill_certified,
            ABSENT_ILL_CARENCE: True,
            ABSENT_EXCUSED: self.bill_absent_excused,
            UNRESERVED_DAY: self.bill_unreserved,
        }[kind]

    def unit_price(self, kind, base_price):
        if kind == UNRESERVED_DAY:
            return unreserved_unit_price(self.unreserved_pricing or UNRESERVED_SURCHARGE,
                                         base_price, self.unreserved_surcharge_percent,
                                         self.unreserved_fixed_price)
        if kind == LATE_RESERVED_DAY:
            return unreserved_unit_price(self.late_pricing or UNRESERVED_SURCHARGE,
                                         base_price, self.late_surcharge_percent,
                                         self.late_fixed_price)
        return money(base_price)

    @property
    def late_terms(self):
        """How a late reservation accepted with a surcharge is priced, for the words."""
        return LateTerms(self.late_pricing or UNRESERVED_SURCHARGE,
                         self.late_surcharge_percent, self.late_fixed_price)

    @property
    def can_debit(self):
        return bool(self.creditor_name and self.creditor_iban and self.creditor_bic
                    and self.creditor_identifier)


@cache
def _settings():
    return select(BillingSettings).order_by(BillingSettings.id).limit(1)


@dataclass(frozen=True)
class LateTerms:
    """The surcharge of a late reservation (BillingSettings.late_*), as the planning
    cell, the emails and the rules page say it."""
    pricing: str
    percent: Decimal
    fixed_price: Decimal | None

    @classmethod
    def current(cls):
        return BillingSettings.current().late_terms


ABSENCE_KIND = {UNEXCUSED: ABSENT_UNEXCUSED, EXCUSED: ABSENT_EXCUSED, ILL: ABSENT_ILL}


def day_kind(expected, attendance, late_cancellation, settings):
    """What one child x activity x day is for billing, or None when it is not billed.

    expected: the cell is reserved (or its absence is asked and not decided yet);
    attendance: the roll-call mark, or None;
    late_cancellation: the cell is absent because an absence was accepted after the
    deadline (an agent acting for the family in an emergency): the day stays due, and
    the absence's reason decides, as for a reserved day.
    """
    if attendance is not None and attendance.status == PRESENT:
        kind = RESERVED_DAY if expected else UNRESERVED_DAY
    elif attendance is not None and attendance.status == ABSENT:
        if not (expected or late_cancellation):
            return None  # cancelled in time: nothing is due
        kind = ABSENCE_KIND.get(attendance.absence_reason, ABSENT_UNEXCUSED)
        if kind == ABSENT_ILL and attendance.certificate:
            kind = ABSENT_ILL_CERTIFIED
    elif expected:
        if not settings.bill_unmarked_reserved:
            return None
        kind = RESERVED_DAY
    else:
        return None
    return kind if settings.bills(kind) else None


def late_kind(kind, key, mark, month_activity, settings):
    """The kind of a day a late request changed (models/late.py): reserved late with a
    surcharge, or cancelled late and not marked otherwise by the roll call."""
    if kind == RESERVED_DAY and key in month_activity.surcharged:
        return LATE_RESERVED_DAY
    if (kind is None and mark is None and key in month_activity.late_cancelled
            and settings.bills(LATE_CANCELLED_DAY)):
        return LATE_CANCELLED_DAY
    return kind


# -- Invoices ------------------------------------------------------------------------------

DUE = "due"
PARTIAL = "partial"
PAID = "paid"
LATE = "late"
CANCELLED_INVOICE = "cancelled"   # by a credit note of its whole amount
STATUSES = (DUE, PARTIAL, PAID, LATE, CANCELLED_INVOICE)


class InvoiceCounter(db.Model):
    """The last invoice number given in a year: locked by the transaction that issues
    invoices, so numbers follow each other without gaps or duplicates."""
    __tablename__ = "invoice_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)

    @classmethod
    def lock(cls, year):
        """The year's counter, created if needed, locked until the transaction ends
        (FOR UPDATE on PostgreSQL; on SQLite the caller holds the write lock)."""
        insert_ignoring_conflicts(cls, [{"year": year, "last_number": 0}], ["year"])
        return db.session.scalars(select(cls).where(cls.year == year).with_for_update()
                                  .execution_options(populate_existing=True)).one()

    def next_number(self):
        self.last_number += 1
        return self.last_number


def invoice_number(year, sequence):
    return f"{year}-{sequence:06d}"


class InvoicingRun(FamiliesProgress, db.Model):
    """Staff asked to invoice a month; the job fills in its progress as it goes."""
    __tablename__ = "invoicing_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    families_total: Mapped[int] = mapped_column(Integer, default=0)
    families_done: Mapped[int] = mapped_column(Integer, default=0)
    invoices_created: Mapped[int] = mapped_column(Integer, default=0)
    already_invoiced: Mapped[int] = mapped_column(Integer, default=0)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str] = mapped_column(String(500), default="")

    started_by = relationship("User")

    @classmethod
    def recent(cls, limit=20):
        return db.session.scalars(select(cls).order_by(cls.id.desc()).limit(limit)).all()


class Invoice(db.Model):
    """A family's bill for one month. Once issued it does not change: what it says about
    the family is kept with it (name, address, lines, how it is paid). What changes is
    what has been paid, and what credit notes took off it (`credited`).

    A supplementary invoice (`corrects_id` set) adds days found after issue to the month
    of the invoice it corrects: one main invoice per family and month, any number of
    supplementary ones."""
    __tablename__ = "invoices"
    __table_args__ = (Index("uq_invoices_main_family_month", "family_id", "month", unique=True,
                            sqlite_where=text("corrects_id IS NULL"),
                            postgresql_where=text("corrects_id IS NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(MONEY)
    amount_paid: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    family_name: Mapped[str] = mapped_column(String(120))
    family_address: Mapped[str] = mapped_column(String(400), default="")
    quotient: Mapped[int | None] = mapped_column(Integer)
    bracket_label: Mapped[str] = mapped_column(String(60), default="")
    # Set when the family had a direct-debit mandate at issue: the invoice says so.
    mandate_reference: Mapped[str] = mapped_column(String(35), default="")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_runs.id",
                                                          ondelete="SET NULL"))
    # What credit notes took off this invoice (models/credit_notes.py).
    credited: Mapped[Decimal] = mapped_column(MONEY, default=ZERO)
    # A supplementary invoice: the invoice of the month it corrects.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)

    family = relationship("Family")
    lines = relationship("InvoiceLine", back_populates="invoice", cascade="all, delete-orphan",
                         order_by="InvoiceLine.position")
    corrects = relationship("Invoice", remote_side=[id])

    @hybrid_property
    def net_total(self):
        """What the invoice asks once its credit notes are taken off."""
        return self.total - self.credited

    @hybrid_property
    def balance(self):
        return self.total - self.credited - self.amount_paid

    @property
    def cancelled(self):
        return self.credited > 0 and self.credited >= self.total

    @hybrid_property
    def is_open(self):
        """Something is left to pay once credit notes are taken off (in Python and in
        SQL alike)."""
        return self.balance > HALF_CENT

    def status_on(self, today):
        if self.cancelled:
            return CANCELLED_INVOICE
        if self.amount_paid >= self.net_total:
            return PAID
        if today > self.due_on:
            return LATE
        if self.amount_paid > 0:
            return PARTIAL
        return DUE

    @classmethod
    def for_family(cls, family_id):
        return db.session.scalars(select(cls).where(cls.family_id == family_id)
                                  .order_by(cls.month.desc(), cls.id.desc())).all()

    @classmethod
    def issued_since(cls, family_id, since):
        """How many issued since a moment: a SELECT, that the home page runs with its
        other counters."""
        return select(func.count(cls.id)).where(cls.family_id == family_id,
                                                cls.issued_at > since)

    @classmethod
    def overdue_count(cls, today):
        return db.session.scalar(select(func.count(cls.id)).where(
            cls.is_open, cls.due_on < today)) or 0

    @classmethod
    def search(cls, limit, offset, today, month=None, status="", text=""):
        """Invoices for the staff list, newest number first; `status` is paid, late or
        "open" (anything left to pay); `text` a family name or an invoice number."""
        query = select(cls).order_by(cls.number.desc())
        if month:
            query = query.where(cls.month == month)
        if status == PAID:
            query = query.where(~cls.is_open)
        elif status == LATE:
            query = query.where(cls.is_open, cls.due_on < today)
        elif status == "open":
            query = query.where(cls.is_open)
        if text:
            pattern = f"%{text}%"
            query = query.where(or_(cls.family_name.ilike(pattern), cls.number.ilike(pattern)))
        return db.session.scalars(query.limit(limit).offset(offset)).all()


class BilledDays:
    """What an invoice line and a credit-note line both say: one child, one activity, one
    kind of day, the days, how many, at what price (names kept as billed)."""
    position: Mapped[int] = mapped_column(Integer, default=0)
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id", ondelete="SET NULL"))
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL"))
    child_name: Mapped[str] = mapped_column(String(170))
    activity_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(24))
    # The days, ISO dates separated by commas.
    days: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    # Why the days were added or taken off (models/corrections.py); empty on a monthly
    # invoice's own lines.
    reason: Mapped[str] = mapped_column(String(24), default="")

    @property
    def day_list(self):
        return [date.fromisoformat(d) for d in self.days.split(",") if d]


class InvoiceLine(BilledDays, db.Model):
    """One line of an invoice."""
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"),
                                            index=True)

    invoice = relationship("Invoice", back_populates="lines")


@dataclass
class DraftLine:
    child: Child
    activity: Activity
    kind: str
    unit_price: Decimal
    days: list = field(default_factory=list)

    @property
    def amount(self):
        return money(self.unit_price * len(self.days))


class MonthActivity:
    """The planning cells and roll-call marks of some children over a month, loaded in
    three queries whatever their number."""

    def __init__(self, child_ids, first, last):
        self.bookings = {}
        self.late = set()
        # Accepted per the late policy: reservations with a surcharge, cancellations.
        self.surcharged = set()
        self.late_cancelled = set()
        self.marks = {}
        # Days of illnesses declared by the parents: their kind (models/illness.py).
        self.illness = {}
        self._by_child = None
        if not child_ids:
            return
        activities = {a.id: a for a in db.session.scalars(select(Activity))}
        zone = town_zone_for(activities.values())
        rows = db.session.execute(
            select(Booking.child_id, Booking.activity_id, Booking.day, Booking.state,
                   Request.submitted_at, RequestLine.late_rule, RequestLine.action)
            .outerjoin(RequestLine, RequestLine.id == Booking.last_line_id)
            .outerjoin(Request, Request.id == RequestLine.request_id)
            .where(Booking.child_id.in_(child_ids), Booking.day.between(first, last),
                   Booking.state.in_((RESERVED, PENDING_ABSENCE, CANCELLED))))
        for child_id, activity_id, day, state, submitted_at, late_rule, action in rows:
            key = (child_id, activity_id, day)
            self.bookings[key] = state
            if late_rule == SURCHARGE and action == RESERVE and state != CANCELLED:
                self.surcharged.add(key)
            elif late_rule in (SURCHARGE, STAFF) and action == ABSENCE and state == CANCELLED:
                self.late_cancelled.add(key)
            activity = activities.get(activity_id)
            if state == CANCELLED and (submitted_at is None or activity is None
                                       or not activity.is_in_time(day, submitted_at,
                                                                  ABSENCE, zone)):
                self.late.add(key)
        for mark in db.session.scalars(select(Attendance).where(
                Attendance.child_id.in_(child_ids), Attendance.day.between(first, last))):
            self.marks[(mark.child_id, mark.activity_id, mark.day)] = mark
        self.illness = illness_kinds(child_ids, first, last, BillingSettings.current())

    def days_of(self, child_id):
        if self._by_child is None:  # indexed once: a whole month of a town is large
            self._by_child = defaultdict(set)
            for key in (*self.bookings, *self.marks):
                self._by_child[key[0]].add(key)
        return sorted(self._by_child.get(child_id, ()), key=lambda k: (k[1], k[2]))


# -- Illness declared by the parent (models/illness.py) ------------------------------------

def illness_kinds(child_ids, first, last, rules):
    """{(child_id, activity_id, day): billing kind} for the days of declared illnesses
    of these children between `first` and `last` (a few queries, whatever their number).
    A day counts when its cell is released and its mark still says « absent, malade »:
    a mark the staff changed since (the child came) is billed as the mark says."""
    if not child_ids:
        return {}
    declarations = db.session.scalars(
        select(IllnessDeclaration).where(IllnessDeclaration.child_id.in_(list(child_ids)),
                                         IllnessDeclaration.first_day <= last,
                                         IllnessDeclaration.last_day >= first,
                                         IllnessDeclaration.cells_late > 0)
        .options(selectinload(IllnessDeclaration.document))).all()
    if not declarations:
        return {}
    marks = marks_of(declarations)
    released = {(b.child_id, b.activity_id, b.day) for b in db.session.execute(
        select(Booking.child_id, Booking.activity_id, Booking.day).where(
            Booking.child_id.in_({d.child_id for d in declarations}),
            Booking.day.between(min(d.first_day for d in declarations),
                                max(d.last_day for d in declarations)),
            Booking.state == CANCELLED))}
    kinds = {}
    for declaration in sorted(declarations, key=lambda d: (d.first_day, d.id)):
        cells = [(m.child_id, m.activity_id, m.day) for m in marks[declaration.id]
                 if (m.child_id, m.activity_id, m.day) in released]
        document = declaration.document
        certified = document is not None and document.status == DOCUMENT_ACCEPTED
        carence = carence_days([c[2] for c in cells], rules.illness_carence_days) \
            if certified else set()
        for key in cells:
            if key in kinds or not first <= key[2] <= last:
                continue
            if not certified:
                kinds[key] = ABSENT_UNEXCUSED
            elif key[2] in carence:
                kinds[key] = ABSENT_ILL_CARENCE
            else:
                kinds[key] = ABSENT_ILL_CERTIFIED
    return kinds


def draft_lines(family, month_activity, settings, prices, bracket, activities):
    """The lines of a family's invoice, in the order they are printed."""
    lines = {}
    if bracket is None:
        return []
    for child in family.children:
        for key in month_activity.days_of(child.id):
            _child_id, activity_id, day = key
            state = month_activity.bookings.get(key)
            kind = month_activity.illness.get(key)
            if kind is not None:
                kind = kind if settings.bills(kind) else None
            else:
                mark = month_activity.marks.get(key)
                kind = day_kind(state in (RESERVED, PENDING_ABSENCE), mark,
                                key in month_activity.late, settings)
                kind = late_kind(kind, key, mark, month_activity, settings)
            base = prices.get((activity_id, bracket.id))
            if kind is None or base is None or activity_id not in activities:
                continue
            line = lines.get((child.id, activity_id, kind))
            if line is None:
                line = lines[(child.id, activity_id, kind)] = DraftLine(
                    child, activities[activity_id], kind, settings.unit_price(kind, base))
            line.days.append(day)
    order = {kind: index for index, kind in enumerate(DAY_KINDS)}
    return sorted(lines.values(), key=lambda line: (
        line.child.birth_date or date.min, line.child.id, line.activity.position,
        line.activity.id, order[line.kind]))


def families_with_activity(first, last):
    """Ids of the families with a reserved cell or a roll-call mark in the period."""
    booked = select(Child.family_id).join(Booking, Booking.child_id == Child.id).where(
        Booking.day.between(first, last),
        Booking.state.in_((RESERVED, PENDING_ABSENCE, CANCELLED)))
    marked = select(Child.family_id).join(Attendance, Attendance.child_id == Child.id).where(
        Attendance.day.between(first, last))
    return sorted(set(db.session.scalars(booked.union(marked))))


def invoiced_families(month, family_ids=None):
    query = select(Invoice.family_id).where(Invoice.month == month,
                                            Invoice.corrects_id.is_(None))
    if family_ids is not None:
        query = query.where(Invoice.family_id.in_(family_ids))
    return set(db.session.scalars(query))


def lock_families(family_ids):
    """On PostgreSQL, lock the families' rows: their invoices and payments are allocated
    by one transaction at a time (SQLite's write lock already does that)."""
    if dialect_name() == "postgresql" and family_ids:
        db.session.execute(select(Family.id).where(Family.id.in_(family_ids))
                           .order_by(Family.id).with_for_update())


def issue_invoices(family_ids, month, today, run_id=None):
    """Issue the month's invoice of each family that has none yet, in the caller's
    transaction, which must hold the write lock (begin_write). Returns the new invoices.

    The year's counter is locked first, so two runs at once wait for each other, and the
    second sees the invoices the first committed: no duplicate, no gap.
    """
    first, last = month_bounds(month)
    counter = InvoiceCounter.lock(today.year)
    lock_families(family_ids)
    done = invoiced_families(month, family_ids)
    families = db.session.scalars(select(Family).where(
        Family.id.in_([f for f in family_ids if f not in done]))
        .options(selectinload(Family.children),
                 selectinload(Family.guardians).selectinload(Guardian.user))
        .order_by(Family.name, Family.id)).all()
    if not families:
        return []
    settings = BillingSettings.current()
    brackets = QfBracket.ordered()
    prices = Tariff.grid()
    activities = {a.id: a for a in db.session.scalars(select(Activity))}
    month_activity = MonthActivity([c.id for f in families for c in f.children], first, last)
    rows, lines_of = [], {}
    for family in families:
        bracket = bracket_for(family.quotient, brackets, settings.default_bracket)
        lines = draft_lines(family, month_activity, settings, prices, bracket, activities)
        if not lines:
            continue
        lines_of[family.id] = lines
        rows.append({
            "family_id": family.id, "month": month,
            "number": invoice_number(today.year, counter.next_number()),
            "issued_at": utcnow(), "issued_on": today,
            "due_on": today + timedelta(days=settings.due_days),
            "total": sum((line.amount for line in lines), ZERO), "amount_paid": ZERO,
            "family_name": family.name, "family_address": family.postal_address,
            "quotient": family.quotient, "bracket_label": bracket.label,
            "mandate_reference": family.mandate_reference if family.has_mandate else "",
            "run_id": run_id})
    if not rows:
        return []
    # Bulk statements: a few queries per chunk of families, whatever its size.
    db.session.execute(insert(Invoice), rows)
    ids = dict(db.session.execute(select(Invoice.family_id, Invoice.id).where(
        Invoice.month == month, Invoice.family_id.in_(list(lines_of)))).all())
    db.session.execute(insert(InvoiceLine), [
        {"invoice_id": ids[family_id], "position": position, "child_id": line.child.id,
         "activity_id": line.activity.id, "child_name": line.child.full_name,
         "activity_name": line.activity.name, "kind": line.kind,
         "days": ",".join(d.isoformat() for d in line.days), "quantity": len(line.days),
         "unit_price": line.unit_price, "amount": line.amount}
        for family_id, lines in lines_of.items() for position, line in enumerate(lines)])
    apply_credit(list(lines_of))
    return db.session.scalars(
        select(Invoice).where(Invoice.id.in_(list(ids.values()))).order_by(Invoice.number)
        .options(selectinload(Invoice.family).selectinload(Family.guardians)
                 .selectinload(Guardian.user))
        .execution_options(populate_existing=True)).all()


# -- Payments ------------------------------------------------------------------------------

CHEQUE = "cheque"
CASH = "cash"
CESU = "cesu"
CARD = "card"
DIRECT_DEBIT = "direct_debit"
ONLINE = "online"  # paid online (models/online_payment.py), never typed in by staff
METHODS = (CHEQUE, CASH, CESU, CARD, DIRECT_DEBIT)


class DirectDebitBatch(db.Model):
    """A SEPA direct-debit file (pain.008) made for the bank, with its payments."""
    __tablename__ = "direct_debit_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    collection_on: Mapped[date] = mapped_column(Date)
    message_id: Mapped[str] = mapped_column(String(35))
    count: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(MONEY)
    # The file as handed to the bank (it holds account numbers: staff only, no-store).
    xml: Mapped[str] = mapped_column(Text)

    created_by = relationship("User")


class Payment(db.Model):
    """Money received from a family (règlement), spread over its invoices by
    PaymentAllocation rows; what is not allocated is the family's credit."""
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    # The invoice it was handed in for (it is paid first).
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id",
                                                              ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    received_on: Mapped[date] = mapped_column(Date)
    # Cheque number, CESU numbers, or the mandate reference of a direct debit.
    reference: Mapped[str] = mapped_column(String(60), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                  ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("direct_debit_batches.id",
                                                            ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                   ondelete="SET NULL"))

    invoice = relationship("Invoice")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    allocations = relationship("PaymentAllocation", back_populates="payment",
                               cascade="all, delete-orphan")

    @classmethod
    def for_family(cls, family_id):
        return db.session.scalars(select(cls).where(cls.family_id == family_id)
                                  .options(selectinload(cls.invoice))
                                  .order_by(cls.received_on.desc(), cls.id.desc())).all()


class PaymentAllocation(db.Model):
    """The part of a payment that settles an invoice."""
    __tablename__ = "payment_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"),
                                            index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"),
                                            index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)

    payment = relationship("Payment", back_populates="allocations")
    invoice = relationship("Invoice")

    @classmethod
    def for_invoice(cls, invoice_id):
        return db.session.scalars(
            select(cls).join(Payment).where(cls.invoice_id == invoice_id,
                                            Payment.cancelled_at.is_(None))
            .options(selectinload(cls.payment)).order_by(Payment.received_on, cls.id)).all()


def _unallocated(family_ids):
    """{family_id: [(payment, amount not allocated yet)]}, oldest payment first. Sums are
    made here, in Decimal, never by the database (SQLite would add floats)."""
    payments = db.session.scalars(
        select(Payment).where(Payment.family_id.in_(family_ids), Payment.cancelled_at.is_(None))
        .order_by(Payment.received_on, Payment.id)).all()
    allocated = defaultdict(lambda: ZERO)
    if payments:
        for payment_id, amount in db.session.execute(
                select(PaymentAllocation.payment_id, PaymentAllocation.amount).where(
                    PaymentAllocation.payment_id.in_([p.id for p in payments]))):
            allocated[payment_id] += amount
    free = defaultdict(list)
    for payment in payments:
        rest = payment.amount - allocated[payment.id]
        if rest > 0:
            free[payment.family_id].append((payment, rest))
    return free


def apply_credit(family_ids):
    """Spread what the families paid and is not allocated yet over their unpaid
    invoices: the invoice a payment was handed in for first, then the oldest."""
    family_ids = sorted(set(family_ids))
    if not family_ids:
        return
    free = _unallocated(family_ids)
    if not free:
        return
    open_invoices = defaultdict(list)
    for invoice in db.session.scalars(select(Invoice).where(
            Invoice.family_id.in_(list(free)), Invoice.is_open)
            .order_by(Invoice.month, Invoice.id)):
        open_invoices[invoice.family_id].append(invoice)
    allocations = []
    for family_id, payments in free.items():
        invoices = open_invoices.get(family_id, [])
        for payment, rest in payments:
            ordered = sorted(invoices, key=lambda i: i.id != payment.invoice_id)
            for invoice in ordered:
                if rest <= 0:
                    break
                share = min(rest, invoice.balance)
                if share <= 0:
                    continue
                invoice.amount_paid += share
                rest -= share
                allocations.append({"payment_id": payment.id, "invoice_id": invoice.id,
                                    "amount": share})
    if allocations:
        db.session.execute(PaymentAllocation.__table__.insert(), allocations)
    db.session.flush()


# A payment beyond what the family owes by more than this is asked again before it is
# recorded (the rest becomes credit): a typo ("5,00" read as 500) must not slip through.
OVERPAYMENT_MARGIN = Decimal("1.00")


def overpayment(family_id, amount):
    """How much of a payment of `amount` would exceed what the family owes now (its
    invoices left to pay, less its credit); ZERO when it does not."""
    owed = max(account_of(family_id).balance, ZERO)
    return max(money(amount) - owed, ZERO)


def needs_confirmation(family_id, amount):
    """The overpayment, when it is large enough to ask the agent again; else None."""
    excess = overpayment(family_id, amount)
    return excess if excess > OVERPAYMENT_MARGIN else None


def record_payment(family, amount, method, received_on, by, invoice=None, reference="",
                   batch=None, shares=()):
    """Record money received and allocate it; the caller holds the write lock.
    `shares`, [(invoice, amount)], are allocated first (an online basket)."""
    lock_families([family.id])
    payment = Payment(family_id=family.id, invoice_id=invoice.id if invoice else None,
                      method=method, amount=money(amount), received_on=received_on,
                      reference=reference, recorded_by_id=by.id if by else None,
                      batch_id=batch.id if batch else None)
    db.session.add(payment)
    db.session.flush()
    _allocate_shares(payment, shares)
    apply_credit([family.id])
    return payment


def _allocate_shares(payment, shares):
    rest = payment.amount
    for invoice, amount in shares:
        share = min(amount, invoice.balance, rest)
        if share <= 0:
            continue
        invoice.amount_paid += share
        rest -= share
        db.session.add(PaymentAllocation(payment_id=payment.id, invoice_id=invoice.id,
                                         amount=share))
    db.session.flush()


def cancel_payment(payment, by):
    """A cheque that bounced, a direct debit rejected, a mistake: the payment stops
    counting and the invoices it settled are due again (other credit may cover them)."""
    lock_families([payment.family_id])
    shares = db.session.scalars(select(PaymentAllocation).where(
        PaymentAllocation.payment_id == payment.id)
        .options(selectinload(PaymentAllocation.invoice))).all()
    for share in shares:
        share.invoice.amount_paid -= share.amount
        db.session.delete(share)
    payment.cancelled_at = utcnow()
    payment.cancelled_by_id = by.id
    db.session.flush()
    apply_credit([payment.family_id])


@dataclass
class Account:
    """Where a family stands: what its invoices still ask, and its credit."""
    due: Decimal
    credit: Decimal

    @property
    def balance(self):
        """Positive: the family owes it; negative: the family has that much credit."""
        return self.due - self.credit


def account_of(family_id):
    due = sum((total - credited - paid for total, credited, paid in db.session.execute(
        select(Invoice.total, Invoice.credited, Invoice.amount_paid)
        .where(Invoice.family_id == family_id))), ZERO)
    credit = sum((rest for _p, rest in _unallocated([family_id]).get(family_id, [])), ZERO)
    return Account(due, credit)
