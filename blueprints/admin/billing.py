"""Billing in the staff area: invoicing runs and their progress, invoices, payments,
medical certificates of illness absences, a family's billing details and the SEPA
direct-debit file. Tariffs and billing rules (admins) are in tariffs.py."""
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sepaxml.validation import ValidationError as SepaValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import HiddenField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import (
    AnyOf,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from blueprints.admin.blueprint import DASHBOARD_COUNTERS, bp
from blueprints.admin.exports import month_arg
from blueprints.admin.families import family_or_404
from blueprints.admin.money import ReasonForm, money_only, money_only_on_post
from blueprints.common.fields import DayField, EurosField
from blueprints.common.forms import REQUIRED
from blueprints.common.invoices import METHOD_LABELS, STATUS_LABELS
from blueprints.common.invoices import euros as _euros
from blueprints.common.invoices import invoice_pdf_response as pdf_response
from blueprints.common.pager import page_of
from blueprints.common.pages import render_page
from extensions import db
from jobs.invoicing import start_run
from models import (
    Attendance,
    AuditEvent,
    BillingSettings,
    Child,
    CreditNote,
    DirectDebitBatch,
    Invoice,
    InvoicingRun,
    Payment,
    PaymentAllocation,
)
from models.attendance import ABSENT, ILL
from models.billing import (
    LATE,
    ONLINE,
    PAID,
    account_of,
    cancel_payment,
    money,
    month_bounds,
    needs_confirmation,
    record_payment,
)
from models.clock import paris_today as today
from models.direct_debit import candidates, make_batch
from security import is_htmx, no_store

PAGE_SIZE = 50

DASHBOARD_COUNTERS.append((lambda n: ngettext("facture en retard", "factures en retard", n),
                           lambda: Invoice.overdue_count(today()), "admin.invoices"))


def last_month():
    return (today().replace(day=1) - timedelta(days=1)).replace(day=1)


# -- Invoicing runs ------------------------------------------------------------------------

class RunForm(FlaskForm):
    month = StringField(_l("Mois à facturer"), validators=[
        InputRequired(REQUIRED), Regexp(r"^\d{4}-\d{2}$", message=_l("Choisissez un mois."))],
        description=_l("Un mois terminé. Relancer un mois déjà facturé n'émet que les "
                       "factures manquantes."))

    def validate_month(self, field):
        try:
            first = date.fromisoformat(f"{field.data}-01")
        except ValueError as error:
            raise ValidationError(_l("Choisissez un mois.")) from error
        if first >= today().replace(day=1):
            raise ValidationError(_l("Seul un mois terminé peut être facturé."))
        field.month = first


@bp.route("/facturation", methods=["GET", "POST"])
@money_only_on_post
def billing():
    form = RunForm(data={"month": last_month().strftime("%Y-%m")}
                   if request.method == "GET" else None)
    if form.validate_on_submit():
        run, created = start_run(form.month.month, current_user)
        db.session.commit()
        if not created:
            flash(_("La facturation de ce mois est déjà en cours : voici son avancement."),
                  "info")
        return redirect(url_for("admin.invoicing_run", run_id=run.id))
    status = 422 if request.method == "POST" else 200
    return render_page("admin/billing/index.html", form=form, runs=InvoicingRun.recent(),
                       settings=BillingSettings.current()), status


@bp.get("/facturation/executions/<int:run_id>")
def invoicing_run(run_id):
    run = db.session.get(InvoicingRun, run_id) or abort(404)
    return render_page("admin/billing/run.html", block="progress", run=run)


# -- Invoices ------------------------------------------------------------------------------

@bp.get("/factures")
def invoices():
    filters = {"mois": request.args.get("mois", ""), "statut": request.args.get("statut", ""),
               "q": request.args.get("q", "").strip()}
    month = month_arg(filters["mois"])[0] if filters["mois"] else None
    shown = page_of(partial(Invoice.search, today=today(), month=month,
                            status=filters["statut"], text=filters["q"]), PAGE_SIZE)
    pager_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_page("admin/billing/invoices.html", block="results", invoices=shown.rows,
                       filters=filters, **shown.context,
                       pager_args=pager_args, today=today(),
                       statuses=[("open", _l("À payer")), (LATE, STATUS_LABELS[LATE]),
                                 (PAID, STATUS_LABELS[PAID])])


def invoice_or_404(invoice_id):
    invoice = db.session.get(Invoice, invoice_id, options=[selectinload(Invoice.lines),
                                                           selectinload(Invoice.family)])
    if invoice is None:
        abort(404)
    return invoice


class PaymentForm(FlaskForm):
    amount = EurosField(_l("Montant reçu"), validators=[
        InputRequired(REQUIRED),
        NumberRange(min=Decimal("0.01"), max=Decimal("100000"),
                    message=_l("Saisissez un montant positif, jusqu'à 100 000 €."))])
    method = SelectField(_l("Mode de règlement"),
                         # online payments are recorded by the payment service
                         choices=[SelectChoice(k, v) for k, v in METHOD_LABELS.items()
                                  if k != ONLINE])
    received_on = DayField(_l("Reçu le"), validators=[InputRequired(REQUIRED)])
    reference = StringField(_l("Référence (facultatif)"), validators=[Optional(), Length(max=60)],
                            description=_l("Numéro du chèque ou des CESU, par exemple."))
    invoice_id = SelectField(_l("Pour la facture"), coerce=int,
                             description=_l("Le surplus éventuel devient un avoir de la "
                                            "famille, déduit de ses prochaines factures."))
    # The amount the agent confirmed after the overpayment warning (the checkbox's value):
    # a confirmation is only good for the amount it was asked about.
    confirmed_amount = HiddenField()
    next = HiddenField()

    def validate_received_on(self, field):
        if field.data and field.data > today():
            raise ValidationError(_l("La date de réception ne peut pas être dans le futur."))

    def amount_key(self):
        """The amount as the confirmation box carries it: '12345.00'."""
        return str(money(self.amount.data))

    def confirmed(self):
        return self.confirmed_amount.data == self.amount_key()


def payment_form(family, invoices, invoice=None):
    form = PaymentForm(data={"received_on": today(), "invoice_id": invoice.id if invoice else 0}
                       if request.method == "GET" else None)
    form.invoice_id.choices = [SelectChoice(0, _("Aucune en particulier (les plus anciennes "
                                                 "d'abord)"))] + [
        SelectChoice(i.id, f"{i.number} · {_euros(i.balance)}") for i in invoices
        if i.balance > 0]
    return form


@bp.get("/factures/<int:invoice_id>")
@no_store
def invoice(invoice_id):
    found = invoice_or_404(invoice_id)
    credit_notes, supplements = CreditNote.of_invoice(found)
    return render_page("admin/billing/invoice.html", invoice=found, today=today(),
                       credit_notes=credit_notes, supplements=supplements,
                       payments=_payments_of(found),
                       form=payment_form(found.family, [found], found))


def _payments_of(invoice):
    """The payments that settle part of the invoice, and those handed in for it."""
    shares = PaymentAllocation.for_invoice(invoice.id)
    handed = db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)).all()
    rows = {share.payment.id: (share.payment, share.amount) for share in shares}
    for payment in handed:
        rows.setdefault(payment.id, (payment, None))
    return sorted(rows.values(), key=lambda row: (row[0].received_on, row[0].id))


@bp.get("/factures/<int:invoice_id>/facture.pdf")
def invoice_pdf(invoice_id):
    return pdf_response(invoice_or_404(invoice_id))


@bp.post("/familles/<int:family_id>/reglements")
@money_only
def record_family_payment(family_id):
    """Record a payment; the form comes back with its errors, or with a warning and a box
    to tick when the amount exceeds what the family owes by more than a small margin."""
    family = family_or_404(family_id)
    invoices = Invoice.for_family(family.id)
    form = payment_form(family, invoices)
    back = form.next.data if (form.next.data or "").startswith("/admin/") else url_for(
        "admin.family_billing", family_id=family.id)
    excess = None
    if form.validate_on_submit():
        excess = needs_confirmation(family.id, form.amount.data)
        if excess is None or form.confirmed():
            return _record(family, invoices, form, back)
    body = render_page("admin/billing/payment.html", family=family, form=form, back=back,
                       excess=excess, account=account_of(family.id))
    return body, 200 if excess is not None else 422


def _record(family, invoices, form, back):
    target = next((i for i in invoices if i.id == form.invoice_id.data), None)
    payment = record_payment(family, form.amount.data, form.method.data, form.received_on.data,
                             current_user, invoice=target,
                             reference=(form.reference.data or "").strip())
    AuditEvent.record(current_user, "payment.recorded", payment, family_id=family.id,
                      method=payment.method, amount=str(payment.amount),
                      invoice=target.number if target else None)
    db.session.commit()
    account = account_of(family.id)
    message = _("Règlement de %(amount)s enregistré.", amount=_euros(payment.amount))
    if account.credit:
        message += " " + _("La famille dispose d'un avoir de %(credit)s.",
                           credit=_euros(account.credit))
    flash(message, "success")
    return redirect(back)


@bp.route("/reglements/<int:payment_id>/annuler", methods=["GET", "POST"])
@money_only
@no_store
def cancel_family_payment(payment_id):
    """A page of its own asks why and to confirm: a cancelled payment makes invoices due
    again, it is not a click to make by mistake."""
    payment = db.session.get(Payment, payment_id) or abort(404)
    form = ReasonForm(data={"next": request.args.get("next", "")}
                      if request.method == "GET" else None)
    back = form.next.data if (form.next.data or "").startswith("/admin/") else url_for(
        "admin.family_billing", family_id=payment.family_id)
    if payment.cancelled_at is None and form.validate_on_submit():
        cancel_payment(payment, current_user)
        AuditEvent.record(current_user, "payment.cancelled", payment,
                          family_id=payment.family_id, method=payment.method,
                          amount=str(payment.amount), reason=form.reason.data.strip())
        db.session.commit()
        flash(_("Règlement annulé : les factures qu'il réglait sont de nouveau dues."), "success")
        return redirect(back)
    status = 422 if request.method == "POST" and payment.cancelled_at is None else 200
    return render_page("admin/billing/cancel_payment.html", payment=payment, form=form,
                       back=back), status


# -- A family's billing details ------------------------------------------------------------

class FamilyBillingForm(FlaskForm):
    quotient = IntegerField(_l("Quotient familial (en euros)"),
                            validators=[Optional(), NumberRange(min=0, max=100000)],
                            description=_l("D'après l'attestation CAF ou MSA. Vide : la "
                                           "tranche par défaut s'applique."))
    mandate_reference = StringField(_l("Référence unique du mandat (RUM)"),
                                    validators=[Optional(), Length(max=35), Regexp(
                                        r"^[A-Za-z0-9+?/:().,' -]+$",
                                        message=_l("Lettres sans accent, chiffres et + ? / "
                                                   ": ( ) . , ' - seulement."))],
                                    description=_l("Vide si la famille ne paie pas par "
                                                   "prélèvement."))
    mandate_signed_on = DayField(_l("Date de signature du mandat"), validators=[Optional()])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if valid and bool(self.mandate_reference.data) != bool(self.mandate_signed_on.data):
            self.mandate_signed_on.errors.append(
                _("Un mandat a une référence et une date de signature."))
            return False
        if valid and self.mandate_signed_on.data and self.mandate_signed_on.data > today():
            self.mandate_signed_on.errors.append(
                _("La date de signature ne peut pas être dans le futur."))
            return False
        return valid

    def values(self):
        return {"quotient": self.quotient.data,
                "mandate_reference": (self.mandate_reference.data or "").strip(),
                "mandate_signed_on": self.mandate_signed_on.data}


@bp.route("/familles/<int:family_id>/facturation", methods=["GET", "POST"])
@no_store
def family_billing(family_id):
    family = family_or_404(family_id)
    form = FamilyBillingForm(obj=family if request.method == "GET" else None)
    if form.validate_on_submit():
        changed = []
        for name, value in form.values().items():
            if getattr(family, name) != value:
                setattr(family, name, value)
                changed.append(name)
        if changed:
            AuditEvent.record(current_user, "billing_details.updated", family,
                              family_id=family.id, fields=changed)
        db.session.commit()
        flash(_("Informations de facturation enregistrées.") if changed
              else _("Aucune modification à enregistrer."), "success")
        return redirect(url_for("admin.family_billing", family_id=family.id))
    invoices = Invoice.for_family(family.id)
    body = render_page("admin/billing/family.html", family=family, form=form,
                       invoices=invoices, credit_notes=CreditNote.for_family(family.id),
                       payment_rows=[(p, None) for p in Payment.for_family(family.id)],
                       account=account_of(family.id), today=today(),
                       payment_form=payment_form(family, invoices))
    return body, 422 if request.method == "POST" else 200


# -- Medical certificates of illness absences ----------------------------------------------

class CertificateForm(FlaskForm):
    certificate = HiddenField(validators=[AnyOf(("0", "1"))])


def _illness_absences(first, last):
    return db.session.scalars(
        select(Attendance).join(Child, Child.id == Attendance.child_id)
        .where(Attendance.day.between(first, last), Attendance.status == ABSENT,
               Attendance.absence_reason == ILL)
        .options(selectinload(Attendance.child).selectinload(Child.family),
                 selectinload(Attendance.activity))
        .order_by(Child.last_name, Child.first_name, Attendance.day)).all()


@bp.get("/facturation/certificats")
def certificates():
    first, last = month_arg(request.args.get("mois", ""), default=last_month())
    absences = _illness_absences(first, last)
    invoiced = set(db.session.scalars(select(Invoice.family_id).where(Invoice.month == first)))
    return render_page("admin/billing/certificates.html", absences=absences, month=first,
                       invoiced=invoiced)


@bp.post("/facturation/certificats/<int:attendance_id>")
def set_certificate(attendance_id):
    mark = db.session.get(Attendance, attendance_id, options=[
        selectinload(Attendance.child).selectinload(Child.family),
        selectinload(Attendance.activity)])
    if mark is None or mark.status != ABSENT or mark.absence_reason != ILL:
        abort(404)
    form = CertificateForm()
    if not form.validate_on_submit():
        abort(400)
    mark.certificate = form.certificate.data == "1"
    AuditEvent.record(current_user, "certificate.recorded" if mark.certificate
                      else "certificate.removed", mark, family_id=mark.child.family_id,
                      day=mark.day.isoformat(), activity_id=mark.activity_id)
    db.session.commit()
    first, _last = month_bounds(mark.day.replace(day=1))
    invoiced = set(db.session.scalars(select(Invoice.family_id).where(
        Invoice.month == first, Invoice.family_id == mark.child.family_id)))
    if is_htmx():
        return render_template("admin/billing/_certificate.html", absence=mark,
                               invoiced=invoiced)
    return redirect(url_for("admin.certificates", mois=first.strftime("%Y-%m")))


# -- SEPA direct debit ---------------------------------------------------------------------

class DebitForm(FlaskForm):
    collection_on = DayField(_l("Date de prélèvement"), validators=[InputRequired(REQUIRED)],
                             description=_l("Au moins deux jours ouvrés après l'envoi du "
                                            "fichier à la banque."))
    month = StringField(_l("Factures du mois (facultatif)"), validators=[
        Optional(), Regexp(r"^\d{4}-\d{2}$", message=_l("Choisissez un mois."))],
        description=_l("Vide : toutes les factures restant à payer."))

    def validate_collection_on(self, field):
        if field.data and field.data <= today():
            raise ValidationError(_l("La date de prélèvement doit être après aujourd'hui."))


@bp.route("/prelevements", methods=["GET", "POST"])
@money_only_on_post
def direct_debits():
    settings = BillingSettings.current()
    form = DebitForm(data={"collection_on": today() + timedelta(days=5)}
                     if request.method == "GET" else None)
    if settings.can_debit and form.validate_on_submit():
        month = month_arg(form.month.data)[0] if form.month.data else None
        try:
            batch = make_batch(settings, form.collection_on.data, current_user, month=month)
        except SepaValidationError:
            db.session.rollback()
            flash(_("Le fichier ne respecte pas le schéma SEPA : vérifiez les coordonnées "
                    "bancaires du créancier et des familles."), "error")
            return redirect(url_for("admin.direct_debits"))
        if batch is None:
            flash(_("Aucune facture à prélever."), "info")
        else:
            AuditEvent.record(current_user, "direct_debit.created", batch, count=batch.count,
                              total=str(batch.total),
                              collection_on=batch.collection_on.isoformat())
            db.session.commit()
            flash(ngettext("Fichier de prélèvement créé : %(num)s facture. Téléchargez-le et "
                           "déposez-le sur le site de la banque.",
                           "Fichier de prélèvement créé : %(num)s factures. Téléchargez-le et "
                           "déposez-le sur le site de la banque.", batch.count), "success")
        return redirect(url_for("admin.direct_debits"))
    to_collect = candidates()
    batches = db.session.scalars(select(DirectDebitBatch).order_by(DirectDebitBatch.id.desc())
                                 .limit(20)).all()
    status = 422 if request.method == "POST" else 200
    return render_page("admin/billing/debits.html", form=form, settings=settings,
                       to_collect=to_collect, total=sum(i.balance for i in to_collect),
                       batches=batches), status


@bp.get("/prelevements/<int:batch_id>.xml")
@money_only
def direct_debit_file(batch_id):
    batch = db.session.get(DirectDebitBatch, batch_id) or abort(404)
    AuditEvent.record_shown(current_user, "direct_debit.downloaded", [(batch, None)])
    return batch.xml.encode(), 200, {
        "Content-Type": "application/xml; charset=utf-8",
        "Content-Disposition": f'attachment; filename="prelevement-{batch.id}.xml"',
        "Cache-Control": "no-store",
    }

