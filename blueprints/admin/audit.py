"""Admins only: the audit log of family files (who saw or changed what, and when), its
retention period, and the authorizations the town asks parents for."""
from datetime import datetime, time, timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from blueprints.admin.blueprint import bp
from blueprints.admin.forms import AuthorizationTypeForm, RetentionForm
from blueprints.admin.money import MONEY_ACTIONS, describe_money
from blueprints.common.family_display import field_label
from blueprints.common.fields import DayField
from blueprints.common.forms import ConfirmForm
from blueprints.common.pages import form_status, render_page
from extensions import db
from models import AuditEvent, AuthorizationType, Family, Town, User
from models.calendar import FIRST_DAY, LAST_DAY
from models.changes import is_known_field
from models.clock import paris_to_utc
from security import admin_only, no_store

PAGE_SIZE = 100
# The days the log's date filter accepts.

# Every action the portal logs, in words: the one place that names them (a test checks
# that each action recorded in the code has its label here).
ACTIONS = {
    "waiting.promoted": _l("Place attribuée depuis la liste d'attente"),
    "late.accepted": _l("Demande hors délai acceptée par le service"),
    "late.refused": _l("Demande hors délai refusée par le service"),
    "illness.declared": _l("Absence pour maladie déclarée par la famille"),
    "family.erased": _l("Famille effacée à sa demande"),
    "retention.purged": _l("Purge des données arrivées au terme de leur conservation"),
    "retention.changed": _l("Durées de conservation des données modifiées"),
    "attendance.reconciled": _l("Pointage rapproché des réservations"),
    "reenrollment.opened": _l("Campagne de réinscription ouverte"),
    "reenrollment.answered": _l("Réponse de la famille à la réinscription"),
    "reenrollment.validated": _l("Réinscription validée"),
    "reenrollment.reminded": _l("Relance de réinscription envoyée"),
    "online_payment.settings_saved": _l("Réglages du paiement en ligne enregistrés"),
    "health.viewed": _l("Consultation des données sanitaires"),
    "change.requested": _l("Demande de modification"),
    "change.withdrawn": _l("Demande retirée par la famille"),
    "change.approved": _l("Modification validée"),
    "change.rejected": _l("Modification refusée"),
    "file.updated": _l("Modification directe par le service"),
    "file.exported": _l("Téléchargement du dossier par la famille"),
    "family.created": _l("Dossier créé"),
    "guardian.created": _l("Responsable ajouté"),
    "child.created": _l("Enfant ajouté"),
    "subscriber_code.issued": _l("Code abonné émis"),
    "audit.retention_changed": _l("Durée de conservation du journal modifiée"),
    "authorization_type.created": _l("Autorisation ajoutée"),
    "authorization_type.toggled": _l("Autorisation activée ou désactivée"),
    "activity.saved": _l("Activité enregistrée"),
    "billing_details.updated": _l("Quotient ou mandat de la famille modifié"),
    "billing_rules.saved": _l("Règles de facturation enregistrées"),
    "bracket.created": _l("Tranche de quotient ajoutée"),
    "bracket.deleted": _l("Tranche de quotient supprimée"),
    "certificate.recorded": _l("Certificat médical enregistré"),
    "closure.created": _l("Fermeture ajoutée"),
    "closure.deleted": _l("Fermeture supprimée"),
    "booking_window.created": _l("Dates d'inscription de vacances ajoutées"),
    "booking_window.updated": _l("Dates d'inscription de vacances modifiées"),
    "booking_window.deleted": _l("Dates d'inscription de vacances supprimées"),
    "contact.replied": _l("Réponse du service à un message"),
    "contact.sent": _l("Message envoyé par la famille"),
    "direct_debit.created": _l("Fichier de prélèvement créé"),
    "direct_debit.downloaded": _l("Fichier de prélèvement téléchargé"),
    "document.reviewed": _l("Document examiné"),
    "document.uploaded": _l("Document déposé"),
    "enrollments.saved": _l("Inscriptions aux activités enregistrées"),
    "invoicing.started": _l("Facturation d'un mois lancée"),
    "message.broadcast": _l("Message du service aux familles"),
    "news.created": _l("Actualité créée"),
    "news.edited": _l("Actualité modifiée"),
    "news.published": _l("Actualité publiée ou retirée"),
    "payment.cancelled": _l("Règlement annulé"),
    "payment.recorded": _l("Règlement enregistré"),
    "request.emergency": _l("Demande faite par le service pour la famille"),
    "request.undone": _l("Demande annulée par la famille"),
    "rules.uploaded": _l("Règlement intérieur déposé"),
    "staff.created": _l("Compte de l'équipe créé"),
    "staff.enabled": _l("Compte de l'équipe réactivé"),
    "staff.disabled": _l("Compte de l'équipe désactivé"),
    "staff.role_changed": _l("Rôle d'un membre de l'équipe modifié"),
    "tariffs.saved": _l("Tarifs enregistrés"),
    "town_page.edited": _l("Page d'information modifiée"),
}

# Where a read of health data happened (details["where"]).
PLACES = {
    "roll_call": _l("pointage"), "roll_call_sheet": _l("feuille d'appel imprimée"),
    "kitchen_list": _l("liste PAI et allergies imprimée"),
}

ACTIONS.update(MONEY_ACTIONS)  # issue 15: money actions, with their reason

OPERATIONS = {"create": _l("ajout"), "delete": _l("suppression")}

PARTS = {
    "family": _l("Foyer"), "guardian": _l("Responsable"), "child": _l("Informations"),
    "health": _l("Données sanitaires"), "authorization": _l("Autorisations"),
    "contact": _l("Contacts"), "photo": _l("Photo"),
}


def describe(event):
    """What an audit row says, in words: the part of the file and its fields, no values."""
    details = event.details or {}
    part = details.get("part")
    words = [str(PARTS.get(part, part))] if part else []
    fields = [str(field_label(part, f)) if is_known_field(part, f) else f
              for f in details.get("fields", [])]
    if fields:
        words.append(", ".join(fields))
    if details.get("operation") in OPERATIONS:
        words.append(str(OPERATIONS[details["operation"]]))
    if details.get("format"):
        words.append(details["format"].upper())
    view = _view_words(details)
    if view:
        words.append(", ".join(view))
    if describe_money(details):  # issue 15
        words.append(describe_money(details))
    return " : ".join(words)


def _view_words(details):
    """A view of many children at once: 'pointage, 3 enfants, 2 familles'."""
    words = [str(PLACES[details["where"]])] if details.get("where") in PLACES else []
    if details.get("children"):
        words.append(ngettext("%(num)d enfant", "%(num)d enfants", details["children"]))
    if details.get("families", 0) > 1:
        words.append(ngettext("%(num)d famille", "%(num)d familles", details["families"]))
    return words


class AuditFilterForm(FlaskForm):
    """The log's filters, in the address (a GET form: no CSRF, nothing is changed)."""
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validate_choice=False)
    qui = StringField(_l("Personne (nom ou email)"), validators=[Optional(), Length(max=120)])
    du = DayField(_l("Du"), validators=[Optional()])
    au = DayField(_l("Au"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [SelectChoice("", _l("Toutes les actions"))] + sorted(
            (SelectChoice(key, label) for key, label in ACTIONS.items()),
            key=lambda choice: str(choice.label))

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if self.action.data and self.action.data not in ACTIONS:
            self.action.errors.append(_l("Cette action n'est pas dans la liste."))
            return False
        for day in (self.du, self.au):
            # Paris midnight of 0001-01-01 is before year 1 in UTC: out of any log anyway.
            if day.data and not FIRST_DAY <= day.data <= LAST_DAY:
                day.errors.append(_l("Saisissez une date entre %(first)s et %(last)s.",
                                     first=FIRST_DAY.strftime("%d/%m/%Y"),
                                     last=LAST_DAY.strftime("%d/%m/%Y")))
                return False
        if self.du.data and self.au.data and self.au.data < self.du.data:
            self.au.errors.append(_l("La date de fin est avant la date de début."))
            return False
        return True


def _filtered(statement, form, family_id):
    """The log's query narrowed by the filters: family (alone or among others), action,
    person (name or email, any case), and Paris days."""
    if family_id is not None:
        statement = statement.where(AuditEvent.about_family(family_id))
    if form.action.data:
        statement = statement.where(AuditEvent.action == form.action.data)
    if form.qui.data and form.qui.data.strip():
        pattern = f"%{form.qui.data.strip().lower()}%"
        people = select(User.id).where(or_(
            func.lower(User.email).like(pattern), func.lower(User.first_name).like(pattern),
            func.lower(User.last_name).like(pattern),
            func.lower(User.first_name + " " + User.last_name).like(pattern)))
        statement = statement.where(AuditEvent.actor_id.in_(people))
    if form.du.data:
        statement = statement.where(AuditEvent.at >= paris_to_utc(
            datetime.combine(form.du.data, time.min)))
    if form.au.data:
        statement = statement.where(AuditEvent.at < paris_to_utc(
            datetime.combine(form.au.data + timedelta(days=1), time.min)))
    return statement


@bp.get("/journal")
@admin_only
@no_store
def audit_log():
    page = max(request.args.get("page", 1, type=int), 1)
    family_id = request.args.get("famille", type=int)
    shown = AuditFilterForm(request.args)
    valid = shown.validate()
    # A bad filter is said next to its field, and the log shows unfiltered.
    filters = shown if valid else AuditFilterForm(formdata=None)
    statement = _filtered(select(AuditEvent).options(selectinload(AuditEvent.actor)), filters,
                          family_id)
    count = _filtered(select(func.count(AuditEvent.id)), filters, family_id)
    events = db.session.scalars(statement.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                                .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    total = db.session.scalar(count)
    family_ids = {e.family_id for e in events if e.family_id} | (
        {family_id} if family_id else set())
    families = {f.id: f for f in db.session.scalars(
        select(Family).where(Family.id.in_(family_ids)))} if family_ids else {}
    return render_page("admin/audit/log.html", events=events, families=families, page=page,
                       has_next=page * PAGE_SIZE < total, total=total, family_id=family_id,
                       actions=ACTIONS, describe=describe, filters=shown,
                       filter_args={k: v for k, v in request.args.items() if k != "page"},
                       form=RetentionForm(data={"months": Town.audit_retention()})), \
        200 if valid else 400


@bp.post("/journal/conservation")
@admin_only
def audit_retention():
    town = Town.current() or abort(404)
    form = RetentionForm()
    if form.validate_on_submit():
        town.audit_retention_months = form.months.data
        AuditEvent.record(current_user, "audit.retention_changed", town,
                          months=form.months.data)
        db.session.commit()
        flash(_("Le journal est désormais conservé %(months)s mois.", months=form.months.data),
              "success")
    else:
        flash(" ".join(str(e) for e in form.months.errors) or _("Durée non valide."), "error")
    return redirect(url_for("admin.audit_log"))


@bp.route("/autorisations", methods=["GET", "POST"])
@admin_only
def authorization_types():
    form = AuthorizationTypeForm()
    if form.validate_on_submit():
        kind = AuthorizationType(label=form.label.data.strip(),
                                 description=(form.description.data or "").strip())
        db.session.add(kind)
        db.session.flush()
        AuditEvent.record(current_user, "authorization_type.created", kind)
        db.session.commit()
        flash(_("Autorisation ajoutée : les familles y répondront dans la fiche de chaque "
                "enfant."), "success")
        return redirect(url_for("admin.authorization_types"))
    status = form_status()
    return render_page("admin/authorization_types.html", form=form,
                       types=AuthorizationType.ordered(), confirm_form=ConfirmForm()), status


@bp.post("/autorisations/<int:type_id>/activation")
@admin_only
def toggle_authorization_type(type_id):
    kind = db.session.get(AuthorizationType, type_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    kind.active = not kind.active
    AuditEvent.record(current_user, "authorization_type.toggled", kind, active=kind.active)
    db.session.commit()
    flash(_("Autorisation réactivée.") if kind.active else _(
        "Autorisation désactivée : elle n'est plus demandée aux familles ; les réponses déjà "
        "données sont conservées."), "success")
    return redirect(url_for("admin.authorization_types"))
