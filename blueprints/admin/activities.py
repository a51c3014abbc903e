"""Activities and their rules (admins), closures and enrollments (staff)."""
from datetime import time, timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
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
from blueprints.admin.families import family_or_404
from blueprints.common.fields import WEEKDAY_CHOICES, CheckboxesField, DayField
from blueprints.common.forms import REQUIRED, ConfirmForm
from blueprints.common.pages import form_status, render_page
from extensions import db
from jobs.emails import external_url, queue_email
from jobs.waiting import tell_promoted
from models import Activity, AuditEvent, Closure, Enrollment
from models.calendar import school_year_label, school_year_of
from models.clock import paris_today as today
from models.deadlines import (
    CLEAR_DAYS,
    COUNT_RANGE,
    DAYS_BEFORE,
    HOURS_BEFORE,
    MAX_HORIZON_DAYS,
    MONTH_BEFORE,
    WEEK_BEFORE,
    count_fits,
)
from models.holiday_centres import Windows
from models.late import REFUSE as LATE_REFUSE
from models.late import STAFF as LATE_STAFF
from models.late import SURCHARGE as LATE_SURCHARGE
from models.waiting import all_waiting, lock_activity, promote
from security import admin_only

DEADLINE_KINDS = [
    SelectChoice(DAYS_BEFORE, _l("N jours avant le jour, à l'heure limite")),
    SelectChoice(HOURS_BEFORE, _l("N heures avant le début de l'activité")),
    SelectChoice(WEEK_BEFORE, _l("Pour toute la semaine : le jour N de la semaine précédente "
                                 "(1 = lundi … 7 = dimanche), à l'heure limite")),
    SelectChoice(MONTH_BEFORE, _l("Pour tout le mois : le N du mois précédent, à l'heure "
                                  "limite")),
    SelectChoice(CLEAR_DAYS, _l("N jours francs avant le premier jour des vacances scolaires "
                                "(hors vacances : avant le jour même)")),
]
COUNT_HELP = _l("Selon le type : nombre de jours, d'heures, jour de la semaine (1 à 7) ou "
                "jour du mois (1 à 31).")


def _count_message(kind):
    low, high = COUNT_RANGE.get(kind, (0, 60))
    return _("Pour ce type de délai, N va de %(low)s à %(high)s.", low=low, high=high)


class ActivityForm(FlaskForm):
    name = StringField(_l("Nom"), validators=[DataRequired(REQUIRED), Length(max=120)])
    start_time = TimeField(_l("Heure de début"), validators=[InputRequired(REQUIRED)])
    end_time = TimeField(_l("Heure de fin"), validators=[InputRequired(REQUIRED)])
    weekdays = CheckboxesField(_l("Jours de fonctionnement"), choices=WEEKDAY_CHOICES,
                               validators=[DataRequired(_l("Choisissez au moins un jour."))])
    runs_in_school_holidays = BooleanField(_l("Fonctionne aussi pendant les vacances scolaires"))
    holidays_only = BooleanField(_l("Uniquement pendant les vacances scolaires (accueil de "
                                    "loisirs)"))
    booked_by_week = BooleanField(_l("Pendant les vacances, se réserve à la semaine complète "
                                     "(une semaine est réservée ou annulée en entier)"))
    includes_meal = BooleanField(_l("Comprend un repas (compte des repas)"))
    capacity = IntegerField(_l("Capacité (places par jour)"),
                            validators=[Optional(), NumberRange(min=1, max=10000)],
                            description=_l("Laisser vide si le nombre de places n'est pas "
                                           "limité."))
    deadline_kind = SelectField(_l("Délai pour réserver : type"), choices=DEADLINE_KINDS,
                                default=DAYS_BEFORE)
    deadline_days = IntegerField(_l("Délai pour réserver : N"), description=COUNT_HELP,
                                 validators=[InputRequired(REQUIRED), NumberRange(min=0, max=720)])
    deadline_time = TimeField(_l("Délai pour réserver : heure limite"),
                              validators=[InputRequired(REQUIRED)])
    deadline_working_days = BooleanField(_l("Compter seulement les jours ouvrés (hors samedis, "
                                            "dimanches et jours fériés)"))
    cancel_deadline_kind = SelectField(_l("Délai pour annuler : type"),
                                       choices=[SelectChoice("", _l("Comme pour réserver")),
                                                *DEADLINE_KINDS],
                                       default="", filters=[lambda kind: kind or ""])
    cancel_deadline_days = IntegerField(_l("Délai pour annuler : N"), description=COUNT_HELP,
                                        validators=[Optional(), NumberRange(min=0, max=720)])
    cancel_deadline_time = TimeField(_l("Délai pour annuler : heure limite"),
                                     validators=[Optional()])
    cancel_deadline_working_days = BooleanField(_l("Pour annuler, compter seulement les jours "
                                                   "ouvrés"))
    booking_horizon_days = IntegerField(
        _l("Réservable au plus tôt (jours à l'avance)"),
        validators=[Optional(), NumberRange(min=1, max=MAX_HORIZON_DAYS)],
        description=_l("Laisser vide pour ouvrir toute l'année scolaire. Par exemple 100 : "
                       "un jour ouvre aux réservations 100 jours avant."))
    waiting_list = BooleanField(_l("Liste d'attente quand un jour est complet"))
    promote_by_hand = BooleanField(_l("Le service attribue lui-même les places libérées "
                                      "(sinon le premier de la liste d'attente les reçoit)"))
    late_reserve_policy = SelectField(
        _l("Réservation hors délai"), default=LATE_REFUSE, choices=[
            SelectChoice(LATE_REFUSE, _l("Refusée")),
            SelectChoice(LATE_SURCHARGE, _l("Acceptée avec majoration (voir les règles de "
                                            "facturation)")),
            SelectChoice(LATE_STAFF, _l("Soumise au service, qui accepte ou refuse"))])
    late_cancel_policy = SelectField(
        _l("Annulation hors délai"), default=LATE_REFUSE, choices=[
            SelectChoice(LATE_REFUSE, _l("Refusée")),
            SelectChoice(LATE_SURCHARGE, _l("Acceptée, le jour reste facturé")),
            SelectChoice(LATE_STAFF, _l("Soumise au service, qui accepte ou refuse"))])
    position = IntegerField(_l("Ordre d'affichage"), default=0,
                            validators=[Optional(), NumberRange(min=0, max=999)])
    active = BooleanField(_l("Activité proposée aux familles"), default=True)

    def validate_deadline_days(self, field):
        if field.data is not None and not count_fits(self.deadline_kind.data, field.data):
            raise ValidationError(_count_message(self.deadline_kind.data))

    def validate(self, extra_validators=None):
        # The cancellation number and time are optional (unused without a kind of their
        # own), so they are checked here, once every field has its data.
        valid = super().validate(extra_validators)
        kind = self.cancel_deadline_kind.data
        if not kind:
            return valid
        days, at = self.cancel_deadline_days, self.cancel_deadline_time
        if days.data is None:
            days.errors = [*days.errors, REQUIRED]
        elif not count_fits(kind, days.data):
            days.errors = [*days.errors, _count_message(kind)]
        if at.data is None:
            at.errors = [*at.errors, REQUIRED]
        return valid and not days.errors and not at.errors

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("L'heure de fin doit être après l'heure de début."))


@bp.get("/activites")
def activities():
    return render_page("admin/activities/list.html", activities=Activity.ordered(only_active=False),
                       windows=Windows())


@bp.route("/activites/nouvelle", methods=["GET", "POST"])
@admin_only
def new_activity():
    form = ActivityForm(data={"deadline_days": 2, "deadline_time": time(10, 0),
                              "deadline_working_days": True, "weekdays": ["1", "2", "4", "5"],
                              "late_reserve_policy": LATE_REFUSE,
                              "late_cancel_policy": LATE_REFUSE, "active": True}
                        if request.method == "GET" else None)
    return _save_activity(form, Activity())


@bp.route("/activites/<int:activity_id>", methods=["GET", "POST"])
@admin_only
def edit_activity(activity_id):
    activity = db.session.get(Activity, activity_id) or abort(404)
    form = ActivityForm(obj=activity, data={"weekdays": list(activity.weekdays)}
                        if request.method == "GET" else None)
    return _save_activity(form, activity)


def _save_activity(form, activity):
    if form.validate_on_submit():
        weekdays = "".join(sorted(form.weekdays.data))
        if activity.id is not None:
            lock_activity(activity.id)  # places are counted and given one at a time
        form.populate_obj(activity)
        activity.weekdays = weekdays
        _keep_cancel_defaults(activity)
        activity.position = form.position.data or 0
        db.session.add(activity)
        db.session.flush()
        AuditEvent.record(current_user, "activity.saved", activity)
        _promote_after_change(activity)
        db.session.commit()
        flash(_("Activité enregistrée. Le planning des familles applique ces règles dès "
                "maintenant."), "success")
        return redirect(url_for("admin.activities"))
    status = form_status()
    return render_page("admin/activities/form.html", form=form, activity=activity), status


def _promote_after_change(activity):
    """A capacity raised frees places: the waiting lists from today on give
    them to the first in line, who are emailed."""
    days = {b.day for b in all_waiting(today()) if b.activity_id == activity.id}
    tell_promoted(promote(activity, days))


def _keep_cancel_defaults(activity):
    """Without a rule of its own, cancelling follows the reservation rule: the unused
    cancellation fields keep a value (their columns are not nullable)."""
    activity.cancel_deadline_kind = activity.cancel_deadline_kind or None
    if activity.cancel_deadline_kind is None:
        activity.cancel_deadline_days = activity.cancel_deadline_days or 0
        activity.cancel_deadline_time = activity.cancel_deadline_time or time(10, 0)


class ClosureForm(FlaskForm):
    activity_id = SelectField(_l("Activité"), coerce=int, validators=[InputRequired()])
    first_day = DayField(_l("Premier jour"), validators=[InputRequired(REQUIRED)])
    last_day = DayField(_l("Dernier jour"), validators=[InputRequired(REQUIRED)])
    reason = StringField(_l("Motif"), validators=[DataRequired(REQUIRED), Length(max=200)],
                         description=_l("Par exemple : grève, journée pédagogique."))

    def validate_last_day(self, field):
        if self.first_day.data and field.data:
            if field.data < self.first_day.data:
                raise ValidationError(_l("Le dernier jour ne peut pas précéder le premier."))
            if field.data - self.first_day.data > timedelta(days=366):
                raise ValidationError(_l("Une fermeture ne peut pas dépasser un an."))


def _closure_form():
    form = ClosureForm()
    form.activity_id.choices = [SelectChoice(0, _("Toutes les activités"))] + [
        SelectChoice(a.id, a.name) for a in Activity.ordered(only_active=False)]
    return form


@bp.route("/fermetures", methods=["GET", "POST"])
def closures():
    form = _closure_form()
    if form.validate_on_submit():
        closure = Closure(activity_id=form.activity_id.data or None, first_day=form.first_day.data,
                          last_day=form.last_day.data, reason=form.reason.data.strip())
        db.session.add(closure)
        db.session.flush()
        released = closure.release_bookings()
        _tell_families(closure, released)
        AuditEvent.record(current_user, "closure.created", closure, released=len(released))
        db.session.commit()
        flash(ngettext("Fermeture enregistrée : %(num)s réservation libérée, les familles "
                       "concernées sont prévenues par email.",
                       "Fermeture enregistrée : %(num)s réservations libérées, les familles "
                       "concernées sont prévenues par email.", len(released)), "success")
        return redirect(url_for("admin.closures"))
    upcoming = db.session.scalars(select(Closure).where(Closure.last_day >= today())
                                  .order_by(Closure.first_day)).all()
    status = form_status()
    return render_page("admin/activities/closures.html", form=form, closures=upcoming,
                       delete_form=ConfirmForm()), status


def _tell_families(closure, released):
    _tell_released(released, _l("Fermeture exceptionnelle"), f"closure-{closure.id}",
                   closure=closure)


def _tell_released(released, subject, dedupe_prefix=None, **context):
    """Email each family the cells the service released (emails/bookings_released), to
    every guardian with a confirmed account."""
    by_family = {}
    for booking in released:
        by_family.setdefault(booking.child.family, []).append(booking)
    for family, bookings in by_family.items():
        for guardian in family.guardians:
            user = guardian.user
            if user is None or not user.is_confirmed:
                continue
            queue_email(user.email, "bookings_released", subject,
                        dedupe_key=f"{dedupe_prefix}-user-{user.id}" if dedupe_prefix else None,
                        user=user, bookings=bookings,
                        planning_url=external_url("planning.index"), **context)


@bp.post("/fermetures/<int:closure_id>/supprimer")
def delete_closure(closure_id):
    closure = db.session.get(Closure, closure_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    AuditEvent.record(current_user, "closure.deleted", closure)
    db.session.delete(closure)
    db.session.commit()
    flash(_("Fermeture supprimée. Les réservations libérées ne sont pas rétablies."), "info")
    return redirect(url_for("admin.closures"))


@bp.route("/familles/<int:family_id>/inscriptions", methods=["GET", "POST"])
def enrollments(family_id):
    family = family_or_404(family_id)
    this_year = school_year_of(today())
    years = [this_year, this_year + 1]
    year = request.values.get("annee", this_year, type=int)
    if year not in years:
        abort(404)
    activities = Activity.ordered(only_active=False)
    current = Enrollment.keys_for([c.id for c in family.children], [year], even_not_open=True)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        valid_ids = {a.id for a in activities}
        released = []
        for child in family.children:
            wanted = {int(v) for v in request.form.getlist(f"child-{child.id}") if v.isdigit()}
            released += _set_enrollments(child, year, wanted & valid_ids,
                                         {a for (c, a, _y) in current if c == child.id})
        _tell_released(released, _l("Inscription retirée"),
                       school_year=school_year_label(year))
        AuditEvent.record(current_user, "enrollments.saved", family, family_id=family.id,
                          school_year=year, released=len(released))
        db.session.commit()
        message = _("Inscriptions %(year)s enregistrées.", year=school_year_label(year))
        if released:
            message += " " + _("%(count)s réservation(s) libérée(s), la famille est prévenue "
                               "par email.", count=len(released))
        flash(message, "success")
        return redirect(url_for("admin.family", family_id=family.id))
    return render_page("admin/activities/enrollments.html", family=family, form=form,
                       activities=activities, current=current, year=year, years=years,
                       year_label=school_year_label)


def _set_enrollments(child, year, wanted, existing):
    """Enroll the child in what was ticked, withdraw it from what was unticked; returns
    the cells released by the withdrawals."""
    for activity_id in wanted - existing:
        db.session.add(Enrollment(child_id=child.id, activity_id=activity_id, school_year=year))
    return Enrollment.withdraw(child.id, existing - wanted, year, today())
