"""The re-enrollment campaign in the staff area: admins open next school year's
campaign; staff follow the answers, validate them and remind families that did not
answer."""
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from blueprints.admin.blueprint import bp
from blueprints.common.fields import DayField
from blueprints.common.forms import REQUIRED, ConfirmForm
from blueprints.common.pages import form_status, render_page
from extensions import db
from jobs.reenrollment import start_reminders
from models import Activity, AuditEvent, Campaign
from models.calendar import school_year_label, school_year_of
from models.clock import paris_today as today
from models.reenrollment import CONFIRMED, PROPOSED, VALIDATED
from security import admin_only


class CampaignForm(FlaskForm):
    school_year = IntegerField(_l("Année scolaire préparée (année de la rentrée)"),
                               validators=[InputRequired(REQUIRED), NumberRange(2000, 2199)])
    opens_on = DayField(_l("Les familles répondent à partir du"),
                        validators=[InputRequired(REQUIRED)])
    closes_on = DayField(_l("Jusqu'au"), validators=[InputRequired(REQUIRED)])
    planning_opens_on = DayField(_l("Le planning de cette année s'ouvre aux réservations le"),
                                 validators=[InputRequired(REQUIRED)])

    def validate_school_year(self, field):
        if field.data is not None and field.data <= school_year_of(today()):
            raise ValidationError(_l("Choisissez une année scolaire à venir."))
        if field.data is not None and Campaign.for_year(field.data) is not None:
            raise ValidationError(_l("La campagne de cette année scolaire est déjà ouverte."))

    def validate_closes_on(self, field):
        if field.data and self.opens_on.data and field.data < self.opens_on.data:
            raise ValidationError(_l("La clôture doit suivre l'ouverture."))


@bp.get("/reinscriptions")
def reenrollment():
    campaign = Campaign.latest()
    return _page(campaign, _new_form(campaign))


def _new_form(campaign):
    form = CampaignForm()
    if form.school_year.data is None:
        form.school_year.data = max(school_year_of(today()) + 1,
                                    (campaign.school_year + 1) if campaign else 0)
    return form


def _page(campaign, form):
    return render_page(
        "admin/reenrollment/index.html", campaign=campaign, form=form,
        confirm_form=ConfirmForm(), progress=campaign.progress() if campaign else None,
        families=campaign.families() if campaign else [], today=today(),
        activities={a.id: a for a in Activity.ordered(only_active=False)},
        year_label=school_year_label, statuses={PROPOSED: _("sans réponse"),
                                                CONFIRMED: _("réponse reçue"),
                                                VALIDATED: _("validée")})


@bp.post("/reinscriptions")
@admin_only
def open_reenrollment():
    form = CampaignForm()
    if not form.validate_on_submit():
        return _page(Campaign.latest(), form), form_status()
    campaign = Campaign.start(form.school_year.data, form.opens_on.data, form.closes_on.data,
                              form.planning_opens_on.data, current_user)
    AuditEvent.record(current_user, "reenrollment.opened", campaign,
                      school_year=campaign.school_year, children=len(campaign.answers))
    db.session.commit()
    flash(_("Campagne de réinscription %(year)s ouverte : %(count)s enfant(s) à réinscrire.",
            year=school_year_label(campaign.school_year), count=len(campaign.answers)),
          "success")
    return redirect(url_for("admin.reenrollment"))


def _campaign_or_404(campaign_id):
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not ConfirmForm().validate_on_submit():
        abort(404 if campaign is None else 400)
    return campaign


@bp.post("/reinscriptions/<int:campaign_id>/familles/<int:family_id>/valider")
def validate_reenrollment(campaign_id, family_id):
    campaign = _campaign_or_404(campaign_id)
    if not campaign.answers_of(family_id):
        abort(404)
    created = campaign.validate_family(family_id, current_user, today())
    AuditEvent.record(current_user, "reenrollment.validated", campaign, family_id=family_id,
                      enrollments=created)
    db.session.commit()
    flash(_("Réinscription validée : %(count)s inscription(s) créée(s) pour %(year)s.",
            count=created, year=school_year_label(campaign.school_year)), "success")
    return redirect(url_for("admin.reenrollment"))


@bp.post("/reinscriptions/<int:campaign_id>/valider")
def validate_answered(campaign_id):
    """Validate every family that answered (those without an answer wait)."""
    campaign = _campaign_or_404(campaign_id)
    families = [family for family, answers in campaign.families()
                if all(a.status != PROPOSED for a in answers)
                and any(a.status == CONFIRMED for a in answers)]
    created = sum(campaign.validate_family(family.id, current_user, today())
                  for family in families)
    AuditEvent.record(current_user, "reenrollment.validated", campaign,
                      families=len(families), enrollments=created)
    db.session.commit()
    flash(_("%(families)s famille(s) validée(s), %(count)s inscription(s) créée(s).",
            families=len(families), count=created), "success")
    return redirect(url_for("admin.reenrollment"))


@bp.post("/reinscriptions/<int:campaign_id>/relancer")
def remind_reenrollment(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    waiting = len(campaign.unanswered_family_ids())
    if waiting:
        start_reminders(campaign, current_user)
        AuditEvent.record(current_user, "reenrollment.reminded", campaign, families=waiting)
        db.session.commit()
        flash(_("Relance envoyée aux %(count)s famille(s) sans réponse (par email, à ceux qui "
                "ont un compte).", count=waiting), "success")
    else:
        flash(_("Toutes les familles ont répondu : personne à relancer."), "info")
    return redirect(url_for("admin.reenrollment"))
