"""SEPA direct debit (prélèvement): the pain.008 file for the bank, built with sepaxml
and validated against the schema sepaxml ships (ISO 20022 pain.008.001.02).

Making the file records one "prélèvement" payment per invoice it collects, so an invoice
is never in two files; a rejected debit is cancelled like any payment."""
from sepaxml import SepaDD
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models.billing import (
    CENT,
    DIRECT_DEBIT,
    DirectDebitBatch,
    Invoice,
    Payment,
    PaymentAllocation,
    lock_families,
)
from models.family import Family

SCHEMA = "pain.008.001.02"
FIRST = "FRST"
RECURRING = "RCUR"


def candidates(month=None):
    """Unpaid invoices of families with a signed mandate and an account, by number."""
    query = (select(Invoice).join(Family, Family.id == Invoice.family_id)
             .where(Invoice.is_open(), Family.mandate_reference != "",
                    Family.mandate_signed_on.is_not(None), Family.iban != "")
             .options(selectinload(Invoice.family)).order_by(Invoice.number))
    if month is not None:
        query = query.where(Invoice.month == month)
    return db.session.scalars(query).all()


def _mandates_in_use(family_ids):
    """(family_id, mandate reference) already debited: their next debit is recurrent."""
    return set(db.session.execute(
        select(Payment.family_id, Payment.reference).where(
            Payment.family_id.in_(family_ids), Payment.method == DIRECT_DEBIT,
            Payment.cancelled_at.is_(None))).all())


def sepa_file(settings, invoices, collection_on, used):
    """(message id, XML bytes) of a pain.008 collecting each invoice's balance; sepaxml
    validates it against the schema and raises sepaxml.validation.ValidationError."""
    debit = SepaDD({"name": settings.creditor_name, "IBAN": settings.creditor_iban,
                    "BIC": settings.creditor_bic, "batch": True,
                    "creditor_id": settings.creditor_identifier, "currency": "EUR"},
                   schema=SCHEMA, clean=True)
    for invoice in invoices:
        family = invoice.family
        payment = {
            "name": family.bank_holder or family.name,
            "IBAN": family.iban,
            "amount": int(invoice.balance / CENT),
            "type": RECURRING if (family.id, family.mandate_reference) in used else FIRST,
            "collection_date": collection_on,
            "mandate_id": family.mandate_reference,
            "mandate_date": family.mandate_signed_on,
            "description": f"Facture {invoice.number} {settings.creditor_name}",
            "endtoend_id": invoice.number,
        }
        if family.bic:
            payment["BIC"] = family.bic
        debit.add_payment(payment)
    return debit.msg_id, debit.export(validate=True)


def make_batch(settings, collection_on, by, month=None):
    """Build, validate and keep the file for every invoice to collect, and record their
    payments, in the caller's transaction (it holds the write lock). None if nothing
    is to be collected."""
    lock_families(sorted({i.family_id for i in candidates(month)}))
    invoices = candidates(month)  # again, under the lock: nothing paid in between
    if not invoices:
        return None
    used = _mandates_in_use([i.family_id for i in invoices])
    message_id, xml = sepa_file(settings, invoices, collection_on, used)
    batch = DirectDebitBatch(created_by_id=by.id, collection_on=collection_on,
                             message_id=message_id, count=len(invoices),
                             total=sum(i.balance for i in invoices), xml=xml.decode())
    db.session.add(batch)
    db.session.flush()
    for invoice in invoices:
        amount = invoice.balance
        payment = Payment(family_id=invoice.family_id, invoice_id=invoice.id,
                          method=DIRECT_DEBIT, amount=amount, received_on=collection_on,
                          reference=invoice.family.mandate_reference, recorded_by_id=by.id,
                          batch_id=batch.id)
        payment.allocations.append(PaymentAllocation(invoice_id=invoice.id, amount=amount))
        invoice.amount_paid += amount
        db.session.add(payment)
    db.session.flush()
    return batch
