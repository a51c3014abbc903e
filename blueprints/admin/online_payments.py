"""Online payment in the staff area: the settings (admins: backend, its parameters,
secrets masked, minimum amount, partial payment) and the list of online transactions
with their state (staff)."""
from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from blueprints.admin.blueprint import bp
from blueprints.common.fields import EurosField
from blueprints.common.forms import REQUIRED
from blueprints.common.pages import render_page
from extensions import db
from jobs.emails import external_url
from models import AuditEvent
from models.online_payment import (
    BACKEND_PARAMETERS,
    DUMMY,
    MASK,
    PAYFIP,
    STATES,
    SYSTEMPAY,
    OnlineTransaction,
    PaymentSettings,
    invalid_parameters,
    missing_parameters,
)
from security import admin_only, no_store

BACKEND_LABELS = {PAYFIP: _l("PayFiP (DGFiP, régie de la commune)"),
                  SYSTEMPAY: _l("SystemPay (carte bancaire, groupe BPCE)"),
                  DUMMY: _l("Simulateur (développement et démonstration)")}
PARAMETER_LABELS = {
    "numcli": _l("Numéro client PayFiP (6 chiffres, donné par la DGFiP)"),
    "saisie": _l("Mode PayFiP : T (test), X (activation) ou W (production)"),
    "vads_site_id": _l("Identifiant de la boutique SystemPay (8 chiffres)"),
    "vads_ctx_mode": _l("Mode SystemPay : TEST ou PRODUCTION"),
    "signature_algo": _l("Algorithme de signature : sha1 ou hmac_sha256"),
    "secret_test": _l("Clé de TEST"),
    "secret_production": _l("Clé de PRODUCTION"),
    "origin": _l("Nom affiché par le simulateur"),
}
STATE_LABELS = {"created": _l("en attente"), "paid": _l("payée"), "refused": _l("refusée"),
                "cancelled": _l("annulée"), "expired": _l("expirée")}
STATE_BADGES = {"created": "badge--wait", "paid": "badge--ok", "refused": "badge--no",
                "cancelled": "badge--no", "expired": "badge--no"}


def field_name(backend, name):
    return f"{backend}__{name}"


class SettingsForm(FlaskForm):
    enabled = BooleanField(_l("Les familles peuvent payer en ligne"))
    backend = SelectField(_l("Service de paiement"), validators=[InputRequired(REQUIRED)])
    minimum_amount = EurosField(_l("Montant minimum d'un paiement"), validators=[
        InputRequired(REQUIRED), NumberRange(min=0, max=10000)])
    partial_allowed = BooleanField(_l("Une facture peut être payée en partie"))

    def validate_backend(self, field):
        values = {name: self[field_name(field.data, name)].data
                  for name, _secret in BACKEND_PARAMETERS.get(field.data, ())}
        settings = PaymentSettings.current()
        stored = settings.secret_names(current_app.config["SECRET_KEY"]) if (
            settings.backend == field.data) else set()
        missing = missing_parameters(field.data, values, stored)
        if missing:
            raise ValidationError(_("À renseigner : %(names)s.", names=", ".join(
                str(PARAMETER_LABELS[name]) for name in missing)))
        wrong = invalid_parameters(field.data, values)
        if wrong:
            raise ValidationError(_("Paramètres invalides : %(names)s.", names=", ".join(
                str(PARAMETER_LABELS[name]) for name in wrong)))


for _backend, _parameters in BACKEND_PARAMETERS.items():
    for _name, _secret in _parameters:
        kind = PasswordField if _secret else StringField
        setattr(SettingsForm, field_name(_backend, _name),
                kind(PARAMETER_LABELS[_name], validators=[Length(max=200)]))


def _backend_choices():
    allowed = [PAYFIP, SYSTEMPAY] + ([DUMMY] if current_app.config["PAYMENT_SIMULATOR"] else [])
    return [(name, BACKEND_LABELS[name]) for name in allowed]


def _fill(form, settings):
    shown = settings.masked_parameters(current_app.config["SECRET_KEY"])
    form.enabled.data = settings.enabled
    form.backend.data = settings.backend or PAYFIP
    form.minimum_amount.data = settings.minimum_amount
    form.partial_allowed.data = settings.partial_allowed
    for name, secret in BACKEND_PARAMETERS.get(settings.backend, ()):
        if not secret:
            form[field_name(settings.backend, name)].data = shown.get(name, "")


@bp.route("/paiement-en-ligne/reglages", methods=["GET", "POST"])
@admin_only
@no_store
def online_payment_settings():
    settings = PaymentSettings.current()
    form = SettingsForm()
    form.backend.choices = _backend_choices()
    if request.method == "GET":
        _fill(form, settings)
    elif form.validate_on_submit():
        backend = form.backend.data
        settings.update(backend, {name: form[field_name(backend, name)].data
                                  for name, _secret in BACKEND_PARAMETERS[backend]},
                        current_app.config["SECRET_KEY"], enabled=form.enabled.data,
                        minimum_amount=form.minimum_amount.data,
                        partial_allowed=form.partial_allowed.data)
        db.session.flush()
        AuditEvent.record(current_user, "online_payment.settings_saved", settings,
                          **settings.export())
        db.session.commit()
        flash(_("Réglages du paiement en ligne enregistrés."), "success")
        return redirect(url_for("admin.online_payment_settings"))
    return render_page("admin/online_payments/settings.html", form=form,
                       parameters=BACKEND_PARAMETERS, labels=BACKEND_LABELS,
                       field_name=field_name, settings=settings, mask=MASK,
                       secrets_set=settings.secret_names(current_app.config["SECRET_KEY"]),
                       choices=dict(_backend_choices()),
                       notify_url=external_url("online_payment.notify")), (
        422 if form.errors else 200)


@bp.get("/paiement-en-ligne")
def online_transactions():
    state = request.args.get("etat", "")
    transactions = OnlineTransaction.recent(state=state if state in STATES else None)
    return render_page("admin/online_payments/list.html", transactions=transactions,
                       states=STATE_LABELS, badges=STATE_BADGES, state=state,
                       summary=OnlineTransaction.summary())
