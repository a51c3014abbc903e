"""Espace facturation: a family's invoices, their PDF, the payments received and where
the account stands. The words for amounts, statuses and kinds of days are shared with
the staff area and the emails (template filters registered here)."""

from flask import Blueprint, abort, current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from blueprints.common.counters import home_counter
from blueprints.common.invoices import invoice_pdf_response
from blueprints.common.pages import current_town, own_or_404, render_page
from blueprints.common.pdf import pdf_response, render_pdf
from models import BillingSettings, CreditNote, Invoice, Payment, PaymentAllocation, QfBracket
from models.billing import (
    account_of,
    bracket_for,
)
from models.clock import paris_today as today
from models.online_payment import PaymentSettings, online_references
from models.statements import eligible_child, statement_years
from security import never_stored, parent_required

bp = Blueprint("billing", __name__, url_prefix="/facturation")
bp.before_request(parent_required)
bp.after_request(never_stored)  # health, bank and billing data: no cache keeps a copy

@home_counter("billing.index", _l("Nouvelles factures"), position=40)
def new_invoices(family_id, since):
    return Invoice.issued_since(family_id, since)


@bp.get("/")
def index():
    family = current_user.family
    settings = BillingSettings.current()
    return render_page("billing/index.html", family=family, account=account_of(family.id),
                       invoices=Invoice.for_family(family.id),
                       credit_notes=CreditNote.for_family(family.id),
                       statement_years=statement_years(family.id),
                       care_years=[y for y in statement_years(family.id) if any(
                           eligible_child(c, y) for c in family.children)],
                       payments=Payment.for_family(family.id), today=today(),
                       settings=settings,
                       bracket=bracket_for(family.quotient, QfBracket.ordered(),
                                           settings.default_bracket),
                       online_payment=PaymentSettings.current().usable(
                           current_app.config["PAYMENT_SIMULATOR"]),
                       paid_online=online_references(family.id))


def own_invoice_or_404(invoice_id):
    return own_or_404(Invoice, invoice_id, selectinload(Invoice.lines))


@bp.get("/<int:invoice_id>")
def invoice(invoice_id):
    found = own_invoice_or_404(invoice_id)
    credit_notes, supplements = CreditNote.of_invoice(found)
    return render_page("billing/invoice.html", invoice=found, today=today(),
                       allocations=PaymentAllocation.for_invoice(found.id),
                       paid_online=online_references(found.family_id).get(found.id, []),
                       credit_notes=credit_notes, supplements=supplements)


@bp.get("/<int:invoice_id>/facture.pdf")
def invoice_pdf(invoice_id):
    return invoice_pdf_response(own_invoice_or_404(invoice_id))


# -- Credit notes (avoirs) and yearly statements ------------------------------------------

@bp.get("/avoirs/<int:note_id>/avoir.pdf")
def credit_note_pdf(note_id):
    note = own_or_404(CreditNote, note_id, selectinload(CreditNote.lines))
    return pdf_response(render_pdf("billing/credit_note_pdf.html", note=note,
                                  town=current_town()), f"avoir-{note.number}.pdf")


# Yearly statements: the attestation of childcare costs and the statement of payments.

@bp.get("/attestations/<int:year>/frais-de-garde.pdf")
def childcare_attestation(year):
    from blueprints.common.regie import attestation_pdf

    family = current_user.family
    data = attestation_pdf(family, year, today(), current_town())
    if data is None:
        abort(404)
    return pdf_response(data, f"attestation-frais-de-garde-{year}.pdf")


@bp.get("/attestations/<int:year>/reglements.pdf")
def payment_statement_pdf(year):
    from blueprints.common.regie import payments_pdf

    if year not in statement_years(current_user.family.id):
        abort(404)
    return pdf_response(payments_pdf(current_user.family, year, current_town()),
                        f"releve-reglements-{year}.pdf")

# -- end of issue 15 -------------------------------------------------------------------------
