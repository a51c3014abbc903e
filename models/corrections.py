"""Corrections (régularisations): what changed after a month was invoiced.

The month's lines are computed again with the very code that issued the invoice
(`draft_lines` of models/billing.py, on today's planning, roll call, certificates,
tariffs and quotient) and compared, day by day, with what the family has been billed for
that month so far: the main invoice, plus its supplementary invoices, less its credit
notes. A day billed that is no longer due, or due at another kind or price, is credited
at the price it was billed; a day due that was not billed (or billed differently) goes on
a supplementary invoice. Issuing the corrections makes the two documents; computing again
afterwards finds nothing more, which makes issuing safe to repeat.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from extensions import db
from models.attendance import ABSENT, ILL, PRESENT
from models.billing import (
    ABSENT_ILL_CARENCE,
    ABSENT_ILL_CERTIFIED,
    ABSENT_UNEXCUSED,
    DAY_KINDS,
    ZERO,
    BillingSettings,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    MonthActivity,
    PaymentAllocation,
    QfBracket,
    Tariff,
    apply_credit,
    bracket_for,
    draft_lines,
    invoice_number,
    lock_families,
    money,
    month_bounds,
)
from models.clock import utcnow
from models.credit_notes import CreditNote, CreditNoteCounter, CreditNoteLine, credit_note_number
from models.family import Family, Guardian
from models.planning import RESERVED, Activity

# Why a day is credited or added.
ROLLCALL = "rollcall"          # a roll-call mark added or changed
CERTIFICATE = "certificate"    # a medical certificate accepted
RELEASED = "released"          # the booking was released (closure, withdrawal, absence)
ADDED = "added"                # a booking added for a day already invoiced
PRICE = "price"                # the tariff or the family quotient was wrong
CANCELLED = "cancelled"        # the whole invoice cancelled by staff
REASONS = (ROLLCALL, CERTIFICATE, RELEASED, ADDED, PRICE, CANCELLED)


@dataclass
class CorrectionLine:
    child_id: int | None
    activity_id: int | None
    child_name: str
    activity_name: str
    kind: str
    unit_price: Decimal
    reason: str
    days: list = field(default_factory=list)

    @property
    def quantity(self):
        return len(self.days)

    @property
    def amount(self):
        return money(self.unit_price * len(self.days))

    @property
    def day_list(self):
        return self.days


@dataclass
class Correction:
    """The corrections waiting for one family's month."""
    family: Family
    invoice: Invoice
    credits: list
    extras: list

    @property
    def credit_total(self):
        return sum((line.amount for line in self.credits), ZERO)

    @property
    def extra_total(self):
        return sum((line.amount for line in self.extras), ZERO)

    @property
    def net(self):
        """Positive: the family owes more; negative: it is owed."""
        return self.extra_total - self.credit_total


@dataclass(frozen=True)
class Billed:
    kind: str
    unit_price: Decimal
    child_name: str
    activity_name: str


class MonthDocuments:
    """A month's invoices (main and supplementary) and credit notes, loaded in bulk."""

    def __init__(self, month, family_ids=None):
        query = select(Invoice).where(Invoice.month == month).options(
            selectinload(Invoice.lines))
        if family_ids is not None:
            query = query.where(Invoice.family_id.in_(family_ids))
        invoices = db.session.scalars(query.order_by(Invoice.id)).all()
        self.main = {i.family_id: i for i in invoices if i.corrects_id is None}
        self.extras = defaultdict(list)
        for invoice in invoices:
            if invoice.corrects_id is not None:
                self.extras[invoice.family_id].append(invoice)
        self.credits = defaultdict(list)
        if self.main:
            for note in db.session.scalars(
                    select(CreditNote).where(CreditNote.invoice_id.in_(
                        [i.id for i in self.main.values()]))
                    .options(selectinload(CreditNote.lines)).order_by(CreditNote.id)):
                self.credits[note.family_id].append(note)

    def cancelled(self, family_id):
        return any(note.cancels for note in self.credits[family_id])

    def billed(self, family_id):
        """{(child_id, activity_id, day): Billed} as the family's documents stand: every
        document in the order it was issued (a credit note before the supplementary
        invoice made with it)."""
        documents = [(i.issued_at, 1, i.id, i.lines, True) for i in
                     [self.main[family_id], *self.extras[family_id]]]
        documents += [(n.issued_at, 0, n.id, n.lines, False) for n in self.credits[family_id]]
        billed = {}
        for _at, _order, _id, lines, adds in sorted(documents, key=lambda d: d[:3]):
            for line in lines:
                for day in line.day_list:
                    key = (line.child_id, line.activity_id, day)
                    if adds:
                        billed[key] = Billed(line.kind, line.unit_price, line.child_name,
                                             line.activity_name)
                    else:
                        billed.pop(key, None)
        return billed


class Pricing:
    """What `draft_lines` needs, loaded once for every family."""

    def __init__(self):
        self.settings = BillingSettings.current()
        self.brackets = QfBracket.ordered()
        self.prices = Tariff.grid()
        self.activities = {a.id: a for a in db.session.scalars(select(Activity))}

    def bracket(self, family):
        return bracket_for(family.quotient, self.brackets, self.settings.default_bracket)

    def due(self, family, month_activity):
        """{(child_id, activity_id, day): (kind, unit price, child, activity)} now."""
        due = {}
        lines = draft_lines(family, month_activity, self.settings, self.prices,
                            self.bracket(family), self.activities)
        for line in lines:
            for day in line.days:
                due[(line.child.id, line.activity.id, day)] = (
                    line.kind, line.unit_price, line.child, line.activity)
        return due


def _reason(key, before, now, month_activity):
    """Why the day changed, in the words of billing staff."""
    mark = month_activity.marks.get(key)
    if now is None:
        if mark is not None and mark.status == ABSENT and mark.absence_reason == ILL \
                and mark.certificate:
            return CERTIFICATE
        if month_activity.bookings.get(key) != RESERVED and (
                mark is None or mark.status != PRESENT):
            return RELEASED
        return ROLLCALL
    if before is None:
        return ROLLCALL if mark is not None else ADDED
    if before.kind != now[0]:
        return CERTIFICATE if now[0] == ABSENT_ILL_CERTIFIED else ROLLCALL
    return PRICE


def _grouped(entries):
    """[(key, child_id, activity_id, names, kind, price, reason)] -> CorrectionLine, in the
    order of an invoice (child, activity, kind)."""
    lines = {}
    for day, child_id, activity_id, child_name, activity_name, kind, price, reason in entries:
        group = (child_id, activity_id, kind, price, reason)
        line = lines.get(group)
        if line is None:
            line = lines[group] = CorrectionLine(child_id, activity_id, child_name,
                                                 activity_name, kind, price, reason)
        line.days.append(day)
    order = {kind: index for index, kind in enumerate(DAY_KINDS)}
    for line in lines.values():
        line.days.sort()
    return sorted(lines.values(), key=lambda line: (
        line.child_name, line.activity_name, order.get(line.kind, 99), line.unit_price,
        line.reason))


# A change of kind that is no change of money: an illness declared by the parent was
# billed as an unexcused absence while its certificate was awaited; accepted, its first
# day is a « jour de carence » at the same price. No credit note and new invoice of the
# same amount for it.
SAME_MONEY = {(ABSENT_UNEXCUSED, ABSENT_ILL_CARENCE)}


def compare(family, billed, due, month_activity):
    credits, extras = [], []
    for key in sorted(set(billed) | set(due), key=lambda k: (k[0] or 0, k[1] or 0, k[2])):
        before, now = billed.get(key), due.get(key)
        if before is not None and now is not None and before.unit_price == now[1] and (
                before.kind == now[0] or (before.kind, now[0]) in SAME_MONEY):
            continue
        reason = _reason(key, before, now, month_activity)
        child_id, activity_id, day = key
        if before is not None:
            credits.append((day, child_id, activity_id, before.child_name, before.activity_name,
                            before.kind, before.unit_price, reason))
        if now is not None:
            kind, price, child, activity = now
            extras.append((day, child_id, activity_id, child.full_name, activity.name, kind,
                           price, reason))
    return _grouped(credits), _grouped(extras)


def pending_corrections(month, family_ids=None):
    """The corrections waiting for `month`, one per family whose bill changed: a few
    queries whatever the number of families."""
    documents = MonthDocuments(month, family_ids)
    candidates = [f for f in documents.main if not documents.cancelled(f)]
    if not candidates:
        return []
    families = db.session.scalars(select(Family).where(Family.id.in_(candidates))
                                  .options(selectinload(Family.children))
                                  .order_by(Family.name, Family.id)).all()
    first, last = month_bounds(month)
    month_activity = MonthActivity([c.id for f in families for c in f.children], first, last)
    pricing = Pricing()
    found = []
    for family in families:
        credits, extras = compare(family, documents.billed(family.id),
                                  pricing.due(family, month_activity), month_activity)
        if credits or extras:
            found.append(Correction(family, documents.main[family.id], credits, extras))
    return found


def _line_rows(lines, parent_key, parent_id):
    return [{parent_key: parent_id, "position": position, "child_id": line.child_id,
             "activity_id": line.activity_id, "child_name": line.child_name,
             "activity_name": line.activity_name, "kind": line.kind,
             "days": ",".join(d.isoformat() for d in line.days), "quantity": line.quantity,
             "unit_price": line.unit_price, "amount": line.amount, "reason": line.reason}
            for position, line in enumerate(lines)]


def _take_off(invoices, amount):
    """Spread a credit note's amount over the month's invoices (the main one first, then
    its supplementary ones), never below zero; a paid invoice lets go of the payments
    beyond what it now asks, which become the family's credit."""
    released = []
    for invoice in invoices:
        if amount <= 0:
            break
        share = min(amount, invoice.net_total)
        if share <= 0:
            continue
        invoice.credited += share
        amount -= share
        excess = invoice.amount_paid - invoice.net_total
        if excess > 0:
            released.append((invoice, excess))
    return released


def _release(released):
    """Give back payments allocated beyond what the invoices now ask (the latest share
    first): the money is free again, i.e. the family's credit."""
    if not released:
        return
    shares = defaultdict(list)
    for share in db.session.scalars(select(PaymentAllocation).where(
            PaymentAllocation.invoice_id.in_([i.id for i, _e in released]))
            .order_by(PaymentAllocation.id.desc())):
        shares[share.invoice_id].append(share)
    for invoice, excess in released:
        for share in shares[invoice.id]:
            if excess <= 0:
                break
            part = min(excess, share.amount)
            share.amount -= part
            invoice.amount_paid -= part
            excess -= part
            if share.amount == 0:
                db.session.delete(share)


def _issue(corrections, today, by, run_id=None, cancels=False, note=""):
    """Make the credit notes and supplementary invoices of `corrections`, in bulk."""
    if not corrections:
        return [], []
    invoice_counter = InvoiceCounter.lock(today.year)
    note_counter = CreditNoteCounter.lock(today.year)
    settings = BillingSettings.current()
    pricing = Pricing()
    now = utcnow()
    notes, extras = [], []
    for correction in corrections:
        family = correction.family
        if correction.credits:
            notes.append({"family_id": family.id, "invoice_id": correction.invoice.id,
                          "number": credit_note_number(today.year, note_counter.next_number()),
                          "issued_at": now, "issued_on": today,
                          "total": correction.credit_total, "family_name": family.name,
                          "family_address": family.postal_address, "cancels": cancels,
                          "note": note, "created_by_id": by.id if by else None,
                          "run_id": run_id})
        if correction.extras:
            bracket = pricing.bracket(family)
            extras.append({
                "family_id": family.id, "month": correction.invoice.month,
                "number": invoice_number(today.year, invoice_counter.next_number()),
                "issued_at": now, "issued_on": today,
                "due_on": today + timedelta(days=settings.due_days),
                "total": correction.extra_total, "amount_paid": ZERO, "credited": ZERO,
                "family_name": family.name, "family_address": family.postal_address,
                "quotient": family.quotient, "bracket_label": bracket.label if bracket else "",
                "mandate_reference": family.mandate_reference if family.has_mandate else "",
                "corrects_id": correction.invoice.id})
    by_family = {c.family.id: c for c in corrections}
    if notes:
        db.session.execute(insert(CreditNote), notes)
        ids = dict(db.session.execute(select(CreditNote.number, CreditNote.id).where(
            CreditNote.number.in_([n["number"] for n in notes]))).all())
        db.session.execute(insert(CreditNoteLine), [
            row for n in notes for row in _line_rows(by_family[n["family_id"]].credits,
                                                     "credit_note_id", ids[n["number"]])])
    if extras:
        db.session.execute(insert(Invoice), extras)
        ids = dict(db.session.execute(select(Invoice.number, Invoice.id).where(
            Invoice.number.in_([e["number"] for e in extras]))).all())
        db.session.execute(insert(InvoiceLine), [
            row for e in extras for row in _line_rows(by_family[e["family_id"]].extras,
                                                      "invoice_id", ids[e["number"]])])
    _settle(corrections, notes)
    return [n["number"] for n in notes], [e["number"] for e in extras]


def _settle(corrections, notes):
    """Take the credit notes off the invoices, free what was paid beyond, then spread
    every family's free money again (over the new supplementary invoices too)."""
    family_ids = [c.family.id for c in corrections]
    month = corrections[0].invoice.month
    invoices = defaultdict(list)
    for invoice in db.session.scalars(select(Invoice).where(
            Invoice.family_id.in_(family_ids), Invoice.month == month)
            .order_by(Invoice.corrects_id.is_not(None), Invoice.id)
            .execution_options(populate_existing=True)):
        invoices[invoice.family_id].append(invoice)
    released = []
    for row in notes:
        released += _take_off(invoices[row["family_id"]], row["total"])
    db.session.flush()
    _release(released)
    db.session.flush()
    apply_credit(family_ids)


def issue_corrections(month, today, by, family_ids=None, run_id=None):
    """Issue the corrections waiting for `month` (of `family_ids`, or every family), in
    the caller's transaction, which holds the write lock (begin_write). The counters and
    the families are locked before computing, so two runs at once wait for each other
    and the second finds nothing left. Returns (credit note numbers, invoice numbers)."""
    InvoiceCounter.lock(today.year)
    CreditNoteCounter.lock(today.year)
    if family_ids is None:
        family_ids = sorted(db.session.scalars(select(Invoice.family_id).where(
            Invoice.month == month, Invoice.corrects_id.is_(None))))
    lock_families(family_ids)
    return _issue(pending_corrections(month, family_ids), today, by, run_id=run_id)


def cancel_invoice(invoice, today, by, note):
    """Cancel a main invoice by a credit note of everything its month still bills the
    family; the month is then left out of corrections. Returns the credit note number,
    or None when nothing is left to cancel."""
    InvoiceCounter.lock(today.year)
    CreditNoteCounter.lock(today.year)
    lock_families([invoice.family_id])
    documents = MonthDocuments(invoice.month, [invoice.family_id])
    if documents.cancelled(invoice.family_id):
        return None
    billed = documents.billed(invoice.family_id)
    credits = _grouped([(day, child_id, activity_id, b.child_name, b.activity_name, b.kind,
                         b.unit_price, CANCELLED)
                        for (child_id, activity_id, day), b in billed.items()])
    family = db.session.get(Family, invoice.family_id, options=[
        selectinload(Family.guardians).selectinload(Guardian.user)])
    numbers, _extras = _issue([Correction(family, invoice, credits, [])], today, by,
                              cancels=True, note=note)
    return numbers[0] if numbers else None
