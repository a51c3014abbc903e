"""Booking windows of the school-holiday periods (staff): « inscriptions du 1er au 15
janvier pour les vacances d'hiver », for one activity or every holiday-centre activity."""
from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired, ValidationError

from blueprints.admin.blueprint import bp
from blueprints.common.fields import DayField
from blueprints.common.forms import REQUIRED, ConfirmForm
from blueprints.common.pages import current_town, form_status, render_page
from extensions import db
from models import Activity, AuditEvent
from models.clock import paris_today as today
from models.holiday_centres import BookingWindow, holiday_periods

# The periods offered: from a few months back (a window being corrected) to about a year
# and a half ahead (next summer's registrations open in the spring).
PERIODS_BACK = timedelta(days=120)
PERIODS_AHEAD = timedelta(days=550)
MAX_OPEN_BEFORE = timedelta(days=366)


def _period_value(period):
    return f"{period.school_year}|{period.name}"


class BookingWindowForm(FlaskForm):
    activity_id = SelectField(_l("Activité"), coerce=int, validators=[InputRequired()])
    period = SelectField(_l("Vacances scolaires"), validators=[InputRequired(REQUIRED)])
    opens_on = DayField(_l("Ouverture des inscriptions (dès 0 h)"),
                        validators=[InputRequired(REQUIRED)])
    closes_on = DayField(_l("Clôture des inscriptions (jusqu'à 23 h 59)"),
                         validators=[InputRequired(REQUIRED)])

    def __init__(self, periods, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.periods = {_period_value(p): p for p in periods}
        self.period.choices = [SelectChoice("", _("Choisissez les vacances"))] + [
            SelectChoice(value, _("%(name)s %(year)s (du %(first)s au %(last)s)",
                                  name=p.name, year=f"{p.school_year}-{p.school_year + 1}",
                                  first=p.first_day.strftime("%d/%m/%Y"),
                                  last=p.last_day.strftime("%d/%m/%Y")))
            for value, p in self.periods.items()]
        self.activity_id.choices = [SelectChoice(0, _("Toutes les activités des vacances"))] + [
            SelectChoice(a.id, a.name) for a in Activity.ordered(only_active=False)]

    @property
    def chosen_period(self):
        return self.periods.get(self.period.data)

    def validate_period(self, field):
        if field.data and field.data not in self.periods:
            raise ValidationError(_l("Choisissez des vacances de la liste."))

    def validate_closes_on(self, field):
        opens, closes, period = self.opens_on.data, field.data, self.chosen_period
        if not opens or not closes:
            return
        if closes < opens:
            raise ValidationError(_l("La clôture des inscriptions ne peut pas précéder "
                                     "leur ouverture."))
        if period is not None and closes > period.last_day:
            raise ValidationError(_l("Les inscriptions doivent fermer au plus tard le dernier "
                                     "jour de ces vacances."))
        if period is not None and period.first_day - opens > MAX_OPEN_BEFORE:
            raise ValidationError(_l("Les inscriptions ne peuvent pas ouvrir plus d'un an "
                                     "avant ces vacances."))


def _periods():
    zone = current_town().holiday_zone
    return holiday_periods(zone, today() - PERIODS_BACK, today() + PERIODS_AHEAD)


def _duplicate(form, window_id=None):
    period = form.chosen_period
    query = select(BookingWindow.id).where(
        BookingWindow.school_year == period.school_year,
        BookingWindow.period_name == period.name,
        BookingWindow.activity_id.is_(None) if not form.activity_id.data
        else BookingWindow.activity_id == form.activity_id.data)
    if window_id is not None:
        query = query.where(BookingWindow.id != window_id)
    return db.session.scalar(query) is not None


def _save(form, window, action):
    if form.validate_on_submit():
        if _duplicate(form, window.id):
            form.period.errors = [*form.period.errors,
                                  _("Ces vacances ont déjà leurs dates d'inscription pour "
                                    "cette activité : modifiez-les plutôt.")]
            return None
        period = form.chosen_period
        window.activity_id = form.activity_id.data or None
        window.school_year, window.period_name = period.school_year, period.name
        window.opens_on, window.closes_on = form.opens_on.data, form.closes_on.data
        db.session.add(window)
        db.session.flush()
        AuditEvent.record(current_user, action, window, period=period.name,
                          school_year=period.school_year, activity_id=window.activity_id,
                          opens_on=window.opens_on.isoformat(),
                          closes_on=window.closes_on.isoformat())
        db.session.commit()
        flash(_("Dates d'inscription enregistrées : le planning et le règlement les "
                "indiquent aux familles."), "success")
        return redirect(url_for("admin.booking_windows"))
    return None


@bp.route("/inscriptions-vacances", methods=["GET", "POST"])
def booking_windows():
    form = BookingWindowForm(_periods())
    done = _save(form, BookingWindow(), "booking_window.created")
    if done is not None:
        return done
    windows = BookingWindow.ordered()
    return render_page("admin/activities/booking_windows.html", form=form, windows=windows,
                       delete_form=ConfirmForm(), editing=None), form_status()


@bp.route("/inscriptions-vacances/<int:window_id>", methods=["GET", "POST"])
def edit_booking_window(window_id):
    window = db.session.get(BookingWindow, window_id) or abort(404)
    periods = _periods()
    form = BookingWindowForm(periods, data={
        "activity_id": window.activity_id or 0,
        "period": f"{window.school_year}|{window.period_name}",
        "opens_on": window.opens_on, "closes_on": window.closes_on}
        if request.method == "GET" else None)
    done = _save(form, window, "booking_window.updated")
    if done is not None:
        return done
    return render_page("admin/activities/booking_windows.html", form=form,
                       windows=BookingWindow.ordered(), delete_form=ConfirmForm(),
                       editing=window), form_status()


@bp.post("/inscriptions-vacances/<int:window_id>/supprimer")
def delete_booking_window(window_id):
    window = db.session.get(BookingWindow, window_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    AuditEvent.record(current_user, "booking_window.deleted", window, period=window.period_name,
                      school_year=window.school_year, activity_id=window.activity_id)
    db.session.delete(window)
    db.session.commit()
    flash(_("Dates d'inscription supprimées : ces vacances se réservent selon les délais "
            "habituels."), "info")
    return redirect(url_for("admin.booking_windows"))
