"""Unpaid invoices past their due date, per family, with the reminders sent, and the
« transmis au Trésor public » mark: billing staff only."""
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.admin.billing import invoice_or_404
from blueprints.admin.blueprint import bp
from blueprints.admin.money import money_only
from blueprints.common.forms import ConfirmForm
from blueprints.common.pages import render_page
from extensions import db
from models import AuditEvent
from models.clock import paris_today as today
from models.reminders import mark_treasury, overdue_families


@bp.get("/facturation/impayes")
@money_only
def overdue():
    return render_page("admin/billing/overdue.html", families=overdue_families(today()),
                       today=today(), form=ConfirmForm())


@bp.post("/factures/<int:invoice_id>/tresor-public")
@money_only
def hand_to_treasury(invoice_id):
    invoice = invoice_or_404(invoice_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if mark_treasury(invoice, current_user):
        AuditEvent.record(current_user, "invoice.sent_to_treasury", invoice,
                          family_id=invoice.family_id, number=invoice.number,
                          balance=str(invoice.balance), reason="unpaid after reminders")
        flash(_("Facture %(number)s marquée transmise au Trésor public.",
                number=invoice.number), "success")
    db.session.commit()
    return redirect(url_for("admin.overdue"))
