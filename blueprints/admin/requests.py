"""Requests in the staff area: the list with its filters, and acting for a family in an
emergency ("en cas d'urgence ou maladie, contactez le service enfance")."""
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from blueprints import form_status, render_page
from blueprints.admin import bp
from blueprints.admin.families import family_or_404
from blueprints.auth.forms import REQUIRED
from blueprints.fields import DayField
from extensions import db
from jobs.requests import enqueue_request
from models import Activity, AuditEvent, Child, Family, Request, RequestLine
from models.attendance import ABSENT, ILL, Attendance
from models.planning import ABSENCE, RESERVE
from models.requests import ACCEPTED, REFUSED, ask_as_staff

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
    page = max(request.args.get("page", 1, type=int), 1)
    query = (select(RequestLine).join(Request).join(Child, Child.id == RequestLine.child_id)
             .join(Family, Family.id == Request.family_id)
             .order_by(Request.submitted_at.desc(), RequestLine.day)
             .options(selectinload(RequestLine.request).selectinload(Request.family),
                      selectinload(RequestLine.request).selectinload(Request.staff_user),
                      selectinload(RequestLine.child), selectinload(RequestLine.activity)))
    if filters["du"]:
        query = query.where(RequestLine.day >= filters["du"])
    if filters["au"]:
        query = query.where(RequestLine.day <= filters["au"])
    if filters["activite"]:
        query = query.where(RequestLine.activity_id == filters["activite"])
    if filters["enfant"]:
        pattern = f"%{filters['enfant']}%"
        query = query.where(Child.first_name.ilike(pattern) | Child.last_name.ilike(pattern))
    if filters["famille"]:
        query = query.where(Family.name.ilike(f"%{filters['famille']}%"))
    if filters["resultat"] in (ACCEPTED, REFUSED):
        query = query.where(RequestLine.outcome == filters["resultat"])
    elif filters["resultat"] == "pending":
        query = query.where(RequestLine.outcome.is_(None))
    lines = db.session.scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    pager_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_page("admin/requests/list.html", block="results", lines=lines[:PAGE_SIZE],
                       pager_args=pager_args,
                       has_more=len(lines) > PAGE_SIZE, page=page, filters=filters,
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


@bp.route("/familles/<int:family_id>/urgence", methods=["GET", "POST"])
def emergency(family_id):
    family = family_or_404(family_id)
    form = EmergencyForm()
    form.child_id.choices = [SelectChoice(c.id, c.full_name) for c in family.children]
    form.activity_id.choices = [SelectChoice(a.id, a.name) for a in Activity.ordered()]
    if form.validate_on_submit():
        child = next(c for c in family.children if c.id == form.child_id.data)
        activity = db.session.get(Activity, form.activity_id.data) or abort(404)
        saved = ask_as_staff(family, child, activity, form.day.data, form.action.data,
                             current_user, form.reason.data.strip())
        if saved is None:
            form.day.errors.append(_(
                "Rien à faire ce jour-là : la case n'est pas réservée (pour une absence) ou "
                "l'est déjà (pour une réservation), ou une demande est en cours."))
        else:
            if form.action.data == ABSENCE:
                Attendance.mark(child.id, activity.id, form.day.data, ABSENT, current_user,
                                reason=ILL)
            AuditEvent.record(current_user, "request.emergency", saved, family_id=family.id,
                              kind=form.action.data, day=form.day.data.isoformat(),
                              activity_id=activity.id)
            enqueue_request(saved)
            db.session.commit()
            flash(_("Demande enregistrée pour la famille : elle reçoit les emails habituels."),
                  "success")
            return redirect(url_for("admin.family", family_id=family.id))
    status = form_status()
    return render_page("admin/requests/emergency.html", form=form, family=family), status
