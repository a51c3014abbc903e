"""The words of billing (amounts, statuses, kinds of days, payment methods), shared by
Espace facturation, the staff area and the emails; and the invoice as a PDF."""
from flask_babel import format_currency, format_date
from flask_babel import lazy_gettext as _l

from blueprints.common.pages import current_town
from blueprints.common.pdf import pdf_response, render_pdf
from models import BillingSettings, PaymentAllocation
from models.billing import (
    ABSENT_EXCUSED,
    ABSENT_ILL,
    ABSENT_ILL_CARENCE,
    ABSENT_ILL_CERTIFIED,
    ABSENT_UNEXCUSED,
    CANCELLED_INVOICE,
    CARD,
    CASH,
    CESU,
    CHEQUE,
    DIRECT_DEBIT,
    DUE,
    LATE,
    LATE_CANCELLED_DAY,
    LATE_RESERVED_DAY,
    ONLINE,
    PAID,
    PARTIAL,
    RESERVED_DAY,
    UNRESERVED_DAY,
)

STATUS_LABELS = {DUE: _l("À payer"), PARTIAL: _l("Partiellement payée"), PAID: _l("Payée"),
                 LATE: _l("En retard"), CANCELLED_INVOICE: _l("Annulée par un avoir")}
STATUS_BADGES = {DUE: "badge--wait", PARTIAL: "badge--wait", PAID: "badge--ok",
                 LATE: "badge--no", CANCELLED_INVOICE: "badge--ok"}
KIND_LABELS = {
    RESERVED_DAY: _l("Jours réservés"),
    LATE_RESERVED_DAY: _l("Jours réservés hors délai (tarif majoré)"),
    LATE_CANCELLED_DAY: _l("Jours annulés hors délai (facturés comme réservés)"),
    ABSENT_UNEXCUSED: _l("Absences non justifiées"),
    ABSENT_ILL: _l("Absences pour maladie sans certificat médical"),
    ABSENT_ILL_CARENCE: _l("Jours de carence (maladie avec certificat médical)"),
    ABSENT_ILL_CERTIFIED: _l("Absences pour maladie avec certificat médical"),
    ABSENT_EXCUSED: _l("Absences excusées"),
    UNRESERVED_DAY: _l("Présences sans réservation (tarif majoré)"),
}
METHOD_LABELS = {CHEQUE: _l("Chèque"), CASH: _l("Espèces"), CESU: _l("CESU"),
                 CARD: _l("Carte bancaire au guichet"), DIRECT_DEBIT: _l("Prélèvement")}
# Recorded by the portal itself, never offered to staff typing in a payment.
AUTOMATIC_METHOD_LABELS = {ONLINE: _l("Paiement en ligne")}


def euros(amount):
    """12.5 -> '12,50 €' in French, '€12.50' in English."""
    return format_currency(amount, "EUR")


def month_in_words(first_day):
    return format_date(first_day, "MMMM y")


def invoice_status(status):
    return STATUS_LABELS[status]


def day_kind_label(kind):
    return KIND_LABELS.get(kind, kind)


def payment_method(method):
    return METHOD_LABELS.get(method) or AUTOMATIC_METHOD_LABELS.get(method, method)


def invoice_badge(status):
    return STATUS_BADGES[status]


def invoice_pdf(invoice):
    """The invoice as a PDF: the town's header, the family, the lines, the total, the due
    date and how to pay. Made from what the invoice kept at issue."""
    return render_pdf("billing/invoice_pdf.html", invoice=invoice, town=current_town(),
                      settings=BillingSettings.current(),
                      allocations=PaymentAllocation.for_invoice(invoice.id))


def invoice_pdf_response(invoice):
    return pdf_response(invoice_pdf(invoice), f"facture-{invoice.number}.pdf")


FILTERS = {"euros": euros, "month_in_words": month_in_words, "invoice_status": invoice_status,
           "day_kind": day_kind_label, "payment_method": payment_method,
           "invoice_badge": invoice_badge}
