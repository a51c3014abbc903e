"""Tariffs and billing rules: configuration of the town, for admins only."""
from decimal import Decimal

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from blueprints.admin.blueprint import bp
from blueprints.common.fields import EurosField, FrenchDecimalField, parse_french_decimal
from blueprints.common.forms import REQUIRED, ConfirmForm
from blueprints.common.pages import render_page
from extensions import db
from models import Activity, AuditEvent, BillingSettings, QfBracket, Tariff
from models.billing import (
    DEFAULT_LATE_SURCHARGE,
    UNRESERVED_FIXED,
    UNRESERVED_FULL,
    UNRESERVED_SURCHARGE,
)
from security import admin_only

MAX_PRICE = Decimal("1000")
ZERO = Decimal("0")


class BracketForm(FlaskForm):
    label = StringField(_l("Nom de la tranche"), validators=[DataRequired(REQUIRED),
                                                            Length(max=60)],
                        description=_l("Par exemple : Tranche E."))
    min_quotient = IntegerField(_l("À partir d'un quotient de (euros)"), validators=[
        InputRequired(REQUIRED), NumberRange(min=0, max=100000)])

    def validate_min_quotient(self, field):
        if db.session.scalar(db.select(QfBracket.id).where(
                QfBracket.min_quotient == field.data)) is not None:
            raise ValidationError(_l("Une tranche commence déjà à ce quotient."))


def _parse_price(raw):
    """'2,35' -> Decimal('2.35'); '' -> None; anything else -> ValueError. The same
    parsing as every amount field (blueprints/fields.py), then the grid's range."""
    price = parse_french_decimal(raw, unit="€")
    if price is not None and not ZERO <= price <= MAX_PRICE:
        raise ValueError(raw)
    return price


@bp.route("/tarifs", methods=["GET", "POST"])
@admin_only
def tariffs():
    activities = Activity.ordered(only_active=False)
    brackets = QfBracket.ordered()
    grid = Tariff.grid()
    errors = {}
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        wanted = {}
        for activity in activities:
            for bracket in brackets:
                name = f"price-{activity.id}-{bracket.id}"
                try:
                    wanted[(activity.id, bracket.id)] = _parse_price(request.form.get(name))
                except ValueError:
                    errors[name] = request.form.get(name)
        if not errors:
            changed = [key for key, price in wanted.items()
                       if Tariff.set_price(key[0], key[1], price)]
            if changed:
                AuditEvent.record(current_user, "tariffs.saved", changed=len(changed))
            db.session.commit()
            flash(_("Tarifs enregistrés : ils s'appliquent aux prochaines factures."), "success")
            return redirect(url_for("admin.tariffs"))
        grid = {**grid, **{k: v for k, v in wanted.items() if v is not None}}
    status = 422 if errors else 200
    return render_page("admin/billing/tariffs.html", activities=activities, brackets=brackets,
                       grid=grid, errors=errors, form=form, bracket_form=BracketForm(),
                       delete_form=ConfirmForm(), posted=request.form), status


@bp.post("/tarifs/tranches")
@admin_only
def new_bracket():
    form = BracketForm()
    if form.validate_on_submit():
        bracket = QfBracket(label=form.label.data.strip(), min_quotient=form.min_quotient.data)
        db.session.add(bracket)
        db.session.flush()
        AuditEvent.record(current_user, "bracket.created", bracket,
                          min_quotient=bracket.min_quotient)
        db.session.commit()
        flash(_("Tranche ajoutée : saisissez ses tarifs."), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("admin.tariffs"))


@bp.post("/tarifs/tranches/<int:bracket_id>/supprimer")
@admin_only
def delete_bracket(bracket_id):
    bracket = db.session.get(QfBracket, bracket_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    AuditEvent.record(current_user, "bracket.deleted", bracket, label=bracket.label)
    db.session.delete(bracket)
    db.session.commit()
    flash(_("Tranche supprimée, avec ses tarifs."), "success")
    return redirect(url_for("admin.tariffs"))


class RulesForm(FlaskForm):
    bill_reserved_present = BooleanField(_l("Jour réservé et enfant présent : facturé"))
    bill_unmarked_reserved = BooleanField(
        _l("Jour réservé sans pointage : facturé comme une présence"))
    bill_absent_unexcused = BooleanField(_l("Absence sans motif valable : facturée"))
    bill_absent_ill = BooleanField(_l("Absence pour maladie sans certificat médical : facturée"))
    bill_absent_ill_certified = BooleanField(
        _l("Absence pour maladie avec certificat médical : facturée"))
    bill_absent_excused = BooleanField(_l("Absence excusée par le service : facturée"))
    bill_unreserved = BooleanField(_l("Présence sans réservation : facturée avec majoration"))
    unreserved_pricing = SelectField(
        _l("Prix d'une présence sans réservation"), default=UNRESERVED_SURCHARGE,
        choices=[
            SelectChoice(UNRESERVED_SURCHARGE, _l("Le tarif majoré du pourcentage ci-dessous")),
            SelectChoice(UNRESERVED_FIXED, _l("Un prix fixe (pénalité), quelle que soit la "
                                              "tranche")),
            SelectChoice(UNRESERVED_FULL, _l("Le tarif habituel, sans majoration"))])
    unreserved_surcharge_percent = FrenchDecimalField(
        _l("Majoration d'une présence sans réservation (%)"), unit="%",
        validators=[InputRequired(REQUIRED), NumberRange(min=0, max=500)])
    unreserved_fixed_price = EurosField(
        _l("Prix fixe d'une présence sans réservation"),
        validators=[Optional(), NumberRange(min=0, max=MAX_PRICE)])

    late_pricing = SelectField(
        _l("Prix d'une réservation acceptée hors délai (activités qui l'acceptent avec "
           "majoration)"), default=UNRESERVED_SURCHARGE,
        choices=[
            SelectChoice(UNRESERVED_SURCHARGE, _l("Le tarif majoré du pourcentage ci-dessous")),
            SelectChoice(UNRESERVED_FIXED, _l("Un prix fixe, quelle que soit la tranche"))])
    late_surcharge_percent = FrenchDecimalField(
        _l("Majoration d'une réservation hors délai (%)"), unit="%",
        validators=[Optional(), NumberRange(min=0, max=500)],
        description=_l("Laisser vide pour garder la majoration actuelle (50 % par défaut)."))
    late_fixed_price = EurosField(
        _l("Prix fixe d'une réservation hors délai"),
        validators=[Optional(), NumberRange(min=0, max=MAX_PRICE)])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        late_price = self.late_fixed_price
        if self.late_pricing.data == UNRESERVED_FIXED and late_price.data is None:
            if not late_price.errors:
                late_price.errors = [*late_price.errors, _l("Indiquez le prix fixe d'une "
                                                            "réservation hors délai.")]
            valid = False
        price = self.unreserved_fixed_price
        if self.unreserved_pricing.data == UNRESERVED_FIXED and price.data is None:
            if not price.errors:  # an empty price (Optional) rather than a wrong one
                price.errors = [*price.errors, _l("Indiquez le prix fixe d'une présence "
                                                  "sans réservation.")]
            return False
        return valid
    illness_declaration_until = TimeField(
        _l("Maladie déclarée par la famille : le jour même, jusqu'à"),
        validators=[Optional()], description=_l("Par exemple 09:00."))
    illness_certificate_days = IntegerField(
        _l("Délai pour envoyer le certificat médical (jours après la déclaration)"),
        validators=[Optional(), NumberRange(min=0, max=60)])
    illness_carence_days = IntegerField(
        _l("Jours de carence : premiers jours d'une maladie facturés malgré le certificat"),
        validators=[Optional(), NumberRange(min=0, max=10)])
    default_bracket_id = SelectField(_l("Tranche appliquée quand le quotient est inconnu"),
                                     coerce=int)
    due_days = IntegerField(_l("Délai de paiement (jours après l'émission)"),
                            validators=[InputRequired(REQUIRED), NumberRange(min=0, max=120)])
    first_reminder_days = IntegerField(
        _l("Premier rappel (jours après l'échéance)"),
        validators=[InputRequired(REQUIRED), NumberRange(min=1, max=365)],
        description=_l("Un email aux familles dont la facture n'est pas réglée."))
    second_reminder_days = IntegerField(
        _l("Second rappel (jours après l'échéance)"),
        validators=[InputRequired(REQUIRED), NumberRange(min=1, max=365)])
    payment_instructions = TextAreaField(
        _l("Comment payer (imprimé sur les factures)"), validators=[Length(max=1000)],
        description=_l("Par exemple : par chèque à l'ordre du Trésor public, en espèces ou "
                       "par carte au guichet."))
    creditor_name = StringField(_l("Créancier SEPA : nom"), validators=[Length(max=70)])
    creditor_iban = StringField(_l("Créancier SEPA : IBAN"), validators=[Length(max=50)])
    creditor_bic = StringField(_l("Créancier SEPA : BIC"), validators=[Length(max=11)])
    creditor_identifier = StringField(_l("Identifiant créancier SEPA (ICS)"),
                                      validators=[Optional(), Length(max=35)],
                                      description=_l("Par exemple : FR12ZZZ123456."))

    def validate_second_reminder_days(self, field):
        first = self.first_reminder_days.data
        if field.data is not None and first is not None and field.data <= first:
            raise ValidationError(_l("Le second rappel vient après le premier."))

    def validate_creditor_iban(self, field):
        from schwifty import IBAN
        from schwifty.exceptions import SchwiftyException

        if field.data:
            try:
                field.data = IBAN("".join(field.data.split())).compact
            except SchwiftyException as error:
                raise ValidationError(_l("Cet IBAN n'est pas valide.")) from error

    def validate_creditor_bic(self, field):
        from schwifty import BIC
        from schwifty.exceptions import SchwiftyException

        if field.data:
            try:
                field.data = str(BIC(field.data.strip().upper()))
            except SchwiftyException as error:
                raise ValidationError(_l("Ce BIC n'est pas valide.")) from error


ILLNESS_FIELDS = ("illness_declaration_until", "illness_certificate_days",
                  "illness_carence_days")
RULE_FIELDS = ("bill_reserved_present", "bill_unmarked_reserved", "bill_absent_unexcused",
               "bill_absent_ill", "bill_absent_ill_certified", "bill_absent_excused",
               "bill_unreserved")
# Saved with them, in the audit entry of the rules.
LATE_FIELDS = ("late_pricing", "late_surcharge_percent", "late_fixed_price")


@bp.route("/facturation/regles", methods=["GET", "POST"])
@admin_only
def billing_rules():
    settings = BillingSettings.current()
    form = RulesForm(obj=settings if request.method == "GET" else None)
    form.default_bracket_id.choices = [SelectChoice(0, _("La plus élevée"))] + [
        SelectChoice(b.id, b.label) for b in QfBracket.ordered()]
    if form.validate_on_submit():
        late_percent = settings.late_surcharge_percent
        kept = {name: getattr(settings, name) for name in ILLNESS_FIELDS}
        form.populate_obj(settings)
        if settings.late_surcharge_percent is None:  # a form without it keeps the rate
            settings.late_surcharge_percent = late_percent or DEFAULT_LATE_SURCHARGE
        for name, value in kept.items():  # a form posted without them keeps them
            if getattr(settings, name) is None:
                setattr(settings, name, value)
        settings.default_bracket_id = form.default_bracket_id.data or None
        settings.payment_instructions = (form.payment_instructions.data or "").strip()
        for name in ("creditor_name", "creditor_iban", "creditor_bic", "creditor_identifier"):
            # a form posted without them (a script, an old page) leaves them empty, not NULL
            setattr(settings, name, (getattr(settings, name) or "").strip())
        db.session.add(settings)
        db.session.flush()
        AuditEvent.record(current_user, "billing_rules.saved", settings,
                          rules={name: getattr(settings, name) for name in RULE_FIELDS},
                          late={name: str(getattr(settings, name)) for name in LATE_FIELDS},
                          illness={name: str(getattr(settings, name)) for name in ILLNESS_FIELDS})
        db.session.commit()
        flash(_("Règles de facturation enregistrées : elles s'appliquent aux prochaines "
                "factures."), "success")
        return redirect(url_for("admin.billing_rules"))
    status = 422 if request.method == "POST" else 200
    return render_page("admin/billing/rules.html", form=form, rule_fields=RULE_FIELDS), status
