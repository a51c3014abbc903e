"""Admins only: how long the portal keeps each kind of data (the periods the daily
purge of models/retention.py applies), what the last purge erased, and the erasure of a
family on its request."""
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange

from blueprints.admin.blueprint import bp
from blueprints.common.pages import form_status, render_page
from extensions import db
from models import AuditEvent, Family, Town
from models.db_tools import begin_write
from models.retention import ERASED, KINDS, amount, change_periods, erase_family, last_purge
from security import admin_only, no_store

UNITS = {"days": _l("jours"), "months": _l("mois"), "years": _l("ans")}
LABELS = {
    "departed_family_files": (
        _l("Documents et données de santé d'une famille partie"),
        _l("Comptés depuis la fin de la dernière année scolaire où l'un de ses enfants était "
           "inscrit. La CNIL recommande de ne pas les garder au-delà de ce dont le service a "
           "besoin : un an par défaut.")),
    "sent_email_bodies": (
        _l("Contenu des emails envoyés"),
        _l("Passé ce délai, seule reste la trace de l'envoi (destinataire, objet, date). "
           "0 : effacé dès l'envoi.")),
    "unsent_link_emails": (
        _l("Emails à lien unique jamais envoyés"),
        _l("Réinitialisation de mot de passe, confirmation d'adresse : chiffrés tant qu'ils "
           "attendent, effacés dès l'envoi, ou après ce délai s'ils n'ont pas pu partir.")),
    "billing_after_erasure": (
        _l("Facturation d'une famille effacée à sa demande"),
        _l("Gardée anonymisée pour la durée comptable légale (10 ans au moins), puis "
           "effacée.")),
}
AUDIT_LABEL = (_l("Journal des actions et modifications validées"),
               _l("Qui a fait quoi, et quand. Les entrées plus anciennes sont effacées "
                  "automatiquement."))
# Periods set by the product, shown for completeness.
FIXED = [
    (_l("Projet d'accueil individualisé (PAI)"),
     _l("Effacé à la fin de l'année scolaire pour laquelle il a été donné.")),
    (_l("Sessions de connexion"), _l("Effacées 30 jours après leur fin.")),
    (_l("Emails contenant un lien de connexion"),
     _l("Jamais conservés en clair : chiffrés jusqu'à l'envoi, puis effacés.")),
]
REPORT = {
    "sent_email_bodies": _l("Contenus d'emails envoyés effacés"),
    "unsent_link_emails": _l("Emails à lien unique non envoyés effacés"),
    "pai_documents": _l("PAI d'années scolaires terminées effacés"),
    "departed_families": _l("Familles parties concernées"),
    "departed_documents": _l("Documents de familles parties effacés"),
    "departed_health_records": _l("Fiches santé de familles parties effacées"),
    "erased_families_billing": _l("Factures de familles effacées, durée légale passée"),
}
WHOLE_NUMBER = _l("Saisissez un nombre entier, sans virgule ni unité.")


class WholeNumberField(IntegerField):
    """An integer field whose bad input is said in the portal's words."""

    def process_formdata(self, valuelist):
        if valuelist:
            raw = (valuelist[0] or "").strip()
            if not raw:
                self.data = None
                return
            try:
                self.data = int(raw)
            except ValueError:
                self.data = None
                raise ValueError(str(WHOLE_NUMBER)) from None


def _field(label, description, unit, minimum, maximum):
    return WholeNumberField(
        label, description=description,
        validators=[InputRequired(WHOLE_NUMBER),
                    NumberRange(min=minimum, max=maximum, message=_l(
                        "Choisissez une durée entre %(min)s et %(max)s %(unit)s.",
                        min=minimum, max=maximum, unit=unit))],
        render_kw={"inputmode": "numeric", "min": minimum, "max": maximum})


class RetentionSettingsForm(FlaskForm):
    audit_months = _field(*AUDIT_LABEL, UNITS["months"], 1, 120)


for _kind, _spec in KINDS.items():
    setattr(RetentionSettingsForm, _kind, _field(*LABELS[_kind], UNITS[_spec.unit],
                                                 _spec.minimum, _spec.maximum))


def _current():
    values = {kind: amount(kind) for kind in KINDS}
    values["audit_months"] = Town.audit_retention()
    return values


@bp.route("/conservation", methods=["GET", "POST"])
@admin_only
@no_store
def retention_settings():
    form = RetentionSettingsForm(data=_current())
    if form.validate_on_submit():
        changed = change_periods({kind: getattr(form, kind).data for kind in KINDS})
        town = Town.current()
        if town is not None and town.audit_retention_months != form.audit_months.data:
            changed["audit_months"] = [town.audit_retention_months, form.audit_months.data]
            town.audit_retention_months = form.audit_months.data
        if changed:
            AuditEvent.record(current_user, "retention.changed", changes=changed)
            db.session.commit()
            flash(_("Les durées de conservation sont enregistrées."), "success")
        else:
            flash(_("Aucune durée n'a changé."), "info")
        return redirect(url_for("admin.retention_settings"))
    fields = [(getattr(form, kind), UNITS[spec.unit], spec.default)
              for kind, spec in KINDS.items()]
    return render_page("admin/retention.html", form=form, fields=fields, fixed=FIXED,
                       purge=last_purge(), report_labels=REPORT), form_status()


class EraseFamilyForm(FlaskForm):
    confirmation = StringField(_l("Pour confirmer, saisissez le nom de la famille"),
                               validators=[InputRequired(_l("Saisissez le nom de la famille."))])


@bp.route("/familles/<int:family_id>/effacer", methods=["GET", "POST"])
@admin_only
@no_store
def erase_family_page(family_id):
    family = db.session.get(Family, family_id) or abort(404)
    if family.name.startswith(ERASED):
        flash(_("Cette famille a déjà été effacée."), "info")
        return redirect(url_for("admin.families"))
    form = EraseFamilyForm()
    if form.validate_on_submit():
        if form.confirmation.data.strip().casefold() != family.name.strip().casefold():
            form.confirmation.errors.append(_("Ce n'est pas le nom de la famille : rien "
                                              "n'a été effacé."))
        else:
            actor_id, name = current_user.id, family.name
            begin_write()
            report = erase_family(family_id)
            event = AuditEvent.record(None, "family.erased", family_id=family_id, **report)
            event.actor_id = actor_id
            db.session.commit()
            flash(_("La famille %(name)s a été effacée ; sa facturation est gardée "
                    "anonymisée.", name=name), "success")
            return redirect(url_for("admin.families"))
    return render_page("admin/erase_family.html", family=family, form=form), form_status()
