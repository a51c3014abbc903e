"""Roll call (pointage) and meal counts, for agents at the canteen on a tablet."""
from datetime import date, timedelta
from itertools import groupby

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, StringField
from wtforms.validators import AnyOf, InputRequired, Optional

from blueprints.admin.blueprint import bp
from blueprints.admin.exports import csv_response
from blueprints.common.family_display import DIET_LABELS
from blueprints.common.fields import DayField
from blueprints.common.pages import current_town, render_alert, render_page
from extensions import db
from models import Activity, Child, Enrollment
from models.attendance import (
    ABSENCE_REASONS,
    ABSENT,
    FUTURE,
    PRESENT,
    SHOWN_STATES,
    STATUSES,
    roll_call,
    roll_call_version,
    tap,
)
from models.audit import record_health_view
from models.calendar import school_year_of
from models.clock import paris_today as today
from models.meals import DIET_COLUMNS, meal_counts
from models.planning import PlanningCalendar
from security import is_htmx

MEAL_DAYS_DEFAULT = 7
MEAL_DAYS_MAX = 31


def _day_arg(name="jour"):
    try:
        return date.fromisoformat(request.args.get(name, "")), False
    except ValueError:
        return today(), bool(request.args.get(name))


def _activity_for(day, activity_id):
    activities = Activity.ordered()
    if activity_id:
        chosen = next((a for a in activities if a.id == activity_id), None)
        if chosen is None:
            abort(404)
        return chosen, activities
    calendar = PlanningCalendar(current_town().holiday_zone, day, day)
    running = [a for a in activities if calendar.runs(a, day)]
    return (running or activities or [None])[0], activities


@bp.get("/pointage")
def roll_call_page():
    day, bad_date = _day_arg()
    activity, activities = _activity_for(day, request.args.get("activite", type=int))
    rows = roll_call(activity, day) if activity else []
    _record_health_reads(rows)
    return render_page("admin/rollcall/index.html", activities=activities,
                       bad_date=bad_date, mark_form=MarkForm(),
                       addable=_addable_children(activity, day, rows) if activity else [],
                       **_list_context(activity, day, rows))


@bp.get("/pointage/liste")
def roll_call_list():
    """The list alone, which the page asks for every few seconds to show other agents'
    marks: nothing (204) while its marks and reservations are those it shows. The
    health data it shows were logged when the page was opened."""
    day, bad_date = _day_arg()
    activity = db.session.get(Activity, request.args.get("activite", 0, type=int))
    if activity is None or bad_date:
        abort(404)
    if request.args.get("version") == roll_call_version(activity.id, day):
        return "", 204
    return render_template("admin/rollcall/_list.html",
                           **_list_context(activity, day, roll_call(activity, day)))


def _list_context(activity, day, rows):
    return {"day": day, "activity": activity, "groups": _by_school_and_class(rows),
            "counts": _counts(rows), "reasons": ABSENCE_REASONS, "diet_labels": DIET_LABELS,
            "markable": day <= today(),
            "version": roll_call_version(activity.id, day) if activity else None}


def _record_health_reads(rows):
    """The roll call shows allergies, diets and PAI: a read of health data, logged once
    per view (the log says who saw it, not what it says)."""
    record_health_view(current_user, [row.child for row in rows], where="roll_call")


def _by_school_and_class(rows):
    return [(key, list(group)) for key, group in
            groupby(rows, key=lambda r: (r.child.school or "—", r.child.class_name or "—"))]


def _counts(rows):
    return {"expected": sum(r.expected for r in rows),
            "present": sum(r.status == PRESENT for r in rows),
            "absent": sum(r.status == ABSENT for r in rows),
            "unmarked": sum(r.status is None for r in rows)}


def _addable_children(activity, day, rows):
    """Children enrolled in the activity who are not on the list (to add one present)."""
    listed = {r.child.id for r in rows}
    return [c for c in db.session.scalars(
        select(Child).join(Enrollment, Enrollment.child_id == Child.id)
        .where(Enrollment.activity_id == activity.id,
               Enrollment.school_year == school_year_of(day))
        .order_by(Child.last_name, Child.first_name)) if c.id not in listed]


class MarkForm(FlaskForm):
    enfant = IntegerField(validators=[InputRequired()])
    activite = IntegerField(validators=[InputRequired()])
    jour = DayField(validators=[InputRequired()])
    statut = StringField(validators=[InputRequired(), AnyOf(STATUSES)])
    motif = StringField(validators=[Optional(), AnyOf(ABSENCE_REASONS)])
    # The mark the row showed when it was tapped (another agent may have changed it).
    etat = StringField(validators=[InputRequired(), AnyOf(SHOWN_STATES)])


@bp.post("/pointage/marquer")
def mark():
    form = MarkForm()
    if not form.validate_on_submit():
        return render_alert(_("Ce pointage n'est pas valide. Rechargez la page puis "
                              "recommencez."), status=400)
    child = db.session.get(Child, form.enfant.data) or abort(404)
    activity = db.session.get(Activity, form.activite.data) or abort(404)
    day = form.jour.data
    adding = child.id not in {r.child.id for r in roll_call(activity, day)}
    outcome = tap(child.id, activity.id, day, form.statut.data, current_user,
                  form.etat.data, reason=form.motif.data or None,
                  unreserved=True if adding else None)
    if outcome.refusal is not None:
        return render_alert(_refusal_message(outcome.refusal), status=422)
    back = redirect(url_for("admin.roll_call_page", jour=day.isoformat(), activite=activity.id))
    if not is_htmx() or adding:
        if outcome.changed:
            flash(_("Ce pointage a changé entre-temps : rien n'a été modifié. Voici "
                    "l'état actuel."), "info")
        return back
    rows = roll_call(activity, day)
    row = next((r for r in rows if r.child.id == child.id), None)
    if row is None:  # no longer on the list (its reservation was cancelled)
        return back
    return render_template("admin/rollcall/_tapped.html", row=row, changed=outcome.changed,
                           **_list_context(activity, day, rows))


def _refusal_message(refusal):
    if refusal == FUTURE:
        return _("Ce jour n'est pas encore arrivé : le pointage se fait le jour même.")
    return _("Cette date ne peut pas être pointée.")


@bp.get("/repas")
def meals():
    start, bad_date = _day_arg("depuis")
    days = min(max(request.args.get("jours", MEAL_DAYS_DEFAULT, type=int), 1), MEAL_DAYS_MAX)
    counts = meal_counts(start, start + timedelta(days=days - 1), current_town().holiday_zone)
    if request.args.get("format") == "csv":
        return _meals_csv(counts)
    return render_page("admin/rollcall/meals.html", counts=counts, start=start, days=days,
                       bad_date=bad_date, columns=diet_labels())


def diet_labels():
    labels = dict(DIET_LABELS, standard=_l("Standard"), pai=_l("PAI / panier repas"))
    return [(key, labels.get(key, key)) for key in DIET_COLUMNS]


def _meals_csv(counts):
    columns = diet_labels()
    rows = [[_("Date"), _("Site"), *[str(label) for _key, label in columns], _("Total")]]
    rows += [[row.day, row.site, *[row.by_diet[key] for key, _label in columns],
              row.total] for row in counts]
    return csv_response(rows, "repas.csv")
