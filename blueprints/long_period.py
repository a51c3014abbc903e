"""The long-period form of the planning: reserve or declare absences for many days at
once, with a live preview of what will happen (section 3 of the guide)."""
import uuid
from datetime import timedelta

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice
from wtforms.validators import DataRequired, InputRequired, ValidationError

from blueprints import current_town, render_page
from blueprints.fields import WEEKDAY_CHOICES, CheckboxesField, DayField
from blueprints.planning import bp, today
from extensions import db
from jobs.requests import enqueue_request
from models import Activity, Enrollment
from models.calendar import school_year_of
from models.period import (
    MAX_DAYS,
    PeriodAsk,
    existing_request,
    never_enrolled,
    plan_fingerprint,
    plan_period,
    save_period_request,
)
from models.planning import ABSENCE, RESERVE


class PeriodForm(FlaskForm):
    action = RadioField(_l("Type de demande"), default=RESERVE, choices=[
        SelectChoice(RESERVE, _l("Réservations")), SelectChoice(ABSENCE, _l("Absences"))],
        validators=[InputRequired(_l("Choisissez réservations ou absences."))])
    children = CheckboxesField(_l("Enfants"), coerce=int, validate_choice=False,
                               validators=[DataRequired(_l("Choisissez au moins un enfant."))])
    activities = CheckboxesField(_l("Activités"), coerce=int, validate_choice=False,
                                 validators=[DataRequired(_l("Choisissez au moins une "
                                                             "activité."))])
    first_day = DayField(_l("Du"), invalid=_l("Saisissez une date de début valide."),
                         validators=[InputRequired(_l("Saisissez une date de début valide."))])
    last_day = DayField(_l("Au"), invalid=_l("Saisissez une date de fin valide."),
                        validators=[InputRequired(_l("Saisissez une date de fin valide."))])
    weekdays = CheckboxesField(_l("Jours de la semaine"), choices=WEEKDAY_CHOICES,
                               default=["1", "2", "4", "5"],
                               validators=[DataRequired(_l("Choisissez au moins un jour de la "
                                                           "semaine."))])
    client_token = HiddenField()
    # The fingerprint of the preview shown (rendered by the preview, not the form).
    apercu = HiddenField()

    def __init__(self, family, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.family = family
        self.children.choices = [SelectChoice(c.id, c.first_name) for c in family.children]
        self.activities.choices = [SelectChoice(a.id, a.name) for a in Activity.ordered()]

    def validate_children(self, field):
        own = {c.id for c in self.family.children}
        if any(child_id not in own for child_id in field.data or []):
            raise ValidationError(_l("Cet enfant ne fait pas partie de votre famille."))

    def validate_activities(self, field):
        offered = {a.id for a in Activity.ordered()}
        if any(activity_id not in offered for activity_id in field.data or []):
            raise ValidationError(_l("Cette activité n'est pas proposée."))

    def validate_first_day(self, field):
        if field.data and field.data < today():
            raise ValidationError(_l("La date de début ne peut pas être passée."))

    def validate_last_day(self, field):
        first = self.first_day.data
        if first and field.data:
            if field.data < first:
                raise ValidationError(_l("La date de fin ne peut pas précéder la date de "
                                         "début."))
            if (field.data - first).days >= MAX_DAYS:
                raise ValidationError(_l("La période ne peut pas dépasser une année scolaire."))

    def ask(self):
        children = [c for c in self.family.children if c.id in set(self.children.data)]
        activities = [a for a in Activity.ordered() if a.id in set(self.activities.data)]
        return PeriodAsk(action=self.action.data, children=children, activities=activities,
                         first_day=self.first_day.data, last_day=self.last_day.data,
                         weekdays={int(d) for d in self.weekdays.data})

    def check_enrollments(self):
        """Refuse a child enrolled in none of the chosen activities, and an activity none
        of the chosen children is enrolled in. (Léa at the canteen and Hugo at the canteen
        and APS: Léa's APS is simply not asked, and the preview says so.)"""
        ask = self.ask()
        missing = set(never_enrolled(ask))
        for child in ask.children:
            if all((child, activity) in missing for activity in ask.activities):
                self.children.errors.append(_(
                    "%(child)s n'est inscrit(e) à aucune des activités choisies pour cette "
                    "période.", child=child.first_name))
        for activity in ask.activities:
            if all((child, activity) in missing for child in ask.children):
                self.activities.errors.append(_(
                    "Aucun des enfants choisis n'est inscrit à « %(activity)s » pour cette "
                    "période.", activity=activity.name))
        return not (self.children.errors or self.activities.errors)


def _new_form(family):
    """Four weeks from next week, every child and the activities they are enrolled in."""
    start = today() + timedelta(days=7)
    children = [c.id for c in family.children]
    enrolled = Enrollment.keys_for(children, [school_year_of(start)])
    return PeriodForm(family, data={
        "action": RESERVE, "weekdays": ["1", "2", "4", "5"], "first_day": start,
        "last_day": start + timedelta(days=27), "client_token": uuid.uuid4().hex,
        "children": children, "activities": sorted({a for _c, a, _y in enrolled})})


@bp.get("/activites/longue-periode")
def period():
    form = _new_form(current_user.family)
    return render_page("planning/period.html", form=form, groups=None)


def _preview(form):
    """What the preview shows for a valid form: the groups, the pairs never enrolled,
    and the fingerprint a submission sends back."""
    ask = form.ask()
    groups = plan_period(ask, current_town().holiday_zone)
    return {"groups": groups, "not_enrolled": never_enrolled(ask),
            "fingerprint": plan_fingerprint(ask, groups)}


@bp.post("/activites/longue-periode/apercu")
def period_preview():
    form = PeriodForm(current_user.family)
    shown = {"groups": None, "not_enrolled": []}
    if form.validate() and form.check_enrollments():
        shown = _preview(form)
    return render_template("planning/_period_preview.html", form=form, **shown)


@bp.post("/activites/longue-periode")
def period_submit():
    family = current_user.family
    form = PeriodForm(family)
    token = form.client_token.data or ""
    if form.validate_on_submit() and len(token) == 32:
        if existing_request(family, token) is None and not form.check_enrollments():
            return render_page("planning/period.html", form=form, groups=None), 422
        saved, created = save_period_request(family, current_user, form.ask(),
                                             current_town().holiday_zone, token,
                                             shown=form.apercu.data or None)
        if saved is None:
            # The plan changed since the preview: nothing is asked; the new one is shown.
            db.session.rollback()
            return render_page("planning/period.html", form=form, changed=True,
                               **_preview(form)), 409
        if created:
            enqueue_request(saved)
        db.session.commit()
        if created:
            flash(_("Votre demande sur la période a été envoyée : les jours concernés sont en "
                    "attente. Vous recevrez un accusé de réception puis la réponse par "
                    "email."), "success")
        else:
            flash(_("Cette demande avait déjà été envoyée : elle n'a pas été enregistrée une "
                    "seconde fois."), "info")
        return redirect(url_for("planning.index", vue="mois", date=form.first_day.data))
    if not form.errors:
        form.form_errors.append(_("Ce formulaire n'est plus valide : rechargez la page."))
    return render_page("planning/period.html", form=form, groups=None), 422
