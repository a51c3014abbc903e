"""Corrections after issue (régularisations), credit notes (avoirs) and cancelling an
invoice by a full credit note: billing staff only (régisseurs and admins)."""
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired, Optional, Regexp

from blueprints.admin.billing import invoice_or_404, last_month
from blueprints.admin.blueprint import bp
from blueprints.admin.exports import month_arg
from blueprints.admin.money import ReasonForm, money_only
from blueprints.common.pages import current_town, render_page
from blueprints.common.pdf import pdf_response, render_pdf
from extensions import db
from jobs.corrections import start_corrections
from models import AuditEvent, CorrectionRun, CreditNote, Invoice
from models.clock import paris_today as today
from models.corrections import cancel_invoice, pending_corrections
from security import no_store


class IssueForm(FlaskForm):
    month = HiddenField(validators=[InputRequired(), Regexp(r"^\d{4}-\d{2}$")])
    family_id = IntegerField(validators=[Optional()])


def _months():
    """The months that have invoices, latest first."""
    return sorted(set(db.session.scalars(select(Invoice.month).distinct())), reverse=True)


@bp.get("/facturation/regularisations")
@money_only
def corrections():
    first, _last = month_arg(request.args.get("mois", ""), default=last_month())
    runs = db.session.scalars(select(CorrectionRun).where(CorrectionRun.month == first)
                              .order_by(CorrectionRun.id.desc()).limit(10)).all()
    return render_page("admin/billing/corrections.html", month=first, months=_months(),
                       pending=pending_corrections(first), runs=runs, form=IssueForm())


@bp.post("/facturation/regularisations")
@money_only
def issue_pending_corrections():
    form = IssueForm()
    if not form.validate_on_submit():
        abort(400)
    month = date.fromisoformat(f"{form.month.data}-01")
    start_corrections(month, current_user, family_id=form.family_id.data or None)
    db.session.commit()
    flash(_("Les régularisations sont en cours d'émission : les avoirs et factures "
            "complémentaires apparaissent ci-dessous dans un instant."), "success")
    return redirect(url_for("admin.corrections", mois=form.month.data))


@bp.route("/factures/<int:invoice_id>/annuler", methods=["GET", "POST"])
@money_only
@no_store
def cancel_whole_invoice(invoice_id):
    """An issued invoice is never edited nor deleted: it is cancelled by a credit note of
    everything it still bills, with the reason staff give."""
    invoice = invoice_or_404(invoice_id)
    if invoice.corrects_id is not None:
        abort(404)  # a supplementary invoice is corrected with its month's invoice
    form = ReasonForm()
    if form.validate_on_submit() and not invoice.cancelled:
        reason = form.reason.data.strip()
        number = cancel_invoice(invoice, today(), current_user, reason)
        AuditEvent.record(current_user, "invoice.cancelled", invoice,
                          family_id=invoice.family_id, number=invoice.number,
                          credit_note=number, reason=reason)
        db.session.commit()
        flash(_("Facture annulée par l'avoir %(number)s.", number=number) if number
              else _("Rien à annuler sur cette facture."), "success")
        return redirect(url_for("admin.invoice", invoice_id=invoice.id))
    status = 422 if request.method == "POST" else 200
    return render_page("admin/billing/cancel_invoice.html", invoice=invoice, form=form), status


@bp.get("/avoirs/<int:note_id>/avoir.pdf")
def credit_note_pdf(note_id):
    note = db.session.get(CreditNote, note_id) or abort(404)
    return pdf_response(render_pdf("billing/credit_note_pdf.html", note=note,
                                  town=current_town()), f"avoir-{note.number}.pdf")

