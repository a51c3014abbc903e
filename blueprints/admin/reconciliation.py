"""Reconciliation (rapprochement) of a day's roll call with its reservations: reserved
but not marked, present without a reservation; one action per child."""
from datetime import date, timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import AnyOf, InputRequired

from blueprints.admin.blueprint import bp
from blueprints.common.fields import DayField
from blueprints.common.pages import current_town, render_page
from extensions import db
from models import Activity, Child
from models.clock import paris_today
from models.planning import PlanningCalendar
from models.reconciliation import ACTIONS, NOT_YET, reconcile, settle

# How far back the page looks for the last day an activity ran (a summer break).
LOOK_BACK_DAYS = 90


class SettleForm(FlaskForm):
    enfant = IntegerField(validators=[InputRequired()])
    activite = IntegerField(validators=[InputRequired()])
    jour = DayField(validators=[InputRequired()])
    action = StringField(validators=[InputRequired(), AnyOf(ACTIONS)])


@bp.get("/rapprochement")
def reconciliation():
    activities = Activity.ordered()
    activity = _chosen_activity(activities)
    day, bad_date = _chosen_day(activity)
    return render_page("admin/reconciliation/day.html", activities=activities,
                       activity=activity, day=day, bad_date=bad_date,
                       to_come=day > paris_today(), form=SettleForm(),
                       found=reconcile(activity, day) if activity else None)


def _chosen_activity(activities):
    wanted = request.args.get("activite", type=int)
    if wanted is None:
        return activities[0] if activities else None
    return next((a for a in activities if a.id == wanted), None) or abort(404)


def _chosen_day(activity):
    """The day asked, or the last day before today the activity ran (yesterday's
    canteen, on a Tuesday morning)."""
    raw = request.args.get("jour", "")
    try:
        return date.fromisoformat(raw), False
    except ValueError:
        pass
    yesterday = paris_today() - timedelta(days=1)
    if activity is not None:
        first = yesterday - timedelta(days=LOOK_BACK_DAYS)
        calendar = PlanningCalendar(current_town().holiday_zone, first, yesterday)
        day = yesterday
        while day > first and not calendar.runs(activity, day):
            day -= timedelta(days=1)
        if day > first:
            return day, bool(raw)
    return yesterday, bool(raw)


@bp.post("/rapprochement")
def settle_reconciliation():
    form = SettleForm()
    if not form.validate_on_submit():
        abort(400)
    child = db.session.get(Child, form.enfant.data) or abort(404)
    activity = db.session.get(Activity, form.activite.data) or abort(404)
    day = form.jour.data
    refusal = settle(child, activity, day, form.action.data, current_user)
    if refusal == NOT_YET:
        flash(_("Ce jour n'est pas encore passé : rien n'a été modifié."), "error")
    elif refusal is not None:
        flash(_("%(name)s a déjà été traité entre-temps : voici la liste à jour.",
                name=child.full_name), "info")
    else:
        flash(_("%(name)s : c'est enregistré.", name=child.full_name), "success")
    return redirect(url_for("admin.reconciliation", jour=day.isoformat(), activite=activity.id))
