"""Requests in the staff area: the list with its filters, and acting for a family in an
emergency ("en cas d'urgence ou maladie, contactez le service enfance")."""
from datetime import date
from functools import partial

from flask import abort, flash, redirect, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from blueprints.admin.blueprint import bp
from blueprints.admin.families import family_or_404
from blueprints.common.fields import DayField
from blueprints.common.forms import REQUIRED
from blueprints.common.pager import page_of
from blueprints.common.pages import current_town, form_status, render_page
from blueprints.common.words import planning_words
from extensions import db
from jobs.requests import enqueue_request
from models import Activity, RequestLine
from models.calendar import FIRST_DAY, LAST_DAY, is_requestable
from models.planning import (
    ABSENCE,
    CLOSED,
    NOT_ON_THAT_WEEKDAY,
    PUBLIC_HOLIDAY,
    RESERVE,
    SCHOOL_HOLIDAY,
)
from models.requests import ACCEPTED, FULL, NOT_ENROLLED, REFUSED, ask_as_staff

PAGE_SIZE = 50
OUTCOMES = {ACCEPTED: _l("acceptées"), REFUSED: _l("refusées"), "pending": _l("en attente")}


def _date(name):
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/demandes")
def requests():
    filters = {
        "du": _date("du"), "au": _date("au"),
        "activite": request.args.get("activite", type=int),
        "enfant": request.args.get("enfant", "").strip(),
        "famille": request.args.get("famille", "").strip(),
        "resultat": request.args.get("resultat", ""),
    }
    shown = page_of(partial(
        RequestLine.search, first_day=filters["du"], last_day=filters["au"],
        activity_id=filters["activite"], child_name=filters["enfant"],
        family_name=filters["famille"], outcome=filters["resultat"]), PAGE_SIZE)
    pager_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_page("admin/requests/list.html", block="results", lines=shown.rows,
                       pager_args=pager_args, filters=filters, **shown.context,
                       activities=Activity.ordered(only_active=False), outcomes=OUTCOMES)


class EmergencyForm(FlaskForm):
    action = SelectField(_l("Ce que l'agent enregistre"), choices=[
        SelectChoice(ABSENCE, _l("Une absence pour maladie")),
        SelectChoice(RESERVE, _l("Une réservation acceptée hors délai"))],
        validators=[InputRequired()])
    child_id = SelectField(_l("Enfant"), coerce=int, validators=[InputRequired()])
    activity_id = SelectField(_l("Activité"), coerce=int, validators=[InputRequired()])
    day = DayField(_l("Jour"), validators=[InputRequired(REQUIRED)])
    reason = TextAreaField(_l("Motif (obligatoire)"), validators=[
        DataRequired(_l("Le motif est obligatoire : il est conservé avec la demande.")),
        Length(min=5, max=500, message=_l("Le motif doit faire entre 5 et 500 caractères."))],
        description=_l("Par exemple : appel de la mère ce matin, enfant malade."))

    def validate_day(self, field):
        if field.data and not is_requestable(field.data):
            raise ValidationError(_("Saisissez une date entre le %(first)s et le %(last)s.",
                                    first=format_date(FIRST_DAY, "d MMMM y"),
                                    last=format_date(LAST_DAY, "d MMMM y")))


# Why the job would refuse what the agent asks, said to the agent, and the field it is
# about: the day (the activity does not run, it is full) or the activity (not enrolled).
REFUSALS = {
    NOT_ON_THAT_WEEKDAY: ("day", _l("Cette activité n'a pas lieu ce jour de la semaine.")),
    PUBLIC_HOLIDAY: ("day", _l("Jour férié : l'activité n'a pas lieu.")),
    SCHOOL_HOLIDAY: ("day", _l("Vacances scolaires : l'activité n'a pas lieu ce jour-là.")),
    CLOSED: ("day", _l("Fermeture exceptionnelle : l'activité n'a pas lieu ce jour-là.")),
    NOT_ENROLLED: ("activity_id", _l("Cet enfant n'est pas inscrit à cette activité pour "
                                     "cette année scolaire.")),
    FULL: ("day", _l("Complet : il n'y a plus de place ce jour-là.")),
}


def _say_why_not(form, asked):
    """Put why nothing was saved next to the field it is about."""
    if asked.refusal:
        name, message = REFUSALS[asked.refusal]
        form[name].errors.append(str(message))
    else:
        form.day.errors.append(_(
            "Rien à faire ce jour-là : la case est « %(state)s ». Une absence s'enregistre sur "
            "un jour réservé, une réservation sur un jour non réservé ou absent.",
            state=planning_words()["states"][asked.state]))


@bp.route("/familles/<int:family_id>/urgence", methods=["GET", "POST"])
def emergency(family_id):
    family = family_or_404(family_id)
    form = EmergencyForm()
    form.child_id.choices = [SelectChoice(c.id, c.full_name) for c in family.children]
    form.activity_id.choices = [SelectChoice(a.id, a.name) for a in Activity.ordered()]
    if form.validate_on_submit():
        child = next(c for c in family.children if c.id == form.child_id.data)
        activity = db.session.get(Activity, form.activity_id.data) or abort(404)
        asked = ask_as_staff(family, child, activity, form.day.data, form.action.data,
                             current_user, form.reason.data.strip(), current_town().holiday_zone)
        if asked.request is None:
            _say_why_not(form, asked)
        else:
            enqueue_request(asked.request)
            db.session.commit()
            flash(_("Demande enregistrée pour la famille : elle reçoit les emails habituels."),
                  "success")
            return redirect(url_for("admin.family", family_id=family.id))
    status = form_status()
    return render_page("admin/requests/emergency.html", form=form, family=family), status
