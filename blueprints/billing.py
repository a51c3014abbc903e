"""Espace facturation: a family's invoices, their PDF, the payments received and where
the account stands. The words for amounts, statuses and kinds of days are shared with
the staff area and the emails (template filters registered here)."""
import os

from flask import Blueprint, abort, current_app, render_template
from flask_babel import format_currency, format_date
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from blueprints import current_town, own_or_404, render_page
from blueprints.home import home_counter, today
from models import BillingSettings, CreditNote, Invoice, Payment, PaymentAllocation, QfBracket
from models.billing import (
    ABSENT_EXCUSED,
    ABSENT_ILL,
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
    ONLINE,
    PAID,
    PARTIAL,
    RESERVED_DAY,
    UNRESERVED_DAY,
    account_of,
    bracket_for,
)
from models.statements import eligible_child, statement_years  # issue 15
from security import never_stored, parent_required

bp = Blueprint("billing", __name__, url_prefix="/facturation")
bp.before_request(parent_required)
bp.after_request(never_stored)  # health, bank and billing data: no cache keeps a copy

STATUS_LABELS = {DUE: _l("À payer"), PARTIAL: _l("Partiellement payée"), PAID: _l("Payée"),
                 LATE: _l("En retard"), CANCELLED_INVOICE: _l("Annulée par un avoir")}
STATUS_BADGES = {DUE: "badge--wait", PARTIAL: "badge--wait", PAID: "badge--ok",
                 LATE: "badge--no", CANCELLED_INVOICE: "badge--ok"}
KIND_LABELS = {
    RESERVED_DAY: _l("Jours réservés"),
    ABSENT_UNEXCUSED: _l("Absences non justifiées"),
    ABSENT_ILL: _l("Absences pour maladie sans certificat médical"),
    ABSENT_ILL_CERTIFIED: _l("Absences pour maladie avec certificat médical"),
    ABSENT_EXCUSED: _l("Absences excusées"),
    UNRESERVED_DAY: _l("Présences sans réservation (tarif majoré)"),
}
METHOD_LABELS = {CHEQUE: _l("Chèque"), CASH: _l("Espèces"), CESU: _l("CESU"),
                 CARD: _l("Carte bancaire au guichet"), DIRECT_DEBIT: _l("Prélèvement"),
                 ONLINE: _l("Paiement en ligne")}
PDF_CSS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static", "css",
                       "invoice-pdf.css")


@bp.app_template_filter("euros")
def euros(amount):
    """12.5 -> '12,50 €' in French, '€12.50' in English."""
    return format_currency(amount, "EUR")


@bp.app_template_filter("month_in_words")
def month_in_words(first_day):
    return format_date(first_day, "MMMM y")


@bp.app_template_filter("invoice_status")
def invoice_status(status):
    return STATUS_LABELS[status]


@bp.app_template_filter("day_kind")
def day_kind_label(kind):
    return KIND_LABELS.get(kind, kind)


@bp.app_template_filter("payment_method")
def payment_method(method):
    return METHOD_LABELS.get(method, method)


@bp.app_template_filter("invoice_badge")
def invoice_badge(status):
    return STATUS_BADGES[status]


@home_counter("billing.index", _l("Nouvelles factures"), position=40)
def new_invoices(family_id, since):
    return Invoice.issued_since(family_id, since)


@bp.get("/")
def index():
    family = current_user.family
    settings = BillingSettings.current()
    return render_page("billing/index.html", family=family, account=account_of(family.id),
                       invoices=Invoice.for_family(family.id),
                       credit_notes=CreditNote.for_family(family.id),  # issue 15
                       statement_years=statement_years(family.id),  # issue 15
                       care_years=[y for y in statement_years(family.id) if any(
                           eligible_child(c, y) for c in family.children)],  # issue 15
                       payments=Payment.for_family(family.id), today=today(),
                       settings=settings,
                       bracket=bracket_for(family.quotient, QfBracket.ordered(),
                                           settings.default_bracket))


def own_invoice_or_404(invoice_id):
    return own_or_404(Invoice, invoice_id, selectinload(Invoice.lines))


@bp.get("/<int:invoice_id>")
def invoice(invoice_id):
    found = own_invoice_or_404(invoice_id)
    credit_notes, supplements = CreditNote.of_invoice(found)  # issue 15
    return render_page("billing/invoice.html", invoice=found, today=today(),
                       allocations=PaymentAllocation.for_invoice(found.id),
                       credit_notes=credit_notes, supplements=supplements)


@bp.get("/<int:invoice_id>/facture.pdf")
def invoice_pdf(invoice_id):
    return pdf_response(own_invoice_or_404(invoice_id))


def render_pdf(invoice):
    """The invoice as a PDF (WeasyPrint): the town's header, the family, the lines, the
    total, the due date and how to pay. Made from what the invoice kept at issue."""
    from PIL import ImageFile

    strict = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import CSS, HTML

    # Importing WeasyPrint makes Pillow accept truncated images process-wide; uploaded
    # photos must still be refused when truncated (models/photos.py).
    ImageFile.LOAD_TRUNCATED_IMAGES = strict
    settings = BillingSettings.current()
    html = render_template("billing/invoice_pdf.html", invoice=invoice, town=current_town(),
                           settings=settings,
                           allocations=PaymentAllocation.for_invoice(invoice.id))
    return HTML(string=html, base_url=current_app.root_path).write_pdf(
        stylesheets=[CSS(filename=PDF_CSS)])


def pdf_response(invoice):
    name = f"facture-{invoice.number}.pdf"
    return render_pdf(invoice), 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    }


# -- Issue 15: credit notes (avoirs) ----------------------------------------------------------

@bp.get("/avoirs/<int:note_id>/avoir.pdf")
def credit_note_pdf(note_id):
    from blueprints.common.regie import pdf_bytes, pdf_download

    note = own_or_404(CreditNote, note_id, selectinload(CreditNote.lines))
    return pdf_download(pdf_bytes("billing/credit_note_pdf.html", note=note,
                                  town=current_town()), f"avoir-{note.number}.pdf")


# Yearly statements: the attestation of childcare costs and the statement of payments.

@bp.get("/attestations/<int:year>/frais-de-garde.pdf")
def childcare_attestation(year):
    from blueprints.common.regie import attestation_pdf, pdf_download

    family = current_user.family
    data = attestation_pdf(family, year, today(), current_town())
    if data is None:
        abort(404)
    return pdf_download(data, f"attestation-frais-de-garde-{year}.pdf")


@bp.get("/attestations/<int:year>/reglements.pdf")
def payment_statement_pdf(year):
    from blueprints.common.regie import payments_pdf, pdf_download

    if year not in statement_years(current_user.family.id):
        abort(404)
    return pdf_download(payments_pdf(current_user.family, year, current_town()),
                        f"releve-reglements-{year}.pdf")

# -- end of issue 15 -------------------------------------------------------------------------
